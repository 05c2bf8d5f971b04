//! What the `authorization_code` and `refresh_token` grants share, whoever answers them (the
//! IdP's OpenID Connect provider, the resource AS's code flow): the [`CodeGrantContext`]
//! (authorization endpoint, client authentication for the grant type, reading and rotating a
//! presented refresh token), the narrowed refresh scope, the access-token grant of a
//! signed-in user, and the [`GrantHandler`]s over a [`CodeTokenIssuer`].

use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::mint::AccessTokenGrant;
use ema_types::{ClientId, ErrorCode, Form, Resource, ScopeSet};

use super::{
    AuthorizationCodeConfig, AuthorizationEndpoint, AuthorizationGrants, Grant, UserAuthenticator,
};
use crate::client_auth::{AuthenticatedClient, ClientAuthContext, ClientRegistry, authenticate};
use crate::endpoint::{GrantHandler, HttpRequest, HttpResponse, Rejection};

/// The clients, their authentication, the codes and refresh tokens and the authorization
/// endpoint's configuration of one code flow.
#[derive(Clone)]
pub(crate) struct CodeGrantContext {
    pub(crate) registry: Arc<dyn ClientRegistry>,
    /// Whose clock is used throughout.
    pub(crate) client_auth: ClientAuthContext,
    pub(crate) grants: AuthorizationGrants,
    pub(crate) code_config: AuthorizationCodeConfig,
}

impl CodeGrantContext {
    /// The authorization endpoint, asking `authenticator` about users.
    pub(crate) fn authorization_endpoint(
        &self,
        authenticator: Arc<dyn UserAuthenticator>,
    ) -> AuthorizationEndpoint {
        AuthorizationEndpoint::new(
            self.code_config.clone(),
            Arc::clone(&self.registry),
            authenticator,
            self.grants.clone(),
            Arc::clone(self.client_auth.clock()),
        )
    }

    /// Now, by the injected clock.
    pub(crate) fn now(&self) -> u64 {
        self.client_auth.clock().now_unix()
    }

    /// The client of a token request, authenticated and registered for `grant_type` (else
    /// `unauthorized_client`).
    pub(crate) async fn client(
        &self,
        request: &HttpRequest,
        form: &Form,
        grant_type: &str,
    ) -> Result<AuthenticatedClient, Rejection> {
        let client = authenticate(request, form, &*self.registry, &self.client_auth).await?;
        if !client.client.allows_grant(grant_type) {
            return Err(Rejection::new(
                ErrorCode::UnauthorizedClient,
                format!("client is not registered for the {grant_type} grant"),
            ));
        }
        Ok(client)
    }

    /// Spend the `refresh_token` of a refresh request by `client_id` (RFC 6749 §6): the
    /// grant it carried and the `scope` asked for, if any (not yet checked against the
    /// grant).
    pub(crate) async fn rotate_presented_refresh_token(
        &self,
        form: &Form,
        client_id: &ClientId,
        now: u64,
    ) -> Result<(Grant, Option<ScopeSet>), Rejection> {
        let presented = form.required("refresh_token")?;
        let asked = match form.optional("scope")? {
            Some(s) => Some(
                ScopeSet::parse(s)
                    .map_err(|_| Rejection::new(ErrorCode::InvalidScope, "malformed scope"))?,
            ),
            None => None,
        };
        let grant = self
            .grants
            .rotate_refresh_token(presented, client_id, now)
            .await?;
        Ok((grant, asked))
    }
}

/// The scope of a refresh (RFC 6749 §6): the `asked` one when within `granted` (and not
/// empty, unless `allow_empty`), else `granted`; the refresh token keeps the original grant.
pub(crate) fn refresh_scope(
    asked: Option<ScopeSet>,
    granted: &ScopeSet,
    allow_empty: bool,
) -> Result<ScopeSet, Rejection> {
    match asked {
        Some(asked) if !asked.is_subset(granted) || (!allow_empty && asked.is_empty()) => {
            Err(Rejection::new(
                ErrorCode::InvalidScope,
                "refresh asks for scopes beyond the original grant",
            ))
        }
        Some(asked) => Ok(asked),
        None => Ok(granted.clone()),
    }
}

/// An access token of `scope` on `audience` for `grant`'s client, acting for its user (with
/// the user's `auth_time`, `acr` and `amr`).
pub(crate) fn user_access_token(
    grant: &Grant,
    audience: Resource,
    scope: ScopeSet,
) -> AccessTokenGrant {
    let mut at = AccessTokenGrant::new(
        grant.user.subject.clone(),
        audience,
        grant.client_id.clone(),
        scope,
    );
    at.auth_time = grant.user.auth_time;
    at.acr = grant.user.acr.clone();
    at.amr = grant.user.amr.clone();
    at
}

/// Answers the `authorization_code` and `refresh_token` grants.
#[async_trait]
pub(crate) trait CodeTokenIssuer: Send + Sync + 'static {
    /// The `authorization_code` grant.
    async fn redeem(&self, request: &HttpRequest, form: &Form) -> Result<HttpResponse, Rejection>;
    /// The `refresh_token` grant.
    async fn refresh(&self, request: &HttpRequest, form: &Form) -> Result<HttpResponse, Rejection>;
}

/// The `authorization_code` grant handler of `T`.
pub(crate) struct CodeGrantHandler<T>(pub(crate) T);

#[async_trait]
impl<T: CodeTokenIssuer> GrantHandler for CodeGrantHandler<T> {
    async fn handle(&self, request: &HttpRequest, form: &Form) -> HttpResponse {
        self.0
            .redeem(request, form)
            .await
            .unwrap_or_else(Rejection::into_response)
    }
}

/// The `refresh_token` grant handler of `T`.
pub(crate) struct RefreshGrantHandler<T>(pub(crate) T);

#[async_trait]
impl<T: CodeTokenIssuer> GrantHandler for RefreshGrantHandler<T> {
    async fn handle(&self, request: &HttpRequest, form: &Form) -> HttpResponse {
        self.0
            .refresh(request, form)
            .await
            .unwrap_or_else(Rejection::into_response)
    }
}
