//! A minimal DER encoder for a PKCS#1 `RSAPublicKey` (RFC 8017 Appendix A.1.1):
//!
//! ```text
//! RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
//! ```
//!
//! aws-lc-rs 1.14 parses RSA public keys once ([`aws_lc_rs::signature::ParsedPublicKey`]) only
//! from DER, while a JWK carries the bare `n` and `e`. Inputs are unsigned big-endian integers
//! without leading zeros (checked by `rsa_policy` first); encoding is infallible.

const TAG_INTEGER: u8 = 0x02;
const TAG_SEQUENCE: u8 = 0x30;

/// DER `RSAPublicKey` for the unsigned big-endian integers `n` and `e`.
pub(crate) fn rsa_public_key(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    push_unsigned_integer(&mut body, n);
    push_unsigned_integer(&mut body, e);
    let mut out = Vec::with_capacity(body.len() + 6);
    push_header(&mut out, TAG_SEQUENCE, body.len());
    out.extend_from_slice(&body);
    out
}

/// An INTEGER holding a non-negative value: a zero octet goes first when the high bit is set,
/// since DER integers are two's complement (X.690 §8.3).
fn push_unsigned_integer(out: &mut Vec<u8>, magnitude: &[u8]) {
    let needs_pad = magnitude.first().is_none_or(|high| high & 0x80 != 0);
    push_header(out, TAG_INTEGER, magnitude.len() + usize::from(needs_pad));
    if needs_pad {
        out.push(0);
    }
    out.extend_from_slice(magnitude);
}

/// Tag and definite length: short form below 128, else long form with the fewest octets
/// (X.690 §8.1.3, §10.1).
fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.extend(u8::try_from(len));
        return;
    }
    let octets = len.to_be_bytes();
    let significant: Vec<u8> = octets.iter().copied().skip_while(|&b| b == 0).collect();
    out.extend(u8::try_from(significant.len()).map(|count| 0x80 | count));
    out.extend_from_slice(&significant);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn header(len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        push_header(&mut out, TAG_SEQUENCE, len);
        out
    }

    #[test]
    fn lengths_use_short_then_minimal_long_form() {
        assert_eq!(header(0), [0x30, 0x00]);
        assert_eq!(header(127), [0x30, 0x7f]);
        assert_eq!(header(128), [0x30, 0x81, 0x80]);
        assert_eq!(header(255), [0x30, 0x81, 0xff]);
        assert_eq!(header(256), [0x30, 0x82, 0x01, 0x00]);
        assert_eq!(header(1034), [0x30, 0x82, 0x04, 0x0a]);
        assert_eq!(header(0x01_0000), [0x30, 0x83, 0x01, 0x00, 0x00]);
    }

    #[test]
    fn integers_get_a_zero_octet_only_when_the_high_bit_is_set() {
        let mut out = Vec::new();
        push_unsigned_integer(&mut out, &[0x01, 0x00, 0x01]);
        assert_eq!(out, [0x02, 0x03, 0x01, 0x00, 0x01]);
        out.clear();
        push_unsigned_integer(&mut out, &[0x80]);
        assert_eq!(out, [0x02, 0x02, 0x00, 0x80]);
        out.clear();
        push_unsigned_integer(&mut out, &[0x7f]);
        assert_eq!(out, [0x02, 0x01, 0x7f]);
    }

    #[test]
    fn small_key_encodes_exactly() {
        assert_eq!(
            rsa_public_key(&[0xc1, 0x05], &[0x03]),
            [0x30, 0x08, 0x02, 0x03, 0x00, 0xc1, 0x05, 0x02, 0x01, 0x03]
        );
    }

    /// The test key's `RSAPublicKey` as OpenSSL writes it (`openssl rsa -RSAPublicKey_out`).
    #[test]
    fn matches_openssl_for_a_2048_bit_key() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/vectors.json")).unwrap();
        let b64 = |s: &serde_json::Value| URL_SAFE_NO_PAD.decode(s.as_str().unwrap()).unwrap();
        let n = b64(&vectors["rsa_jwk"]["n"]);
        let e = b64(&vectors["rsa_jwk"]["e"]);
        assert_eq!(rsa_public_key(&n, &e), b64(&vectors["rsa_pkcs1_der"]));
    }

    /// An 8192-bit modulus needs a two-octet long-form length inside and out.
    #[test]
    fn encodes_8192_bit_modulus() {
        let n = vec![0xff; 1024];
        let der = rsa_public_key(&n, &[0x01, 0x00, 0x01]);
        let body = 4 + 1025 + 2 + 3;
        assert_eq!(der.get(..4), Some(&[0x30, 0x82, 0x04, 0x0a][..]));
        assert_eq!(der.len(), 4 + body);
        assert_eq!(der.get(4..9), Some(&[0x02, 0x82, 0x04, 0x01, 0x00][..]));
    }
}
