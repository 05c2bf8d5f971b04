//! Collaborators the configuration needs beyond ema-server's defaults: issuer keys from either
//! fixed sets or JWKS URLs, and the optional subject allow-list of the AS.

use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::KeySet;
use ema_server::authorization_server::{
    Principal, SubjectError, SubjectResolver, TrustedSubjectResolver,
};
use ema_server::client_auth::AuthenticatedClient;
use ema_server::keys::{JwksCache, KeySource, KeySourceError, StaticKeySource};
use ema_types::Issuer;
use ema_types::claims::IdJagClaims;

/// Issuer keys: fixed sets first (inline `jwks`, `jwks_file`, this stack's own keys), then the
/// JWKS cache (`jwks_uri`). Nothing is fetched for an issuer neither knows.
#[derive(Debug, Clone)]
pub(crate) struct IssuerKeys {
    fixed: StaticKeySource,
    fetched: Option<Arc<JwksCache>>,
}

impl IssuerKeys {
    pub(crate) fn new(fixed: StaticKeySource, fetched: Option<JwksCache>) -> Self {
        Self {
            fixed,
            fetched: fetched.map(Arc::new),
        }
    }
}

#[async_trait]
impl KeySource for IssuerKeys {
    async fn keys(
        &self,
        issuer: &Issuer,
        kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        match self.fixed.keys(issuer, kid).await {
            Err(KeySourceError::UnknownIssuer) => match &self.fetched {
                Some(cache) => cache.keys(issuer, kid).await,
                None => Err(KeySourceError::UnknownIssuer),
            },
            found => found,
        }
    }
}

/// `as.subjects`: only these `sub` values become principals; others get `invalid_grant`.
#[derive(Debug, Clone)]
pub(crate) struct SubjectAllowList {
    subjects: Vec<String>,
}

impl SubjectAllowList {
    pub(crate) fn new(subjects: Vec<String>) -> Self {
        Self { subjects }
    }
}

#[async_trait]
impl SubjectResolver for SubjectAllowList {
    async fn resolve(
        &self,
        claims: &IdJagClaims,
        client: &AuthenticatedClient,
    ) -> Result<Option<Principal>, SubjectError> {
        if !self.subjects.iter().any(|s| s == &claims.sub) {
            tracing::info!("subject not in as.subjects; refused");
            return Ok(None);
        }
        TrustedSubjectResolver.resolve(claims, client).await
    }
}
