//! Which Ed25519 public keys this crate accepts, checked before either backend sees them.
//!
//! Encodings of the eight points of small order are refused. With such a key `A`, `[k]A`
//! takes at most eight values, so a signature that verifies for any message can be found
//! without a private key; RFC 8032 §5.1.7 does not forbid them, but libsodium and
//! ed25519-dalek's `verify_strict` do. The list covers every encoding of those points,
//! including the non-canonical `y = p` and `y = p + 1`; the sign bit of `x` (bit 255) is
//! ignored when comparing.

use super::ED25519_PUBLIC_KEY_LEN;
use crate::error::ErrorKind;

type Encoded = [u8; ED25519_PUBLIC_KEY_LEN];

/// `y` coordinates (little-endian) of the points of order 1, 2, 4 and 8, as in libsodium's
/// `ge25519_has_small_order`.
const SMALL_ORDER: [Encoded; 7] = [
    // y = 0: order 4
    [0; 32],
    // y = 1: the identity
    [
        0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0,
    ],
    // order 8
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // order 8
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // y = p - 1: order 2
    high_y(0xec),
    // y = p (non-canonical 0): order 4
    high_y(0xed),
    // y = p + 1 (non-canonical 1): the identity
    high_y(0xee),
];

/// `2²⁵⁵ − 19 + (low − 0xed)`, little-endian: the encodings just around p.
const fn high_y(low: u8) -> Encoded {
    let mut y = [0xff; ED25519_PUBLIC_KEY_LEN];
    y[0] = low;
    y[ED25519_PUBLIC_KEY_LEN - 1] = 0x7f;
    y
}

/// Refuse an Ed25519 public key of small order.
pub(crate) fn check(x: &Encoded) -> Result<(), ErrorKind> {
    let mut y = *x;
    if let Some(last) = y.last_mut() {
        *last &= 0x7f;
    }
    if SMALL_ORDER.contains(&y) {
        Err(ErrorKind::InvalidKey("Ed25519 public key has small order"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_sign_bit(mut y: Encoded) -> Encoded {
        if let Some(last) = y.last_mut() {
            *last |= 0x80;
        }
        y
    }

    #[test]
    fn small_order_keys_are_refused_with_either_sign() {
        for y in SMALL_ORDER {
            assert!(check(&y).is_err(), "{y:02x?}");
            assert!(check(&with_sign_bit(y)).is_err(), "{y:02x?}");
        }
    }

    #[test]
    fn ordinary_keys_pass() {
        // RFC 8032 §7.1, test 1.
        let key = [
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
            0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
            0xf7, 0x07, 0x51, 0x1a,
        ];
        assert_eq!(check(&key), Ok(()));
        assert_eq!(check(&[0x02; 32]), Ok(()));
    }

    /// The list agrees with curve25519-dalek's own small-order test.
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    #[test]
    fn list_matches_ed25519_dalek_is_weak() {
        for y in SMALL_ORDER {
            for encoded in [y, with_sign_bit(y)] {
                let key = ed25519_dalek::VerifyingKey::from_bytes(&encoded);
                assert!(key.is_ok_and(|key| key.is_weak()), "{encoded:02x?}");
            }
        }
    }
}
