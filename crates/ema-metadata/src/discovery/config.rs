//! Discovery settings.

use std::time::Duration;

use crate::document::MAX_DOCUMENT_BYTES;
use crate::validation::ValidationPolicy;

/// Upper bound on how long a metadata document is cached (META-09).
pub const MAX_METADATA_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How discovery fetches, checks and caches documents.
///
/// ```
/// use std::time::Duration;
/// use ema_metadata::discovery::DiscoveryConfig;
/// let config = DiscoveryConfig::development()
///     .with_default_ttl(Duration::from_secs(600))
///     .with_max_ttl(Duration::from_secs(7 * 24 * 3600));
/// // META-09: never more than 24 hours.
/// assert_eq!(config.max_ttl, Duration::from_secs(24 * 3600));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoveryConfig {
    /// How documents are checked on receipt (default: strict, `https` only).
    pub validation: ValidationPolicy,
    /// Largest response body accepted, in bytes (default and maximum:
    /// [`MAX_DOCUMENT_BYTES`], 256 KiB). Checked on the body the transport returns; a
    /// transport should also cap while reading.
    pub max_body_bytes: usize,
    /// How long a document without `Cache-Control: max-age` is cached (default 1 hour,
    /// never above `max_ttl`).
    pub default_ttl: Duration,
    /// Upper bound on caching (default and maximum 24 hours, META-09).
    pub max_ttl: Duration,
    /// Most documents cached at once (default 64; 0 disables the cache).
    pub cache_capacity: usize,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            validation: ValidationPolicy::default(),
            max_body_bytes: MAX_DOCUMENT_BYTES,
            default_ttl: Duration::from_secs(60 * 60),
            max_ttl: MAX_METADATA_TTL,
            cache_capacity: 64,
        }
    }
}

impl DiscoveryConfig {
    /// Development settings: also `http` on loopback hosts. Never use in production.
    #[must_use]
    pub fn development() -> Self {
        Self {
            validation: ValidationPolicy::development(),
            ..Self::default()
        }
    }

    /// Use `validation`.
    #[must_use]
    pub fn with_validation(mut self, validation: ValidationPolicy) -> Self {
        self.validation = validation;
        self
    }

    /// Cap response bodies at `bytes` (at most [`MAX_DOCUMENT_BYTES`]).
    #[must_use]
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes.min(MAX_DOCUMENT_BYTES);
        self
    }

    /// Cache documents without `max-age` for `ttl` (at most `max_ttl`).
    #[must_use]
    pub fn with_default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// Never cache longer than `ttl` (at most [`MAX_METADATA_TTL`]).
    #[must_use]
    pub fn with_max_ttl(mut self, ttl: Duration) -> Self {
        self.max_ttl = ttl.min(MAX_METADATA_TTL);
        self
    }

    /// Cache at most `capacity` documents (0 disables the cache).
    #[must_use]
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    pub(crate) fn body_cap(&self) -> usize {
        self.max_body_bytes.min(MAX_DOCUMENT_BYTES)
    }

    pub(crate) fn max_ttl_secs(&self) -> u64 {
        self.max_ttl.min(MAX_METADATA_TTL).as_secs()
    }

    pub(crate) fn default_ttl_secs(&self) -> u64 {
        self.default_ttl.as_secs().min(self.max_ttl_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_09_ttl_bounded_by_24_hours() {
        let mut c = DiscoveryConfig::default();
        assert_eq!(c.max_ttl_secs(), 86_400);
        assert_eq!(c.default_ttl_secs(), 3_600);
        // Even if the public field is set past the bound.
        c.max_ttl = Duration::from_secs(1_000_000);
        c.default_ttl = Duration::from_secs(2_000_000);
        assert_eq!(c.max_ttl_secs(), 86_400);
        assert_eq!(c.default_ttl_secs(), 86_400);
        let c = DiscoveryConfig::default()
            .with_max_ttl(Duration::from_secs(60))
            .with_default_ttl(Duration::from_secs(600));
        assert_eq!(c.default_ttl_secs(), 60);
    }

    #[test]
    fn body_cap_bounded() {
        let mut c = DiscoveryConfig::default().with_max_body_bytes(10 * MAX_DOCUMENT_BYTES);
        assert_eq!(c.body_cap(), MAX_DOCUMENT_BYTES);
        c.max_body_bytes = usize::MAX;
        assert_eq!(c.body_cap(), MAX_DOCUMENT_BYTES);
        assert_eq!(
            DiscoveryConfig::default()
                .with_max_body_bytes(1024)
                .body_cap(),
            1024
        );
    }
}
