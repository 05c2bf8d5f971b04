//! Where verification keys come from (AS-06, AS-18).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::KeySet;
use ema_types::Issuer;

mod jwks_cache;

pub use jwks_cache::{JwksCache, JwksCacheConfig};

/// Why no keys could be had for an issuer. The AS answers `invalid_grant` whatever the
/// reason (OQ-18) and logs this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeySourceError {
    /// The issuer is not configured: nothing is fetched for unknown issuers.
    #[error("issuer is not configured")]
    UnknownIssuer,
    /// The JWKS could not be fetched or parsed, and no usable cached copy exists.
    #[error("JWKS unavailable: {0}")]
    Unavailable(String),
}

/// Gives the keys of an issuer.
#[async_trait]
pub trait KeySource: Send + Sync {
    /// The keys of `issuer`. When `kid` names a key the cached set lacks, a source that fetches
    /// may refetch once (rate-limited) before answering.
    async fn keys(&self, issuer: &Issuer, kid: Option<&str>)
    -> Result<Arc<KeySet>, KeySourceError>;
}

#[async_trait]
impl<S: KeySource + ?Sized> KeySource for Arc<S> {
    async fn keys(
        &self,
        issuer: &Issuer,
        kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        (**self).keys(issuer, kid).await
    }
}

/// Fixed keys per issuer (inline JWKS from configuration, or tests). Never fetches.
#[derive(Debug, Clone, Default)]
pub struct StaticKeySource {
    issuers: HashMap<String, Arc<KeySet>>,
}

impl StaticKeySource {
    /// No issuer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Trust `issuer` with `keys`.
    #[must_use]
    pub fn with_issuer(mut self, issuer: &Issuer, keys: KeySet) -> Self {
        self.issuers
            .insert(issuer.as_str().to_owned(), Arc::new(keys));
        self
    }
}

#[async_trait]
impl KeySource for StaticKeySource {
    async fn keys(
        &self,
        issuer: &Issuer,
        _kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        self.issuers
            .get(issuer.as_str())
            .cloned()
            .ok_or(KeySourceError::UnknownIssuer)
    }
}
