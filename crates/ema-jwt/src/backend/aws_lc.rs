//! The AWS-LC backend (feature `aws-lc-rs`, the default).
//!
//! Public keys are [`ParsedPublicKey`]s, parsed once at construction; no verification parses a
//! key. AWS-LC's own checks apply on top of the shared ones: the P-256 point must lie on the
//! curve, ECDSA signatures are the fixed-length `R‖S` form with `0 < r, s < n`, RSA keys are
//! 2048 to 8192 bits, PSS uses MGF1-SHA-256 with a 32-octet salt.

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, VerificationAlgorithm,
};
use zeroize::Zeroizing;

use super::key_type::{self, PrivateKeyType};
use super::{
    ED25519_PUBLIC_KEY_LEN, ES256_SIGNATURE_LEN, P256_COORDINATE_LEN, PublicComponents, der,
    ed25519_policy, rsa_policy, split_uncompressed_p256,
};
use crate::Algorithm;
use crate::error::ErrorKind;

/// A public key, parsed once.
pub(crate) struct PublicKey(Parsed);

enum Parsed {
    P256(ParsedPublicKey),
    /// One RSA key serves RS256 and PS256: AWS-LC binds a parsed key to one padding scheme, so
    /// both are parsed up front (a few microseconds, once per key).
    Rsa {
        pkcs1: ParsedPublicKey,
        pss: ParsedPublicKey,
    },
    Ed25519(ParsedPublicKey),
}

impl PublicKey {
    /// A P-256 public key from its affine coordinates (each exactly 32 octets).
    pub(crate) fn ec_p256(x: &[u8], y: &[u8]) -> Result<Self, ErrorKind> {
        if x.len() != P256_COORDINATE_LEN || y.len() != P256_COORDINATE_LEN {
            return Err(ErrorKind::InvalidKey("P-256 coordinate is not 32 octets"));
        }
        let mut point = Vec::with_capacity(1 + 2 * P256_COORDINATE_LEN);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
            .map(|key| Self(Parsed::P256(key)))
            .map_err(|_| ErrorKind::InvalidKey("point is not on P-256"))
    }

    /// An RSA public key from its modulus and exponent (big-endian, no leading zeros).
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Result<Self, ErrorKind> {
        rsa_policy::check(n, e)?;
        let der = der::rsa_public_key(n, e);
        let parse = |alg: &'static dyn VerificationAlgorithm| {
            ParsedPublicKey::new(alg, &der)
                .map_err(|_| ErrorKind::InvalidKey("RSA public key rejected"))
        };
        Ok(Self(Parsed::Rsa {
            pkcs1: parse(&signature::RSA_PKCS1_2048_8192_SHA256)?,
            pss: parse(&signature::RSA_PSS_2048_8192_SHA256)?,
        }))
    }

    /// An Ed25519 public key (32 octets).
    ///
    /// AWS-LC decodes the point only when verifying: a value that is not a point is accepted
    /// here and then verifies nothing (the `rust-crypto` backend refuses it here instead).
    pub(crate) fn ed25519(x: &[u8]) -> Result<Self, ErrorKind> {
        let x = <[u8; ED25519_PUBLIC_KEY_LEN]>::try_from(x)
            .map_err(|_| ErrorKind::InvalidKey("Ed25519 public key is not 32 octets"))?;
        ed25519_policy::check(&x)?;
        ParsedPublicKey::new(&signature::ED25519, x)
            .map(|key| Self(Parsed::Ed25519(key)))
            .map_err(|_| ErrorKind::InvalidKey("Ed25519 public key rejected"))
    }

    /// Verify `signature` over `message` with `alg`; any failure, including an algorithm this
    /// key cannot do, is [`ErrorKind::InvalidSignature`].
    pub(crate) fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), ErrorKind> {
        let key = match (alg, &self.0) {
            (Algorithm::ES256, Parsed::P256(key)) => {
                if signature.len() != ES256_SIGNATURE_LEN {
                    return Err(ErrorKind::InvalidSignature);
                }
                key
            }
            (Algorithm::RS256, Parsed::Rsa { pkcs1, .. }) => pkcs1,
            (Algorithm::PS256, Parsed::Rsa { pss, .. }) => pss,
            (Algorithm::EdDSA, Parsed::Ed25519(key)) => key,
            _ => return Err(ErrorKind::InvalidSignature),
        };
        key.verify_sig(message, signature)
            .map_err(|_| ErrorKind::InvalidSignature)
    }
}

