//! The crypto backends, behind one small internal interface.
//!
//! Exactly one backend is compiled into a build, chosen at compile time with no process-wide
//! state: `aws-lc-rs` when that feature is on (it wins when both features are enabled, so
//! enabling both never fails or panics), otherwise `rust-crypto`. Both expose the same items:
//!
//! - [`PublicKey`]: a public key parsed once at construction (`ec_p256`, `rsa`, `ed25519`) with
//!   `verify(alg, message, signature)`; every failure is [`ErrorKind::InvalidSignature`].
//! - [`PrivateKey`]: an ES256 or Ed25519 signing key (`generate_p256`, `generate_ed25519`,
//!   `from_pkcs8_der`, `to_pkcs8_der`, `sign`, `public_components`, `algorithm`).
//! - [`sha256`].
//!
//! The policy both backends must agree on (RSA size and exponent limits, small-order Ed25519
//! keys, PKCS#8 key type detection, signature lengths) lives in shared modules here, so both reject the same inputs
//! with the same [`ErrorKind`].
//!
//! [`ErrorKind`]: crate::error::ErrorKind
//! [`ErrorKind::InvalidSignature`]: crate::error::ErrorKind::InvalidSignature

mod ed25519_policy;
mod key_type;
mod rsa_policy;

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "aws-lc-rs")]
mod der;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rust_crypto;

#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc::{PrivateKey, PublicKey, sha256};
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) use rust_crypto::{PrivateKey, PublicKey, sha256};

/// Length of one P-256 field element (a JWK `x` or `y`, RFC 7518 §6.2.1.2).
pub(crate) const P256_COORDINATE_LEN: usize = 32;

/// Length of an Ed25519 public key (RFC 8037 §2).
pub(crate) const ED25519_PUBLIC_KEY_LEN: usize = 32;

/// Length of an ES256 signature: raw `R‖S`, never DER (RFC 7518 §3.4, JWT-09).
pub(crate) const ES256_SIGNATURE_LEN: usize = 64;

/// The public half of a [`PrivateKey`], as the raw values a JWK publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicComponents {
    /// An uncompressed P-256 point.
    P256 {
        /// The affine x coordinate, big-endian.
        x: [u8; P256_COORDINATE_LEN],
        /// The affine y coordinate, big-endian.
        y: [u8; P256_COORDINATE_LEN],
    },
    /// An Ed25519 public key (RFC 8032 encoding).
    Ed25519 {
        /// The encoded point.
        x: [u8; ED25519_PUBLIC_KEY_LEN],
    },
}

/// Split an uncompressed SEC1 point (`0x04‖x‖y`) into its coordinates.
fn split_uncompressed_p256(
    point: &[u8],
) -> Option<([u8; P256_COORDINATE_LEN], [u8; P256_COORDINATE_LEN])> {
    let (tag, xy) = point.split_first()?;
    if *tag != 0x04 {
        return None;
    }
    let (x, y) = xy.split_at_checked(P256_COORDINATE_LEN)?;
    Some((x.try_into().ok()?, y.try_into().ok()?))
}

#[cfg(test)]
mod tests;
