//! Strict unpadded base64url (RFC 7515 §2): no padding, no whitespace, canonical trailing bits.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Decode strictly; `None` on any deviation (padding, `+`/`/`, non-canonical last symbol).
pub(crate) fn decode(input: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(input).ok()
}

/// Encode without padding.
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto", test))]
pub(crate) fn encode(input: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_01_strict_base64url() {
        assert_eq!(decode("YQ").as_deref(), Some(&b"a"[..]));
        assert_eq!(decode("YQ=="), None, "padding");
        assert_eq!(decode("YR"), None, "non-canonical trailing bits");
        assert_eq!(decode("+/8"), None, "standard alphabet");
        assert_eq!(decode("Y Q"), None, "whitespace");
        assert_eq!(encode(b"\xfb\xff"), "-_8");
    }
}
