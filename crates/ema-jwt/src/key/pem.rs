//! PKCS#8 private keys in PEM (RFC 7468 §10, label `PRIVATE KEY`).

use pkcs8::{LineEnding, SecretDocument};
use zeroize::Zeroizing;

use crate::error::ErrorKind;

/// The only label accepted: unencrypted PKCS#8 (RFC 7468 §10).
const LABEL: &str = "PRIVATE KEY";

/// The DER inside a `PRIVATE KEY` PEM block; the buffer is zeroized on drop.
pub(crate) fn decode(pem: &str) -> Result<SecretDocument, ErrorKind> {
    let (label, der) = SecretDocument::from_pem(pem.trim())
        .map_err(|_| ErrorKind::InvalidKey("not a PEM document"))?;
    if label == LABEL {
        Ok(der)
    } else if label == "ENCRYPTED PRIVATE KEY" {
        Err(ErrorKind::UnsupportedKey(
            "encrypted PKCS#8 private key".to_owned(),
        ))
    } else {
        Err(ErrorKind::InvalidKey(
            "PEM label is not `PRIVATE KEY` (unencrypted PKCS#8)",
        ))
    }
}

/// `der` as a `PRIVATE KEY` PEM block with LF line endings.
pub(crate) fn encode(der: &[u8]) -> Result<Zeroizing<String>, ErrorKind> {
    SecretDocument::try_from(der)
        .and_then(|document| document.to_pem(LABEL, LineEnding::LF))
        .map_err(|_| ErrorKind::InvalidKey("private key could not be encoded"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const P256_PEM: &str = include_str!("../../tests/data/p256-test-key.pem");

    #[test]
    fn round_trips_a_private_key_block() {
        let der = decode(P256_PEM).unwrap();
        assert_eq!(encode(der.as_bytes()).unwrap().as_str(), P256_PEM);
    }

    #[test]
    fn other_labels_and_garbage_are_refused() {
        let sec1 = P256_PEM.replace("PRIVATE KEY", "EC PRIVATE KEY");
        assert_eq!(
            decode(&sec1).err(),
            Some(ErrorKind::InvalidKey(
                "PEM label is not `PRIVATE KEY` (unencrypted PKCS#8)"
            ))
        );
        let encrypted = P256_PEM.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
        assert_eq!(
            decode(&encrypted).err(),
            Some(ErrorKind::UnsupportedKey(
                "encrypted PKCS#8 private key".to_owned()
            ))
        );
        for bad in [
            "",
            "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n",
        ] {
            assert_eq!(
                decode(bad).err(),
                Some(ErrorKind::InvalidKey("not a PEM document"))
            );
        }
    }
}
