//! The resource AS's authorization-code grant with PKCE: the interactive fallback for clients
//! that cannot use EMA (CL-06; RFC 6749 §4.1, RFC 7636, RFC 8707, RFC 9207), on the generic
//! [`crate::authorization_code`] machinery.
//!
//! [`CodeFlow`] hands out the authorization endpoint and the `authorization_code` and
//! `refresh_token` grant handlers; mount the handlers on the same [`TokenEndpoint`] as the
//! [`JwtBearerGrant`](super::JwtBearerGrant) and advertise the flow with
//! [`CodeFlow::advertise`]. Compared with the IdP's OpenID Connect login
//! ([`crate::idp::oidc`]) only two things differ:
//!
//! - **resources**: each request names at most one `resource` among the AS's
//!   [`ResourceConfig`]s (RFC 8707; absent → the only one, when one is
//!   served), anything else is `invalid_target`;
//! - **the token response**: the same RFC 9068 access tokens as the jwt-bearer grant (AS-09
//!   `aud` = the single granted resource, AS-12 `scope` and `resource` in the response, AS-14
//!   lifetime), with `sub` = the [`AuthenticatedUser`](crate::authorization_code::AuthenticatedUser)
//!   the application's [`UserAuthenticator`] signed in — the principal the AS's own
//!   authentication names, as the [`SubjectResolver`](super::SubjectResolver) names it for an
//!   ID-JAG. No ID token.
//!
//! Scopes: those requested, within the resource's scopes (none requested → the resource's
//! default scopes) and the client's allow-list (AS-07); none left → `invalid_scope`.
//!
//! Refresh tokens are issued by this grant only (the jwt-bearer grant never issues one,
//! AS-13), and only to clients registered for the `refresh_token` grant type; they rotate on
//! every use, a used one revokes the family, and a reused code revokes the family of the
//! tokens issued with it (RFC 9700 §4.14.2, RFC 6749 §4.1.2). Access tokens are
//! self-contained JWTs and stay valid until they expire (the resource server does not ask
//! the AS), so keep their lifetime short where that matters.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::mint::AccessTokenMinter;
use ema_metadata::AuthorizationServerMetadataBuilder;
use ema_types::{
    ErrorCode, Form, OneOrMany, ScopeSet, SecureRandom, SystemRandom, TokenResponse, urn,
};
use http::StatusCode;

use super::{AuthorizationServerConfig, ResourceConfig};
use crate::ConfigError;
use crate::authorization_code::{
    AuthorizationCodeConfig, AuthorizationEndpoint, AuthorizationGrants, CodeGrantContext,
    CodeGrantHandler, CodeTokenIssuer, Grant, RefreshGrantHandler, ResourceRule, UserAuthenticator,
    refresh_scope, user_access_token,
};
use crate::client_auth::{AuthenticatedClient, ClientAuthContext, ClientRegistry};
use crate::endpoint::{
    GrantHandler, HttpRequest, HttpResponse, Rejection, TokenEndpoint, json_response,
};
use crate::signing::SigningKeys;

#[derive(Clone)]
struct Inner {
    config: AuthorizationServerConfig,
    code: CodeGrantContext,
    signing: SigningKeys,
    rng: Arc<dyn SecureRandom>,
}

/// The resource AS's code flow: see the [module documentation](self). Cloning shares it.
#[derive(Clone)]
pub struct CodeFlow {
    inner: Arc<Inner>,
}

impl fmt::Debug for CodeFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeFlow")
            .field("issuer", &self.inner.config.issuer)
            .field("code_config", &self.inner.code.code_config)
            .field("grants", &self.inner.code.grants)
            .finish_non_exhaustive()
    }
}