/// An ES256 or Ed25519 private key. AWS-LC zeroizes the key material it holds when dropped.
pub(crate) struct PrivateKey {
    key: Signer,
    public: PublicComponents,
}

enum Signer {
    P256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl PrivateKey {
    /// A fresh P-256 key from the operating system's generator.
    pub(crate) fn generate_p256() -> Result<Self, ErrorKind> {
        EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| ErrorKind::Randomness)
            .and_then(Self::from_p256)
    }

    /// A fresh Ed25519 key from the operating system's generator.
    pub(crate) fn generate_ed25519() -> Result<Self, ErrorKind> {
        Ed25519KeyPair::generate()
            .map_err(|_| ErrorKind::Randomness)
            .and_then(Self::from_ed25519)
    }

    /// Parse an unencrypted PKCS#8 document holding a P-256 or Ed25519 key (v1 or v2).
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self, ErrorKind> {
        match key_type::detect(der)? {
            PrivateKeyType::P256 => {
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| ErrorKind::InvalidKey("malformed P-256 private key"))
                    .and_then(Self::from_p256)
            }
            PrivateKeyType::Ed25519 => Ed25519KeyPair::from_pkcs8(der)
                .map_err(|_| ErrorKind::InvalidKey("malformed Ed25519 private key"))
                .and_then(Self::from_ed25519),
        }
    }

    fn from_p256(key: EcdsaKeyPair) -> Result<Self, ErrorKind> {
        let (x, y) = split_uncompressed_p256(key.public_key().as_ref()).ok_or(
            ErrorKind::InvalidKey("P-256 public key is not an uncompressed point"),
        )?;
        Ok(Self {
            key: Signer::P256(key),
            public: PublicComponents::P256 { x, y },
        })
    }

    fn from_ed25519(key: Ed25519KeyPair) -> Result<Self, ErrorKind> {
        let x = <[u8; ED25519_PUBLIC_KEY_LEN]>::try_from(key.public_key().as_ref())
            .map_err(|_| ErrorKind::InvalidKey("Ed25519 public key is not 32 octets"))?;
        Ok(Self {
            key: Signer::Ed25519(key),
            public: PublicComponents::Ed25519 { x },
        })
    }

    /// The key as an unencrypted PKCS#8 v1 document.
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, ErrorKind> {
        let document = match &self.key {
            Signer::P256(key) => key.to_pkcs8v1(),
            Signer::Ed25519(key) => key.to_pkcs8v1(),
        }
        .map_err(|_| ErrorKind::InvalidKey("private key could not be encoded"))?;
        Ok(Zeroizing::new(document.as_ref().to_vec()))
    }

    /// Sign `message`: raw `R‖S` (64 octets) for ES256, 64 octets for Ed25519.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ErrorKind> {
        match &self.key {
            Signer::P256(key) => key
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| ErrorKind::Signing),
            Signer::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }

    /// The public key's raw components.
    pub(crate) fn public_components(&self) -> &PublicComponents {
        &self.public
    }

    /// The JWS algorithm this key signs with.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self.key {
            Signer::P256(_) => Algorithm::ES256,
            Signer::Ed25519(_) => Algorithm::EdDSA,
        }
    }
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, data);
    let mut out = [0; 32];
    for (slot, byte) in out.iter_mut().zip(digest.as_ref()) {
        *slot = *byte;
    }
    out
}
