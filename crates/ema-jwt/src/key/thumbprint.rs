//! JWK SHA-256 thumbprints (RFC 7638).
//!
//! The hash input is the JSON object of the key type's required members only, in
//! lexicographic order, with no whitespace (RFC 7638 §3.2): EC `{crv,kty,x,y}`, RSA
//! `{e,kty,n}`, OKP `{crv,kty,x}` (RFC 8037 §2). Every value is a fixed name or unpadded
//! base64url, so no JSON escaping can occur.

use super::params::KeyParams;
use crate::b64;
use crate::backend;

/// The RFC 7638 SHA-256 thumbprint of a key, as unpadded base64url.
pub(crate) fn sha256_thumbprint(params: &KeyParams) -> String {
    b64::encode(&backend::sha256(canonical_json(params).as_bytes()))
}

/// The RFC 7638 §3.2 hash input.
fn canonical_json(params: &KeyParams) -> String {
    match params {
        KeyParams::P256 { x, y } => format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            b64::encode(x),
            b64::encode(y)
        ),
        KeyParams::Rsa { n, e } => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            b64::encode(e),
            b64::encode(n)
        ),
        KeyParams::Ed25519 { x } => {
            format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                b64::encode(x)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// RFC 7638 §3.1.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn rfc7638_section_3_1_rsa_example() {
        let params = KeyParams::Rsa {
            n: b64::decode(RFC7638_N).unwrap(),
            e: vec![1, 0, 1],
        };
        assert!(canonical_json(&params).starts_with(r#"{"e":"AQAB","kty":"RSA","n":"0vx7"#));
        assert_eq!(
            sha256_thumbprint(&params),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    /// RFC 8037 Appendix A.3.
    #[test]
    fn rfc8037_appendix_a3_ed25519_example() {
        let x = b64::decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        let params = KeyParams::Ed25519 {
            x: x.try_into().unwrap(),
        };
        assert_eq!(
            sha256_thumbprint(&params),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn ec_members_are_in_lexicographic_order() {
        let params = KeyParams::P256 {
            x: [0; 32],
            y: [0xff; 32],
        };
        assert_eq!(
            canonical_json(&params),
            concat!(
                r#"{"crv":"P-256","kty":"EC","#,
                r#""x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","#,
                r#""y":"__________________________________________8"}"#
            )
        );
    }
}
