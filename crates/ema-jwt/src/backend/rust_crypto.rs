//! The pure-Rust backend (feature `rust-crypto`, used when `aws-lc-rs` is off): `p256`, `rsa`,
//! `ed25519-dalek` and `sha2`.
//!
//! Keys are parsed once at construction. Checks on top of the shared ones: the P-256 point
//! must lie on the curve, ECDSA signatures are exactly 64 octets with `0 < r, s < n`, PSS uses
//! MGF1-SHA-256 with a 32-octet salt, Ed25519 public keys must decode to a curve point and
//! signatures are checked with `verify_strict` (no small-order keys or `R`). The key types
//! zeroize their secrets on drop.

use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use ema_types::{SecureRandom as _, SystemRandom};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::key_type::{self, PrivateKeyType};
use super::{
    ED25519_PUBLIC_KEY_LEN, ES256_SIGNATURE_LEN, P256_COORDINATE_LEN, PublicComponents,
    ed25519_policy, rsa_policy, split_uncompressed_p256,
};
use crate::Algorithm;
use crate::error::ErrorKind;

/// Attempts at drawing a P-256 scalar: a uniform 256-bit string is 0 or ≥ n with probability
/// about 2⁻³², so running out of attempts means a broken generator.
const P256_KEYGEN_ATTEMPTS: usize = 4;

/// A public key, parsed once.
pub(crate) struct PublicKey(Parsed);

enum Parsed {
    P256(p256::ecdsa::VerifyingKey),
    Rsa(RsaPublicKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    /// A P-256 public key from its affine coordinates (each exactly 32 octets).
    pub(crate) fn ec_p256(x: &[u8], y: &[u8]) -> Result<Self, ErrorKind> {
        let (Ok(x), Ok(y)) = (
            <[u8; P256_COORDINATE_LEN]>::try_from(x),
            <[u8; P256_COORDINATE_LEN]>::try_from(y),
        ) else {
            return Err(ErrorKind::InvalidKey("P-256 coordinate is not 32 octets"));
        };
        let point = p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
        p256::ecdsa::VerifyingKey::from_encoded_point(&point)
            .map(|key| Self(Parsed::P256(key)))
            .map_err(|_| ErrorKind::InvalidKey("point is not on P-256"))
    }

    /// An RSA public key from its modulus and exponent (big-endian, no leading zeros).
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Result<Self, ErrorKind> {
        let bits = rsa_policy::check(n, e)?;
        RsaPublicKey::new_with_max_size(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e), bits)
            .map(|key| Self(Parsed::Rsa(key)))
            .map_err(|_| ErrorKind::InvalidKey("RSA public key rejected"))
    }

    /// An Ed25519 public key (32 octets).
    pub(crate) fn ed25519(x: &[u8]) -> Result<Self, ErrorKind> {
        let x = <[u8; ED25519_PUBLIC_KEY_LEN]>::try_from(x)
            .map_err(|_| ErrorKind::InvalidKey("Ed25519 public key is not 32 octets"))?;
        ed25519_policy::check(&x)?;
        ed25519_dalek::VerifyingKey::from_bytes(&x)
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
        let verified = match (alg, &self.0) {
            (Algorithm::ES256, Parsed::P256(key)) => {
                if signature.len() != ES256_SIGNATURE_LEN {
                    return Err(ErrorKind::InvalidSignature);
                }
                p256::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|signature| key.verify(message, &signature).is_ok())
            }
            (Algorithm::RS256, Parsed::Rsa(key)) => key
                .verify(Pkcs1v15Sign::new::<Sha256>(), &sha256(message), signature)
                .is_ok(),
            (Algorithm::PS256, Parsed::Rsa(key)) => key
                .verify(Pss::new::<Sha256>(), &sha256(message), signature)
                .is_ok(),
            (Algorithm::EdDSA, Parsed::Ed25519(key)) => {
                ed25519_dalek::Signature::from_slice(signature)
                    .is_ok_and(|signature| key.verify_strict(message, &signature).is_ok())
            }
            _ => false,
        };
        if verified {
            Ok(())
        } else {
            Err(ErrorKind::InvalidSignature)
        }
    }
}

