//! A private key that signs ES256 or EdDSA tokens.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::params::KeyParams;
use super::pem;
use super::verifying_key::VerifyingKey;
use crate::Algorithm;
use crate::backend;
use crate::error::{Error, ErrorKind};

/// An ES256 (P-256) or EdDSA (Ed25519) signing key with its `kid`.
///
/// The `kid` defaults to the RFC 7638 thumbprint of the public key, so a freshly generated or
/// loaded key can be published and selected at once; [`SigningKey::with_kid`] sets another.
/// [`SigningKey::verifying_key`] is the public half, whose [`VerifyingKey::to_jwk`] an issuer
/// publishes in its JWKS (JWT-09).
///
/// RSA signing is not offered: RS256 and PS256 are verified only (JWT-02).
///
/// The private key never leaves this value except through the explicit PKCS#8 exports, whose
/// buffers are zeroized on drop; the backends zeroize their own copies. `Debug` prints the
/// algorithm and `kid` only. Cloning is cheap (a reference count).
#[derive(Clone)]
pub struct SigningKey {
    private: Arc<backend::PrivateKey>,
    verifying: VerifyingKey,
}

impl SigningKey {
    /// Generate a fresh key for `alg` from the operating system's generator.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnsupportedKey`] for RS256 and PS256; [`ErrorKind::Randomness`] if the
    /// generator fails.
    pub fn generate(alg: Algorithm) -> Result<Self, Error> {
        let private = match alg {
            Algorithm::ES256 => backend::PrivateKey::generate_p256(),
            Algorithm::EdDSA => backend::PrivateKey::generate_ed25519(),
            Algorithm::RS256 | Algorithm::PS256 => {
                Err(ErrorKind::UnsupportedKey("RSA signing".to_owned()))
            }
        };
        private.and_then(Self::from_private).map_err(Error::new)
    }

    /// Load an unencrypted PKCS#8 private key in PEM (`-----BEGIN PRIVATE KEY-----`), P-256 or
    /// Ed25519, as `openssl genpkey` writes it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`] for anything but a well-formed `PRIVATE KEY` block (SEC1
    /// `EC PRIVATE KEY` included), [`ErrorKind::UnsupportedKey`] for encrypted PKCS#8, RSA and
    /// other key types.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, Error> {
        pem::decode(pem)
            .and_then(|der| Self::from_der(der.as_bytes()))
            .map_err(Error::new)
    }

    /// Load an unencrypted PKCS#8 private key in DER, P-256 or Ed25519 (v1 or v2).
    ///
    /// # Errors
    ///
    /// As [`SigningKey::from_pkcs8_pem`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_der(der).map_err(Error::new)
    }

    fn from_der(der: &[u8]) -> Result<Self, ErrorKind> {
        backend::PrivateKey::from_pkcs8_der(der).and_then(Self::from_private)
    }

    fn from_private(private: backend::PrivateKey) -> Result<Self, ErrorKind> {
        let params = KeyParams::from(private.public_components());
        let verifying = VerifyingKey::from_params(params, private.algorithm(), None)?;
        let kid = verifying.thumbprint().to_owned();
        Ok(Self {
            private: Arc::new(private),
            verifying: verifying.with_kid(kid),
        })
    }

    /// The key as unencrypted PKCS#8 DER. Handle with care: this is the secret.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`] if the backend cannot encode the key.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.private.to_pkcs8_der().map_err(Error::new)
    }

    /// The key as an unencrypted PKCS#8 PEM block (`PRIVATE KEY`, LF line endings). Handle with
    /// care: this is the secret.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`] if the backend cannot encode the key.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
        self.private
            .to_pkcs8_der()
            .and_then(|der| pem::encode(&der))
            .map_err(Error::new)
    }

    /// The same key under another `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.verifying = self.verifying.with_kid(kid);
        self
    }

    /// The key ID tokens signed with this key carry.
    #[must_use]
    pub fn kid(&self) -> &str {
        self.verifying.kid().unwrap_or_default()
    }

    /// The algorithm this key signs with.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.verifying.algorithm()
    }

    /// The public half, with the same `kid` and algorithm.
    #[must_use]
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// Sign `message` (the JWS signing input): raw `R‖S` for ES256, 64 octets for EdDSA.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ErrorKind> {
        self.private.sign(message)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.algorithm())
            .field("kid", &self.kid())
            .field("key", &format_args!("[redacted]"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sign_verify_round_trip_es256_and_eddsa() {
        for alg in [Algorithm::ES256, Algorithm::EdDSA] {
            let key = SigningKey::generate(alg).unwrap();
            assert_eq!(key.algorithm(), alg);
            let signature = key.sign(b"header.payload").unwrap();
            let public = key.verifying_key();
            assert_eq!(public.verify(alg, b"header.payload", &signature), Ok(()));
            assert_eq!(
                public.verify(alg, b"header.payload.", &signature),
                Err(ErrorKind::InvalidSignature)
            );
        }
    }

    #[test]
    fn published_jwk_verifies_what_the_key_signs() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let signature = key.sign(b"m").unwrap();
        let published = VerifyingKey::from_jwk(&key.verifying_key().to_jwk()).unwrap();
        assert_eq!(published.kid(), Some(key.kid()));
        assert_eq!(published.verify(Algorithm::ES256, b"m", &signature), Ok(()));
    }

    #[test]
    fn loaded_pem_signs_like_openssl() {
        let key = SigningKey::from_pkcs8_pem(include_str!("../../tests/data/ed25519-test-key.pem"))
            .unwrap();
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/vectors.json")).unwrap();
        let message = vectors
            .get("message")
            .and_then(serde_json::Value::as_str)
            .unwrap();
        let expected = vectors
            .get("eddsa")
            .and_then(serde_json::Value::as_str)
            .unwrap();
        assert_eq!(
            crate::b64::encode(&key.sign(message.as_bytes()).unwrap()),
            expected
        );
    }
}
