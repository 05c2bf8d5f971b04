//! Strict unpadded base64url (RFC 7515 §2): no padding, no whitespace, canonical trailing bits.

#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto", test))]
use base64::Engine as _;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto", test))]
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Decode strictly; `None` on any deviation (padding, `+`/`/`, non-canonical last symbol).
///
/// Every token segment passes here on the verification path, so this uses the SIMD decoder
/// of `base64-simd`, as strict as `base64`'s (a property test compares the two).
pub(crate) fn decode(input: &str) -> Option<Vec<u8>> {
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(input).ok()
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

    proptest::proptest! {
        /// JWT-01: the SIMD decoder accepts exactly what the strict `base64` engine accepts,
        /// and decodes it to the same bytes, on any string over the base64 alphabets and more.
        #[test]
        fn jwt_01_simd_decoder_agrees_with_the_strict_engine(
            input in proptest::prop_oneof!["[A-Za-z0-9_-]{0,90}", "[A-Za-z0-9_=+/ -]{0,90}"]
        ) {
            proptest::prop_assert_eq!(decode(&input), URL_SAFE_NO_PAD.decode(&input).ok());
        }

        #[test]
        fn jwt_01_round_trip(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            proptest::prop_assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
    }
}
