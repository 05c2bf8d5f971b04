//! Keys: JWKs and JWK Sets (RFC 7517), verifying keys pinned to one algorithm, key sets with
//! `kid`-based selection, and signing keys (JWT-02, JWT-05, JWT-09).
//!
//! - [`Jwk`] and [`JwkSet`] are plain serde data and need no crypto backend.
//! - [`VerifyingKey`] validates a public JWK and parses it once; it verifies one algorithm.
//! - [`KeySet`] holds an issuer's verifying keys and picks the one for a token (JWT-05).
//! - [`SigningKey`] signs ES256 or EdDSA; its verifying key is what an issuer publishes.
//!
//! Everything but [`Jwk`] and [`JwkSet`] needs a crypto backend feature (`aws-lc-rs` or
//! `rust-crypto`).

mod jwk;

pub use jwk::{Jwk, JwkSet};

#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod key_set;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod params;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod pem;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod pin;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod signing_key;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod thumbprint;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod verifying_key;

#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub use key_set::KeySet;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub use signing_key::SigningKey;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub use verifying_key::VerifyingKey;

#[cfg(all(test, any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod tests {
    use super::{Jwk, JwkSet, KeySet, SigningKey, VerifyingKey};

    fn assert_send_sync_clone<T: Send + Sync + Clone + std::fmt::Debug>() {}

    #[test]
    fn key_types_are_send_sync_clone() {
        assert_send_sync_clone::<Jwk>();
        assert_send_sync_clone::<JwkSet>();
        assert_send_sync_clone::<VerifyingKey>();
        assert_send_sync_clone::<KeySet>();
        assert_send_sync_clone::<SigningKey>();
    }
}
