//! Which kind of private key a PKCS#8 document holds (RFC 5208, RFC 5958).
//!
//! Both backends look at the `privateKeyAlgorithm` here before handing the document to their
//! own parser, so they accept and reject the same documents with the same errors.

use ::pkcs8::{ObjectIdentifier, PrivateKeyInfo};

use crate::error::ErrorKind;

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` / `prime256v1` (RFC 5480 §2.1.1.1).
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `id-Ed25519` (RFC 8410 §3).
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `rsaEncryption` (RFC 8017 Appendix C).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-RSASSA-PSS` (RFC 8017 Appendix C).
const ID_RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

/// The private key types this crate can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrivateKeyType {
    /// ECDSA on P-256, for ES256.
    P256,
    /// Ed25519, for EdDSA.
    Ed25519,
}

/// Read the key algorithm of a PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey`.
///
/// RSA keys are refused with [`ErrorKind::UnsupportedKey`]: this crate verifies RS256 and PS256
/// but signs only with ES256 and EdDSA.
pub(crate) fn detect(der: &[u8]) -> Result<PrivateKeyType, ErrorKind> {
    let info = PrivateKeyInfo::try_from(der)
        .map_err(|_| ErrorKind::InvalidKey("not a PKCS#8 private key"))?;
    let oid = info.algorithm.oid;
    if oid == ID_EC_PUBLIC_KEY {
        match info.algorithm.parameters_oid() {
            Ok(curve) if curve == SECP256R1 => Ok(PrivateKeyType::P256),
            Ok(curve) => Err(ErrorKind::UnsupportedKey(format!("EC curve {curve}"))),
            Err(_) => Err(ErrorKind::InvalidKey(
                "EC private key without a named curve",
            )),
        }
    } else if oid == ID_ED25519 {
        Ok(PrivateKeyType::Ed25519)
    } else if oid == RSA_ENCRYPTION || oid == ID_RSASSA_PSS {
        Err(ErrorKind::UnsupportedKey("RSA signing".to_owned()))
    } else {
        Err(ErrorKind::UnsupportedKey(format!(
            "private key algorithm {oid}"
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn der_of(pem: &str) -> Vec<u8> {
        let (label, doc) = ::pkcs8::SecretDocument::from_pem(pem).unwrap();
        assert_eq!(label, "PRIVATE KEY");
        doc.as_bytes().to_vec()
    }

    #[test]
    fn detects_p256_and_ed25519() {
        let p256 = der_of(include_str!("../../tests/data/p256-test-key.pem"));
        assert_eq!(detect(&p256), Ok(PrivateKeyType::P256));
        let ed = der_of(include_str!("../../tests/data/ed25519-test-key.pem"));
        assert_eq!(detect(&ed), Ok(PrivateKeyType::Ed25519));
    }

    #[test]
    fn jwt_02_rsa_private_key_is_not_for_signing() {
        let rsa = der_of(include_str!("../../tests/data/rsa2048-test-key.pem"));
        assert_eq!(
            detect(&rsa),
            Err(ErrorKind::UnsupportedKey("RSA signing".to_owned()))
        );
    }

    #[test]
    fn garbage_is_invalid_key() {
        assert_eq!(
            detect(b"\x30\x03\x02\x01\x00"),
            Err(ErrorKind::InvalidKey("not a PKCS#8 private key"))
        );
        assert_eq!(
            detect(&[]),
            Err(ErrorKind::InvalidKey("not a PKCS#8 private key"))
        );
    }
}
