//! User authentication: an application trait, so the library never owns passwords.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::AuthorizationRequest;
use crate::endpoint::{HttpRequest, HttpResponse};

/// The user who signed in, as the authorization endpoint records them with the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthenticatedUser {
    /// The user's identifier (`sub`).
    pub subject: String,
    /// `email`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When the user authenticated (Unix seconds; `auth_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// `acr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// `amr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

impl AuthenticatedUser {
    /// A user known by `subject`, with nothing else known.
    #[must_use]
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            email: None,
            auth_time: None,
            acr: None,
            amr: None,
        }
    }

    /// Set `email`.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Set `auth_time`.
    #[must_use]
    pub fn with_auth_time(mut self, auth_time: u64) -> Self {
        self.auth_time = Some(auth_time);
        self
    }

    /// Set `acr`.
    #[must_use]
    pub fn with_acr(mut self, acr: impl Into<String>) -> Self {
        self.acr = Some(acr.into());
        self
    }

    /// Set `amr`.
    #[must_use]
    pub fn with_amr<I, S>(mut self, amr: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.amr = Some(amr.into_iter().map(Into::into).collect());
        self
    }
}

/// What the application decided about the user of an authorization request.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthenticationOutcome {
    /// The user is signed in and consents: a code is issued and the user agent redirected
    /// with `code`, `state` and `iss`.
    Authenticated(AuthenticatedUser),
    /// Answer with this response (a login or consent page, a redirect to the application's
    /// sign-in); the user agent comes back to the authorization endpoint afterwards.
    Respond(HttpResponse),
    /// The user (or the application's policy) refused: redirect with `error=access_denied`
    /// (RFC 6749 §4.1.2.1).
    Denied,
    /// The user must sign in and cannot here (for example `prompt=none`): redirect with
    /// `error=login_required` (OpenID Connect Core §3.1.2.6).
    LoginRequired,
}

/// Authenticates the user of a validated authorization request. Implemented by the
/// application (sessions, login pages, MFA, consent): the library never sees a password.
///
/// It runs only after the client, the redirect URI, `response_type`, PKCE, scope and resource
/// have been checked, so a [`AuthenticationOutcome::Respond`] page can trust them.
#[async_trait]
pub trait UserAuthenticator: Send + Sync {
    /// Decide about the user behind `http` (cookies, a posted login form, …).
    async fn authenticate(
        &self,
        request: &AuthorizationRequest,
        http: &HttpRequest,
    ) -> AuthenticationOutcome;
}
