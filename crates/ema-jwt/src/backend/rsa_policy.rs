//! Which RSA public keys this crate accepts (JWT-02), checked before either backend sees them.
//!
//! - The modulus is 2048 to 8192 bits ([`MIN_BITS`], [`MAX_BITS`]) and odd.
//! - The exponent is odd and between 3 and 2³³ − 1, the range both the `rsa` crate and AWS-LC
//!   accept; `e = 1` (signature = message) and even exponents are refused.
//! - `n` and `e` are big-endian with no leading zero octets, as RFC 7518 §6.3.1.1 requires of a
//!   JWK; a padded value would also give the key a second RFC 7638 thumbprint.

use crate::error::ErrorKind;

/// Smallest accepted modulus, in bits (JWT-02, RFC 7518 §3.3).
const MIN_BITS: usize = 2048;
/// Largest accepted modulus, in bits: verification cost grows with the key.
const MAX_BITS: usize = 8192;
/// Largest accepted public exponent.
const MAX_EXPONENT: u64 = (1 << 33) - 1;

/// Check `n` and `e` and return the modulus size in bits.
pub(crate) fn check(n: &[u8], e: &[u8]) -> Result<usize, ErrorKind> {
    let bits = modulus_bits(n)?;
    if bits < MIN_BITS {
        return Err(ErrorKind::WeakKey(bits));
    }
    if bits > MAX_BITS {
        return Err(ErrorKind::UnsupportedKey(format!(
            "RSA key of {bits} bits (maximum {MAX_BITS})"
        )));
    }
    if n.last().is_none_or(|low| low & 1 == 0) {
        return Err(ErrorKind::InvalidKey("RSA modulus is even"));
    }
    check_exponent(e)?;
    Ok(bits)
}

/// Size of the modulus in bits, refusing an empty or zero-padded encoding.
fn modulus_bits(n: &[u8]) -> Result<usize, ErrorKind> {
    match n.first() {
        None => Err(ErrorKind::InvalidKey("RSA modulus is empty")),
        Some(0) => Err(ErrorKind::InvalidKey("RSA modulus has leading zero octets")),
        Some(&high) => {
            let unused = usize::try_from(high.leading_zeros()).unwrap_or(0);
            Ok(n.len().saturating_mul(8).saturating_sub(unused))
        }
    }
}

fn check_exponent(e: &[u8]) -> Result<(), ErrorKind> {
    match e.first() {
        None => return Err(ErrorKind::InvalidKey("RSA exponent is empty")),
        Some(0) => {
            return Err(ErrorKind::InvalidKey(
                "RSA exponent has leading zero octets",
            ));
        }
        Some(_) => {}
    }
    if e.len() > 8 {
        return Err(ErrorKind::InvalidKey("RSA exponent is too large"));
    }
    let value = e
        .iter()
        .fold(0_u64, |acc, &byte| (acc << 8) | u64::from(byte));
    if value < 3 || value & 1 == 0 {
        return Err(ErrorKind::InvalidKey(
            "RSA exponent is not an odd number ≥ 3",
        ));
    }
    if value > MAX_EXPONENT {
        return Err(ErrorKind::InvalidKey("RSA exponent is too large"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const F4: &[u8] = &[0x01, 0x00, 0x01];

    fn modulus(bytes: usize) -> Vec<u8> {
        let mut n = vec![0xff; bytes];
        if let Some(first) = n.first_mut() {
            *first = 0x80;
        }
        n
    }

    #[test]
    fn accepts_2048_to_8192_bits() {
        assert_eq!(check(&modulus(256), F4), Ok(2048));
        assert_eq!(check(&modulus(384), F4), Ok(3072));
        assert_eq!(check(&modulus(1024), F4), Ok(8192));
    }

    #[test]
    fn jwt_02_rsa_below_2048_bits_is_weak() {
        assert_eq!(check(&modulus(128), F4), Err(ErrorKind::WeakKey(1024)));
        // 256 octets but the top bit clear: 2047 bits.
        let mut n = modulus(256);
        if let Some(first) = n.first_mut() {
            *first = 0x7f;
        }
        assert_eq!(check(&n, F4), Err(ErrorKind::WeakKey(2047)));
    }

    #[test]
    fn rsa_above_8192_bits_is_unsupported() {
        assert!(matches!(
            check(&modulus(1025), F4),
            Err(ErrorKind::UnsupportedKey(_))
        ));
    }

    #[test]
    fn rsa_leading_zero_and_even_modulus_are_invalid() {
        let mut padded = vec![0];
        padded.extend(modulus(256));
        assert_eq!(
            check(&padded, F4),
            Err(ErrorKind::InvalidKey("RSA modulus has leading zero octets"))
        );
        let mut even = modulus(256);
        if let Some(last) = even.last_mut() {
            *last = 0xfe;
        }
        assert_eq!(
            check(&even, F4),
            Err(ErrorKind::InvalidKey("RSA modulus is even"))
        );
        assert_eq!(
            check(&[], F4),
            Err(ErrorKind::InvalidKey("RSA modulus is empty"))
        );
    }

    #[test]
    fn rsa_silly_exponents_are_invalid() {
        let n = modulus(256);
        let not_odd = Err(ErrorKind::InvalidKey(
            "RSA exponent is not an odd number ≥ 3",
        ));
        assert_eq!(check(&n, &[1]), not_odd);
        assert_eq!(check(&n, &[2]), not_odd);
        assert_eq!(check(&n, &[0x01, 0x00, 0x00]), not_odd);
        assert_eq!(check(&n, &[3]), Ok(2048));
        assert_eq!(
            check(&n, &[0, 1, 0, 1]),
            Err(ErrorKind::InvalidKey(
                "RSA exponent has leading zero octets"
            ))
        );
        assert_eq!(
            check(&n, &[]),
            Err(ErrorKind::InvalidKey("RSA exponent is empty"))
        );
        // 2^33 + 1 is odd but out of range; 2^33 - 1 is the largest accepted.
        let too_large = Err(ErrorKind::InvalidKey("RSA exponent is too large"));
        assert_eq!(check(&n, &[0x02, 0, 0, 0, 1]), too_large);
        assert_eq!(check(&n, &[0x01, 0xff, 0xff, 0xff, 0xff]), Ok(2048));
        assert_eq!(check(&n, &[1; 9]), too_large);
    }
}
