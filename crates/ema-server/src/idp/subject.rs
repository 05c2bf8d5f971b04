//! The user behind a subject token (IDP-05, IDP-06, IDP-08, IDP-13).

use async_trait::async_trait;
use ema_types::claims::IdTokenClaims;
use ema_types::{ClientId, Issuer, Secret};

/// The user a validated subject token names, and what the ID-JAG may repeat about their
/// authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubjectContext {
    /// The user's identifier at this IdP (the ID token `sub` the client saw).
    pub subject: String,
    /// `auth_time`.
    pub auth_time: Option<u64>,
    /// `acr`.
    pub acr: Option<String>,
    /// `amr`.
    pub amr: Option<Vec<String>>,
    /// `email` (written into the ID-JAG only when configured for the AS, IDP-24).
    pub email: Option<String>,
    /// Groups the user belongs to, as known when the subject token was validated (for
    /// example from a [`RefreshTokenValidator`]); a policy with a
    /// [`UserDirectory`](super::UserDirectory) adds the directory's (IDP-11).
    pub groups: Vec<String>,
    /// Roles the user holds, likewise (IDP-11).
    pub roles: Vec<String>,
}

impl SubjectContext {
    /// A user known by `subject`, with nothing else known.
    #[must_use]
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            auth_time: None,
            acr: None,
            amr: None,
            email: None,
            groups: Vec::new(),
            roles: Vec::new(),
        }
    }

    /// From validated ID-token claims.
    #[must_use]
    pub fn from_id_token(claims: &IdTokenClaims) -> Self {
        Self {
            subject: claims.sub.clone(),
            auth_time: claims.auth_time,
            acr: claims.acr.clone(),
            amr: claims.amr.clone(),
            email: claims.email.clone(),
            groups: Vec::new(),
            roles: Vec::new(),
        }
    }

    /// Add `groups` (IDP-11).
    #[must_use]
    pub fn with_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups.extend(groups.into_iter().map(Into::into));
        self
    }

    /// Add `roles` (IDP-11).
    #[must_use]
    pub fn with_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }
}

/// A subject token was refused by the application (answered `invalid_request`, OQ-09).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subject token refused: {0}")]
#[non_exhaustive]
pub struct SubjectTokenError(pub String);

impl SubjectTokenError {
    /// An error saying `reason` (why the token was refused; logged, never sent on the wire).
    #[must_use]
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Validates refresh tokens presented as subject tokens (IDP-08): issued here, bound to
/// `client_id`, not expired, not revoked; returns the user with current data. Without one,
/// refresh tokens are an unsupported subject token type (`invalid_request`, IDP-05).
#[async_trait]
pub trait RefreshTokenValidator: Send + Sync {
    /// Validate `token` presented by the authenticated `client_id`.
    async fn validate(
        &self,
        token: &Secret,
        client_id: &ClientId,
    ) -> Result<SubjectContext, SubjectTokenError>;
}

/// Gives the `sub` the IdP would put in an ID token for the **authorization server** as
/// relying party (IDP-13): for pairwise subject identifiers, a value per AS. Without one,
/// the ID token's `sub` is used.
pub trait SubjectMapper: Send + Sync {
    /// The subject for `user` at the AS `audience`; `None` refuses the request
    /// (`invalid_target`: this user cannot be named to that AS).
    fn subject_for(&self, user: &SubjectContext, audience: &Issuer) -> Option<String>;
}
