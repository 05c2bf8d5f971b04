//! A public key, parsed once and pinned to one algorithm (JWT-02, JWT-09).

use std::fmt;
use std::sync::Arc;

use super::jwk::Jwk;
use super::params::KeyParams;
use super::pin::pinned_algorithm;
use super::thumbprint::sha256_thumbprint;
use crate::Algorithm;
use crate::backend;
use crate::error::{Error, ErrorKind};

/// A key that verifies signatures of exactly one [`Algorithm`].
///
/// Built from a JWK with [`VerifyingKey::from_jwk`], which validates every member and parses
/// the key for the crypto backend once; verification never parses key material. The key is
/// *pinned*: to the JWK's `alg` when present (it must suit the key type), else to ES256 for
/// `EC` P-256, RS256 for `RSA` and EdDSA for `OKP` Ed25519. A token whose header names another
/// algorithm is refused with [`ErrorKind::KeyAlgorithmMismatch`] before any crypto runs.
///
/// Cloning is cheap (a reference count and the `kid`).
#[derive(Clone)]
pub struct VerifyingKey {
    kid: Option<String>,
    shared: Arc<Shared>,
}

struct Shared {
    alg: Algorithm,
    params: KeyParams,
    thumbprint: String,
    public: backend::PublicKey,
}

