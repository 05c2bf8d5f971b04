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

/// Decoded segments up to this size are decoded on the stack by [`decode_then`]: any header
/// and a typical token's payload (an ID-JAG's is about 300 bytes).
const STACK_DECODE_BYTES: usize = 1024;

/// Decode strictly, as [`decode`], and hand the bytes to `read`: a segment that will not be
/// kept (a header or payload, parsed and dropped) is decoded into a stack buffer when it fits,
/// so it costs no allocation.
pub(crate) fn decode_then<R>(input: &str, read: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let engine = base64_simd::URL_SAFE_NO_PAD;
    let len = engine.decoded_length(input.as_bytes()).ok()?;
    // Left uninitialized: the decoder writes every byte of what it returns.
    let mut stack = [const { std::mem::MaybeUninit::<u8>::uninit() }; STACK_DECODE_BYTES];
    match stack.get_mut(..len) {
        Some(buf) => {
            let bytes = engine
                .decode(input.as_bytes(), base64_simd::Out::from_uninit_slice(buf))
                .ok()?;
            Some(read(bytes))
        }
        None => decode(input).map(|bytes| read(&bytes)),
    }
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

        /// The stack path (short input) and the heap path (past the stack buffer) decode
        /// exactly as [`decode`] does.
        #[test]
        fn jwt_01_decode_then_agrees_with_decode(
            input in proptest::prop_oneof![
                "[A-Za-z0-9_-]{0,90}",
                "[A-Za-z0-9_=+/ -]{0,90}",
                "[A-Za-z0-9_-]{1360,1370}",
                "[A-Za-z0-9_-]{1360,1370}=",
            ]
        ) {
            proptest::prop_assert_eq!(decode_then(&input, <[u8]>::to_vec), decode(&input));
        }

        #[test]
        fn jwt_01_round_trip(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            proptest::prop_assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
    }
}