/// An ES256 or Ed25519 private key; both key types zeroize their secret on drop.
pub(crate) struct PrivateKey {
    key: Signer,
    public: PublicComponents,
}

enum Signer {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl PrivateKey {
    /// A fresh P-256 key from the operating system's generator.
    pub(crate) fn generate_p256() -> Result<Self, ErrorKind> {
        for _ in 0..P256_KEYGEN_ATTEMPTS {
            let seed = random_32()?;
            if let Ok(key) = p256::ecdsa::SigningKey::from_bytes(&(*seed).into()) {
                return Self::from_p256(key);
            }
        }
        Err(ErrorKind::Randomness)
    }

    /// A fresh Ed25519 key from the operating system's generator.
    pub(crate) fn generate_ed25519() -> Result<Self, ErrorKind> {
        let seed = random_32()?;
        Ok(Self::from_ed25519(ed25519_dalek::SigningKey::from_bytes(
            &seed,
        )))
    }

    /// Parse an unencrypted PKCS#8 document holding a P-256 or Ed25519 key (v1 or v2).
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self, ErrorKind> {
        match key_type::detect(der)? {
            PrivateKeyType::P256 => {
                <p256::ecdsa::SigningKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(der)
                    .map_err(|_| ErrorKind::InvalidKey("malformed P-256 private key"))
                    .and_then(Self::from_p256)
            }
            PrivateKeyType::Ed25519 => ed25519_dalek::SigningKey::from_pkcs8_der(der)
                .map(Self::from_ed25519)
                .map_err(|_| ErrorKind::InvalidKey("malformed Ed25519 private key")),
        }
    }

    fn from_p256(key: p256::ecdsa::SigningKey) -> Result<Self, ErrorKind> {
        let point = key.verifying_key().to_encoded_point(false);
        let (x, y) = split_uncompressed_p256(point.as_bytes()).ok_or(ErrorKind::InvalidKey(
            "P-256 public key is not an uncompressed point",
        ))?;
        Ok(Self {
            key: Signer::P256(key),
            public: PublicComponents::P256 { x, y },
        })
    }

    fn from_ed25519(key: ed25519_dalek::SigningKey) -> Self {
        let x = key.verifying_key().to_bytes();
        Self {
            key: Signer::Ed25519(key),
            public: PublicComponents::Ed25519 { x },
        }
    }

    /// The key as an unencrypted PKCS#8 document.
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, ErrorKind> {
        let document = match &self.key {
            Signer::P256(key) => p256::pkcs8::EncodePrivateKey::to_pkcs8_der(key),
            Signer::Ed25519(key) => key.to_pkcs8_der(),
        }
        .map_err(|_| ErrorKind::InvalidKey("private key could not be encoded"))?;
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
    }

    /// Sign `message`: raw `R‖S` (64 octets, RFC 6979 nonces) for ES256, 64 octets for Ed25519.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ErrorKind> {
        match &self.key {
            Signer::P256(key) => {
                let signature: p256::ecdsa::Signature =
                    key.try_sign(message).map_err(|_| ErrorKind::Signing)?;
                Ok(signature.to_bytes().to_vec())
            }
            Signer::Ed25519(key) => key
                .try_sign(message)
                .map(|signature| signature.to_bytes().to_vec())
                .map_err(|_| ErrorKind::Signing),
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

/// 32 bytes from the operating system's generator.
fn random_32() -> Result<Zeroizing<[u8; 32]>, ErrorKind> {
    let mut seed = Zeroizing::new([0_u8; 32]);
    SystemRandom
        .fill(seed.as_mut_slice())
        .map_err(|_| ErrorKind::Randomness)?;
    Ok(seed)
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}