impl VerifyingKey {
    /// Validate a public JWK and parse its key once.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::UnsupportedKey`]: a key type, curve or `alg` this crate does not
    ///   implement (`oct`, `P-384`, `X25519`, `HS256`, …).
    /// - [`ErrorKind::InvalidKey`]: private key material present (`d`, `p`, `q`, `dp`, `dq`,
    ///   `qi`, `oth`, `k`); `use` other than `sig`; `key_ops` without `verify`; a missing or
    ///   non-base64url member; a P-256 coordinate that is not 32 octets; a point not on the
    ///   curve; RSA `n`/`e` with leading zeros, an even modulus or an exponent that is even,
    ///   below 3 or above 2³³ − 1.
    /// - [`ErrorKind::WeakKey`]: an RSA modulus under 2048 bits (JWT-02).
    /// - [`ErrorKind::KeyAlgorithmMismatch`]: `alg` names an algorithm for another key type.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, Error> {
        Self::parse_jwk(jwk).map_err(Error::new)
    }

    fn parse_jwk(jwk: &Jwk) -> Result<Self, ErrorKind> {
        if jwk.kty == "oct" {
            return Err(ErrorKind::UnsupportedKey(
                "symmetric key (kty `oct`)".to_owned(),
            ));
        }
        if jwk.has_private_material() {
            return Err(ErrorKind::InvalidKey("private key material in JWK"));
        }
        if jwk.use_.as_deref().is_some_and(|use_| use_ != "sig") {
            return Err(ErrorKind::InvalidKey("JWK `use` is not `sig`"));
        }
        if jwk
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err(ErrorKind::InvalidKey(
                "JWK `key_ops` does not allow `verify`",
            ));
        }
        let params = KeyParams::from_jwk(jwk)?;
        let alg = pinned_algorithm(&params, jwk.alg.as_deref())?;
        Self::from_params(params, alg, jwk.kid.clone())
    }

    /// A key from validated parameters, pinned to `alg`.
    pub(crate) fn from_params(
        params: KeyParams,
        alg: Algorithm,
        kid: Option<String>,
    ) -> Result<Self, ErrorKind> {
        let public = params.public_key()?;
        let thumbprint = sha256_thumbprint(&params);
        Ok(Self {
            kid,
            shared: Arc::new(Shared {
                alg,
                params,
                thumbprint,
                public,
            }),
        })
    }

    /// The same key under another `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The one algorithm this key verifies.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.shared.alg
    }

    /// The key ID, if the key has one.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key, unpadded base64url (computed once).
    ///
    /// It depends on the key alone: not on `kid`, `alg` or `use`.
    #[must_use]
    pub fn thumbprint(&self) -> &str {
        &self.shared.thumbprint
    }

    /// The public JWK to publish (JWT-09): `kty`, `kid` (when set), `use` `sig`, `alg`, and
    /// `crv`/`x`/`y` for EC, `n`/`e` for RSA, `crv`/`x` for OKP. Nothing else.
    #[must_use]
    pub fn to_jwk(&self) -> Jwk {
        let mut jwk = Jwk::default();
        self.shared.params.write_public_members(&mut jwk);
        jwk.kid.clone_from(&self.kid);
        jwk.use_ = Some("sig".to_owned());
        jwk.alg = Some(self.shared.alg.as_str().to_owned());
        jwk
    }

    /// Verify `signature` over `message` for a token whose header says `alg`.
    ///
    /// A key pinned to another algorithm fails with [`ErrorKind::KeyAlgorithmMismatch`] before
    /// any crypto runs; every other failure is [`ErrorKind::InvalidSignature`].
    pub(crate) fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), ErrorKind> {
        if alg != self.shared.alg {
            return Err(ErrorKind::KeyAlgorithmMismatch {
                key: self.shared.alg,
                token: alg,
            });
        }
        self.shared.public.verify(alg, message, signature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.shared.alg)
            .field("kid", &self.kid)
            .field("thumbprint", &self.shared.thumbprint)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn vectors() -> serde_json::Value {
        serde_json::from_str(include_str!("../../tests/data/vectors.json")).unwrap()
    }

    fn key(v: &serde_json::Value, name: &str) -> VerifyingKey {
        VerifyingKey::from_jwk(&serde_json::from_value(v[name].clone()).unwrap()).unwrap()
    }

    fn sig(v: &serde_json::Value, name: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(v[name].as_str().unwrap()).unwrap()
    }

    fn message(v: &serde_json::Value) -> &[u8] {
        v["message"].as_str().unwrap().as_bytes()
    }

    #[test]
    fn jwt_02_verifies_each_algorithm_through_the_pinned_key() {
        let v = vectors();
        let cases = [
            ("ec_jwk", "es256", Algorithm::ES256),
            ("rsa_jwk", "rs256", Algorithm::RS256),
            ("ed25519_jwk", "eddsa", Algorithm::EdDSA),
        ];
        for (jwk, signature, alg) in cases {
            let key = key(&v, jwk);
            assert_eq!(key.algorithm(), alg);
            assert_eq!(key.verify(alg, message(&v), &sig(&v, signature)), Ok(()));
            assert_eq!(
                key.verify(alg, b"tampered", &sig(&v, signature)),
                Err(ErrorKind::InvalidSignature)
            );
        }
    }

    #[test]
    fn jwt_02_key_pinned_to_rs256_refuses_ps256_and_vice_versa() {
        let v = vectors();
        let rs = key(&v, "rsa_jwk");
        assert_eq!(
            rs.verify(Algorithm::PS256, message(&v), &sig(&v, "ps256")),
            Err(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::RS256,
                token: Algorithm::PS256
            })
        );
        let mut jwk: Jwk = serde_json::from_value(v["rsa_jwk"].clone()).unwrap();
        jwk.alg = Some("PS256".to_owned());
        let ps = VerifyingKey::from_jwk(&jwk).unwrap();
        assert_eq!(ps.algorithm(), Algorithm::PS256);
        assert_eq!(
            ps.verify(Algorithm::PS256, message(&v), &sig(&v, "ps256")),
            Ok(())
        );
        assert_eq!(
            ps.verify(Algorithm::RS256, message(&v), &sig(&v, "rs256")),
            Err(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::PS256,
                token: Algorithm::RS256
            })
        );
        // Same key material, same thumbprint, whatever the pinned algorithm.
        assert_eq!(ps.thumbprint(), rs.thumbprint());
    }

    #[test]
    fn jwt_02_es256_key_refuses_other_algorithms_before_crypto() {
        let v = vectors();
        let ec = key(&v, "ec_jwk");
        assert_eq!(
            ec.verify(Algorithm::EdDSA, message(&v), &sig(&v, "eddsa")),
            Err(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::ES256,
                token: Algorithm::EdDSA
            })
        );
    }

    #[test]
    fn jwt_09_es256_der_signature_rejected_through_the_key() {
        let v = vectors();
        assert_eq!(
            key(&v, "ec_jwk").verify(Algorithm::ES256, message(&v), &sig(&v, "es256_der")),
            Err(ErrorKind::InvalidSignature)
        );
    }

    #[test]
    fn debug_shows_alg_kid_and_thumbprint_only() {
        let v = vectors();
        let debug = format!("{:?}", key(&v, "ec_jwk"));
        assert!(debug.starts_with("VerifyingKey { alg: ES256, kid: Some(\"ec-test\")"));
    }
}