impl CodeFlow {
    /// The code flow of the AS `config`, signing access tokens with `signing` (the keys the
    /// jwt-bearer grant signs with), serving clients of `registry` authenticated with
    /// `client_auth` (whose clock is used throughout), keeping codes and refresh tokens in
    /// `grants` (over the same kind of store as the replay set: memory or Redis). Codes live
    /// 60 s.
    ///
    /// # Errors
    ///
    /// When the configured access-token lifetime is refused.
    pub fn new(
        config: AuthorizationServerConfig,
        signing: SigningKeys,
        registry: Arc<dyn ClientRegistry>,
        client_auth: ClientAuthContext,
        grants: AuthorizationGrants,
    ) -> Result<Self, ConfigError> {
        AccessTokenMinter::new(config.issuer.clone(), signing.active())
            .with_ttl(config.access_token_ttl)
            .map_err(|e| ConfigError::new(e.to_string()))?;
        let code_config = AuthorizationCodeConfig::new(config.issuer.clone())
            .with_scopes_supported(config.all_scopes())
            .with_resources(ResourceRule::OneOf(
                config
                    .resources
                    .iter()
                    .map(|r| r.resource.clone())
                    .collect(),
            ));
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                code: CodeGrantContext {
                    registry,
                    client_auth,
                    grants,
                    code_config,
                },
                signing,
                rng: Arc::new(SystemRandom),
            }),
        })
    }

    /// Set the code lifetime (1 to 600 s; default 60).
    ///
    /// # Errors
    ///
    /// A lifetime out of range.
    pub fn with_code_ttl(self, secs: u64) -> Result<Self, ConfigError> {
        let mut inner = self.into_inner();
        inner.code.code_config = inner.code.code_config.with_code_ttl(secs)?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Draw access-token `jti`s from `rng` (default [`SystemRandom`]; codes and refresh
    /// tokens come from the `grants`' source).
    #[must_use]
    pub fn with_random(self, rng: Arc<dyn SecureRandom>) -> Self {
        let inner = self.into_inner();
        Self {
            inner: Arc::new(Inner { rng, ..inner }),
        }
    }

    fn into_inner(self) -> Inner {
        Arc::try_unwrap(self.inner).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The codes and refresh tokens.
    #[must_use]
    pub fn grants(&self) -> &AuthorizationGrants {
        &self.inner.code.grants
    }

    /// The authorization endpoint, asking `authenticator` about users.
    #[must_use]
    pub fn authorization_endpoint(
        &self,
        authenticator: Arc<dyn UserAuthenticator>,
    ) -> AuthorizationEndpoint {
        self.inner.code.authorization_endpoint(authenticator)
    }

    /// The `authorization_code` grant handler.
    #[must_use]
    pub fn code_grant(&self) -> Arc<dyn GrantHandler> {
        Arc::new(CodeGrantHandler(self.clone()))
    }

    /// The `refresh_token` grant handler (for this grant's refresh tokens only).
    #[must_use]
    pub fn refresh_grant(&self) -> Arc<dyn GrantHandler> {
        Arc::new(RefreshGrantHandler(self.clone()))
    }

    /// `endpoint` also serving `authorization_code` and `refresh_token` (next to the
    /// jwt-bearer grant).
    #[must_use]
    pub fn mount(&self, endpoint: TokenEndpoint) -> TokenEndpoint {
        endpoint
            .with_grant(urn::GRANT_TYPE_AUTHORIZATION_CODE, self.code_grant())
            .with_grant(urn::GRANT_TYPE_REFRESH_TOKEN, self.refresh_grant())
    }

    /// `builder` (from
    /// [`AuthorizationServerConfig::metadata_builder`](super::AuthorizationServerConfig::metadata_builder))
    /// advertising the flow (AS-15): `authorization_endpoint`, `response_types_supported`
    /// `["code"]`, `code_challenge_methods_supported` `["S256"]`,
    /// `authorization_response_iss_parameter_supported`, and `grant_types_supported` with
    /// `authorization_code` and `refresh_token` beside the jwt-bearer grant (the builder keeps
    /// `authorization_grant_profiles_supported`).
    ///
    /// # Errors
    ///
    /// When `authorization_endpoint` is not a URL.
    pub fn advertise(
        builder: AuthorizationServerMetadataBuilder,
        authorization_endpoint: &str,
    ) -> Result<AuthorizationServerMetadataBuilder, ConfigError> {
        let url = authorization_endpoint
            .parse()
            .map_err(|_| ConfigError::new("authorization_endpoint is not a URL"))?;
        Ok(builder
            .authorization_endpoint(url)
            .response_types_supported(["code"])
            .code_challenge_methods_supported(["S256"])
            .authorization_response_iss_parameter_supported(true)
            .grant_types_supported([
                urn::GRANT_TYPE_AUTHORIZATION_CODE,
                urn::GRANT_TYPE_REFRESH_TOKEN,
                urn::GRANT_TYPE_JWT_BEARER,
            ]))
    }

    /// The served resource of a grant (AS-09: exactly one).
    fn resource(&self, grant: &Grant) -> Result<&ResourceConfig, Rejection> {
        match grant.resources.as_slice() {
            [one] => self.inner.config.resource(one.as_str()).ok_or_else(|| {
                Rejection::new(
                    ErrorCode::InvalidGrant,
                    "the grant's resource is no longer served",
                )
            }),
            _ => Err(Rejection::new(
                ErrorCode::InvalidGrant,
                "a code-flow grant names exactly one resource",
            )),
        }
    }

    /// The scope of the access token: requested ∩ resource scopes (none requested → the
    /// resource defaults) ∩ the client's allow-list (AS-07).
    fn scope(
        resource: &ResourceConfig,
        requested: &ScopeSet,
        client: &AuthenticatedClient,
    ) -> Result<ScopeSet, Rejection> {
        let base = if requested.is_empty() {
            resource.default_scopes.clone()
        } else {
            requested.clone()
        };
        let mut scope = base.intersection(&resource.scopes);
        if let Some(allowed) = &client.client.scopes {
            scope = scope.intersection(allowed);
        }
        if scope.is_empty() {
            return Err(
                Rejection::new(ErrorCode::InvalidScope, "no grantable scope (AS-07)")
                    .describe("scope not granted"),
            );
        }
        Ok(scope)
    }

    fn respond(
        &self,
        grant: &Grant,
        resource: &ResourceConfig,
        scope: ScopeSet,
        refresh_token: Option<ema_types::Secret>,
    ) -> Result<HttpResponse, Rejection> {
        let server = |e: ema_jwt::Error| {
            Rejection::new(ErrorCode::ServerError, e.to_string())
                .with_status(StatusCode::INTERNAL_SERVER_ERROR)
        };
        let at = user_access_token(grant, resource.resource.clone(), scope.clone());
        let minter = AccessTokenMinter::new(
            self.inner.config.issuer.clone(),
            self.inner.signing.active(),
        )
        .with_ttl(self.inner.config.access_token_ttl)
        .map_err(server)?;
        let clock = self.inner.code.client_auth.clock();
        let minted = minter
            .mint(at, &**clock, &*self.inner.rng)
            .map_err(server)?;
        let mut body = TokenResponse::bearer(minted.token, minter.ttl(), scope);
        body.resource = Some(OneOrMany::One(resource.resource.as_str().to_owned()));
        body.refresh_token = refresh_token;
        Ok(json_response(StatusCode::OK, &body))
    }
}

#[async_trait]
impl CodeTokenIssuer for CodeFlow {
    async fn redeem(&self, request: &HttpRequest, form: &Form) -> Result<HttpResponse, Rejection> {
        let client = self
            .inner
            .code
            .client(request, form, urn::GRANT_TYPE_AUTHORIZATION_CODE)
            .await?;
        let now = self.inner.code.now();
        let grant = self
            .inner
            .code
            .grants
            .redeem_code(form, &client.client_id, now)
            .await?;
        let resource = self.resource(&grant)?;
        let scope = Self::scope(resource, &grant.scope, &client)?;
        let refresh_token = if client.client.allows_grant(urn::GRANT_TYPE_REFRESH_TOKEN) {
            let mut kept = grant.clone();
            kept.scope = scope.clone();
            Some(
                self.inner
                    .code
                    .grants
                    .issue_refresh_token(&kept, now)
                    .await?,
            )
        } else {
            None
        };
        tracing::info!(
            client_id = %client.client_id,
            resource = resource.resource.as_str(),
            "authorization code redeemed; access token issued"
        );
        self.respond(&grant, resource, scope, refresh_token)
    }

    async fn refresh(&self, request: &HttpRequest, form: &Form) -> Result<HttpResponse, Rejection> {
        let client = self
            .inner
            .code
            .client(request, form, urn::GRANT_TYPE_REFRESH_TOKEN)
            .await?;
        let now = self.inner.code.now();
        let (grant, asked) = self
            .inner
            .code
            .rotate_presented_refresh_token(form, &client.client_id, now)
            .await?;
        let resource = self.resource(&grant)?;
        // AS-07: never an access token without scope.
        let scope = refresh_scope(asked, &grant.scope, false)?;
        let refresh_token = self
            .inner
            .code
            .grants
            .issue_refresh_token(&grant, now)
            .await?;
        tracing::info!(client_id = %client.client_id, "refresh token rotated");
        self.respond(&grant, resource, scope, Some(refresh_token))
    }
}
