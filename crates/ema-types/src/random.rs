//! Injected randomness for identifiers (`jti`, `state`, `nonce`, PKCE verifiers).

use std::fmt::Debug;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The system random generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the random number generator failed")]
#[non_exhaustive]
pub struct RandomError;

impl RandomError {
    /// The error an implementation of [`SecureRandom`] returns when its source fails.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl Default for RandomError {
    fn default() -> Self {
        Self::new()
    }
}

/// A cryptographically secure random source.
///
/// Production code uses [`SystemRandom`]; tests inject a deterministic source so that minted
/// identifiers are predictable.
pub trait SecureRandom: Send + Sync + Debug {
    /// Fill `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomError>;

    /// A fresh identifier of `bytes` random bytes, base64url-encoded without padding.
    ///
    /// 16 bytes give the 128 bits IDP-15 requires of a `jti`.
    fn token_id(&self, bytes: usize) -> Result<String, RandomError> {
        let mut buf = vec![0u8; bytes];
        self.fill(&mut buf)?;
        Ok(URL_SAFE_NO_PAD.encode(&buf))
    }
}

/// The operating system's CSPRNG (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRandom;

impl SecureRandom for SystemRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomError> {
        getrandom::fill(dest).map_err(|_| RandomError)
    }
}

impl<R: SecureRandom + ?Sized> SecureRandom for Arc<R> {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomError> {
        (**self).fill(dest)
    }
}

impl<R: SecureRandom + ?Sized> SecureRandom for &R {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomError> {
        (**self).fill(dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idp_15_token_id_has_128_bits() {
        let id = SystemRandom.token_id(16).unwrap();
        assert_eq!(id.len(), 22);
        assert_ne!(id, SystemRandom.token_id(16).unwrap());
    }
}
