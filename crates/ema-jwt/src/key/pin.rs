//! Which algorithm a verifying key is pinned to (JWT-02).
//!
//! A key verifies exactly one algorithm: the JWK's `alg` when present, which must suit the key
//! (`EC` P-256 → ES256; `RSA` → RS256 or PS256; `OKP` Ed25519 → EdDSA), else the family's
//! default (ES256, RS256, EdDSA). Pinning stops one RSA key from being used with both
//! paddings, and a token's `alg` from choosing how its own key is used.

use super::params::KeyParams;
use crate::Algorithm;
use crate::error::ErrorKind;

/// The algorithm a key with `params` and JWK `alg` is pinned to.
pub(crate) fn pinned_algorithm(
    params: &KeyParams,
    jwk_alg: Option<&str>,
) -> Result<Algorithm, ErrorKind> {
    let default = params.default_algorithm();
    let Some(name) = jwk_alg else {
        return Ok(default);
    };
    match Algorithm::from_header(name) {
        Ok(alg) if params.supports(alg) => Ok(alg),
        Ok(alg) => Err(ErrorKind::KeyAlgorithmMismatch {
            key: default,
            token: alg,
        }),
        Err(_) => Err(ErrorKind::UnsupportedKey(format!(
            "JWK algorithm `{}`",
            ErrorKind::echo(name)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa() -> KeyParams {
        KeyParams::Rsa {
            n: vec![],
            e: vec![],
        }
    }

    fn p256() -> KeyParams {
        KeyParams::P256 {
            x: [0; 32],
            y: [0; 32],
        }
    }

    fn ed25519() -> KeyParams {
        KeyParams::Ed25519 { x: [0; 32] }
    }

    #[test]
    fn jwt_02_defaults_per_family() {
        assert_eq!(pinned_algorithm(&p256(), None), Ok(Algorithm::ES256));
        assert_eq!(pinned_algorithm(&rsa(), None), Ok(Algorithm::RS256));
        assert_eq!(pinned_algorithm(&ed25519(), None), Ok(Algorithm::EdDSA));
    }

    #[test]
    fn jwt_02_jwk_alg_must_suit_the_key() {
        assert_eq!(
            pinned_algorithm(&rsa(), Some("PS256")),
            Ok(Algorithm::PS256)
        );
        assert_eq!(
            pinned_algorithm(&rsa(), Some("RS256")),
            Ok(Algorithm::RS256)
        );
        assert_eq!(
            pinned_algorithm(&p256(), Some("ES256")),
            Ok(Algorithm::ES256)
        );
        assert_eq!(
            pinned_algorithm(&ed25519(), Some("EdDSA")),
            Ok(Algorithm::EdDSA)
        );
        assert_eq!(
            pinned_algorithm(&p256(), Some("RS256")),
            Err(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::ES256,
                token: Algorithm::RS256
            })
        );
        assert_eq!(
            pinned_algorithm(&rsa(), Some("EdDSA")),
            Err(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::RS256,
                token: Algorithm::EdDSA
            })
        );
    }

    #[test]
    fn jwt_02_unknown_or_symmetric_jwk_alg_is_unsupported() {
        for alg in ["HS256", "none", "ES384", "RS512", "es256", ""] {
            assert_eq!(
                pinned_algorithm(&p256(), Some(alg)),
                Err(ErrorKind::UnsupportedKey(format!("JWK algorithm `{alg}`"))),
            );
        }
    }
}
