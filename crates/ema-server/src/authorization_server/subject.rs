//! Subject mapping at the resource AS (AS-10, AS-22, §6 step 19).

use async_trait::async_trait;
use ema_types::claims::IdJagClaims;

use crate::client_auth::AuthenticatedClient;

/// The local principal an ID-JAG maps to: the access token's `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// The access token's `sub`.
    pub subject: String,
}

impl Principal {
    /// A principal named `subject`.
    #[must_use]
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
        }
    }
}

/// The subject resolver failed (a directory error). The request is refused with
/// `server_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subject resolution failed: {0}")]
#[non_exhaustive]
pub struct SubjectError(pub String);

impl SubjectError {
    /// An error saying `reason` (the directory failure; logged, never sent on the wire).
    #[must_use]
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Maps a verified ID-JAG to a local principal (§6 step 19). The claims are verified; `iss`
/// is a trusted issuer. Key on (`iss`, `tenant` when present, `sub`) (AS-10); use `email` only for
/// account linking when policy allows; `sub_id` only per AS-22.
#[async_trait]
pub trait SubjectResolver: Send + Sync {
    /// `Ok(None)`: no active principal (and no just-in-time provisioning) → `invalid_grant`.
    async fn resolve(
        &self,
        claims: &IdJagClaims,
        client: &AuthenticatedClient,
    ) -> Result<Option<Principal>, SubjectError>;
}

/// The default resolver: the IdP's `sub` is the principal, as is.
///
/// Right when the AS trusts one issuer (or issuers whose subject namespaces cannot collide)
/// and keeps no user directory. Multi-issuer or multi-tenant deployments should key their own
/// resolver on (`iss`, `tenant`, `sub`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TrustedSubjectResolver;

#[async_trait]
impl SubjectResolver for TrustedSubjectResolver {
    async fn resolve(
        &self,
        claims: &IdJagClaims,
        _client: &AuthenticatedClient,
    ) -> Result<Option<Principal>, SubjectError> {
        if claims.sub.is_empty() {
            return Ok(None);
        }
        Ok(Some(Principal::new(claims.sub.clone())))
    }
}
