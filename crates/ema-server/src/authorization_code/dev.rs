//! **Development only**: sign users in by `login_hint`, with no page and no password.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use ema_types::Clock;

use super::{AuthenticatedUser, AuthenticationOutcome, AuthorizationRequest, UserAuthenticator};
use crate::endpoint::HttpRequest;

/// A configured development user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DevUser {
    /// `sub`, and the `login_hint` that signs this user in.
    pub subject: String,
    /// `email`.
    pub email: Option<String>,
}

impl DevUser {
    /// A user named `subject`.
    #[must_use]
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            email: None,
        }
    }

    /// Set the user's `email`.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
}

/// **DEVELOPMENT ONLY — NEVER IN PRODUCTION.** A [`UserAuthenticator`] that signs in, without
/// any page, password or consent, the configured user whose `sub` equals the request's
/// `login_hint`. Anyone who can reach the authorization endpoint can sign in as any
/// configured user. It exists so a local stack (`ema serve`) and tests can run the
/// authorization-code flow without a browser.
///
/// No `login_hint` → `login_required`; an unknown one → `access_denied`. `auth_time` is the
/// injected clock's time. A warning is logged when one is built.
#[derive(Debug, Clone)]
pub struct DevLoginHintAuthenticator {
    users: HashMap<String, DevUser>,
    clock: Arc<dyn Clock>,
}

impl DevLoginHintAuthenticator {
    /// Sign in `users` by `login_hint`, stamping `auth_time` from `clock`.
    #[must_use]
    pub fn new(users: impl IntoIterator<Item = DevUser>, clock: Arc<dyn Clock>) -> Self {
        tracing::warn!(
            "DevLoginHintAuthenticator: users are signed in by login_hint without a password \
             (development only)"
        );
        Self {
            users: users.into_iter().map(|u| (u.subject.clone(), u)).collect(),
            clock,
        }
    }
}

#[async_trait]
impl UserAuthenticator for DevLoginHintAuthenticator {
    async fn authenticate(
        &self,
        request: &AuthorizationRequest,
        _http: &HttpRequest,
    ) -> AuthenticationOutcome {
        let Some(hint) = request.login_hint.as_deref() else {
            return AuthenticationOutcome::LoginRequired;
        };
        match self.users.get(hint) {
            Some(user) => {
                let mut signed_in = AuthenticatedUser::new(user.subject.clone())
                    .with_auth_time(self.clock.now_unix());
                signed_in.email = user.email.clone();
                AuthenticationOutcome::Authenticated(signed_in)
            }
            None => AuthenticationOutcome::Denied,
        }
    }
}
