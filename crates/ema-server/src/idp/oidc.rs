//! The IdP's OpenID Connect login: authorization code + PKCE (CL-01, CL-02; EMA-S §7.5.2–7.5.4)
//! issuing the ID tokens (and refresh tokens) the token exchange starts from.
//!
//! [`OidcProvider`] holds what the pieces share and hands out:
//!
//! - [`OidcProvider::authorization_endpoint`]: the generic
//!   [`AuthorizationEndpoint`] with `openid` required and `resource` refused;
//! - [`OidcProvider::token_endpoint`]: a [`TokenEndpoint`] serving `authorization_code` and
//!   `refresh_token`; add the [`TokenExchangeGrant`](super::TokenExchangeGrant) to it so all
//!   three grants share one token endpoint (IDP-01);
//! - [`OidcProvider::id_token_keys`]: the [`KeySource`] under which the token exchange
//!   accepts this IdP's own ID tokens (IDP-06), and
//!   [`OidcProvider::refresh_token_validator`]: its refresh tokens as subject tokens (IDP-08);
//! - [`OidcProvider::metadata`]: the discovery document's code-flow members (IDP-21).
//!
//! The `authorization_code` grant: client authentication (`client_secret_basic`,
//! `client_secret_post`, `private_key_jwt`; public clients only where the
//! [`ClientAuthContext`] allows them), the client registered for `authorization_code` (else
//! `unauthorized_client`), the code redeemed once with `redirect_uri` and `code_verifier`
//! ([`AuthorizationGrants::redeem_code`]), then an ID token (`typ` `JWT`; `iss`, `sub`,
//! `aud` = `azp` = client id, `exp`, `iat`, `auth_time`, `nonce`, `email`, `acr`, `amr`), an
//! RFC 9068 access token whose `aud` is the IdP issuer, and a refresh token when
//! `offline_access` was granted. The `refresh_token` grant rotates the refresh token on every
//! use; a used one revokes its family (RFC 9700 §4.14.2).
//!
//! ```
//! use std::sync::Arc;
//! use ema_jwt::{Algorithm, SigningKey};
//! use ema_server::authorization_code::{DevLoginHintAuthenticator, DevUser};
//! use ema_server::client_auth::{ClientAuthContext, RegisteredClient, StaticClientRegistry};
//! use ema_server::idp::oidc::OidcProvider;
//! use ema_server::idp::{IdpConfig, StaticPolicy, TokenExchangeGrant, TrustedAudience};
//! use ema_server::replay::MemoryReplayStore;
//! use ema_server::signing::SigningKeys;
//! use ema_types::{ClientId, Issuer, Resource, Secret, SystemClock, urn};
//!
//! let issuer = Issuer::new("https://login.acme-idp.test")?;
//! let signing = SigningKeys::new(SigningKey::generate(Algorithm::ES256)?);
//! let registry = Arc::new(StaticClientRegistry::new().with_client(
//!     RegisteredClient::confidential(ClientId::new("ema-cli")?)
//!         .with_secret(Secret::new("cli-secret"))
//!         .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE)
//!         .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE)
//!         .with_redirect_uri("http://127.0.0.1/callback"), // any port (RFC 8252 §7.3)
//! ));
//! let clock = Arc::new(SystemClock);
//! let client_auth =
//!     ClientAuthContext::new(issuer.clone(), Arc::new(MemoryReplayStore::new(10_000)), clock.clone());
//! let provider =
//!     OidcProvider::builder(issuer.clone(), signing.clone(), registry.clone(), client_auth.clone())
//!         .build()?;
//! // Development only: signs in `login_hint=alice` without a page.
//! let authorize = provider.authorization_endpoint(Arc::new(DevLoginHintAuthenticator::new(
//!     [DevUser::new("alice").with_email("alice@acme.test")],
//!     clock,
//! )));
//! let config = IdpConfig::builder(issuer.clone())
//!     .audience(
//!         TrustedAudience::new(Issuer::new("https://as.toolhub.test")?)
//!             .resource(Resource::new("https://tools.toolhub.test/mcp")?),
//!     )
//!     .build()?;
//! let metadata = provider.metadata(config.metadata(
//!     "https://login.acme-idp.test/authorize",
//!     "https://login.acme-idp.test/token",
//!     "https://login.acme-idp.test/jwks",
//!     false,
//! )?);
//! assert_eq!(metadata.code_challenge_methods_supported, ["S256"]);
//! let exchange = TokenExchangeGrant::new(
//!     config,
//!     signing.clone(),
//!     provider.id_token_keys(), // trust this IdP's own ID tokens
//!     registry,
//!     client_auth,
//!     Arc::new(StaticPolicy::new()),
//! )?
//! .with_refresh_tokens(provider.refresh_token_validator());
//! // One token endpoint: authorization_code, refresh_token and the token exchange.
//! let endpoint = provider
//!     .token_endpoint()
//!     .with_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE, Arc::new(exchange));
//! // With the `axum` feature:
//! // IdpRouter::new(endpoint, signing, metadata).with_authorization_endpoint(authorize).build()?
//! # let _ = (endpoint, authorize);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::KeySet;
use ema_jwt::mint::{AccessTokenMinter, ID_TOKEN_DEFAULT_TTL_SECS, IdTokenGrant, IdTokenMinter};
use ema_metadata::AuthorizationServerMetadata;
use ema_types::{
    ClientId, ErrorCode, Form, Issuer, Resource, ScopeSet, Secret, SecureRandom, SystemRandom,
    TokenResponse, urn,
};
use http::StatusCode;

use super::{RefreshTokenValidator, SubjectContext, SubjectTokenError};
use crate::ConfigError;
use crate::authorization_code::{
    AuthorizationCodeConfig, AuthorizationEndpoint, AuthorizationGrants, CodeGrantContext,
    CodeGrantHandler, CodeTokenIssuer, Grant, GrantStore, MemoryGrantStore, RefreshGrantHandler,
    ResourceRule, UserAuthenticator, refresh_scope, user_access_token,
};
use crate::client_auth::{ClientAuthContext, ClientRegistry};
use crate::endpoint::{
    GrantHandler, HttpRequest, HttpResponse, Rejection, TokenEndpoint, json_response,
};
use crate::keys::{KeySource, KeySourceError};
use crate::signing::SigningKeys;

/// Default capacity of the in-memory grant store an [`OidcProvider`] uses when none is given.
pub const DEFAULT_MEMORY_STORE_CAPACITY: usize = 10_000;
/// Default lifetime of the IdP access token: 3600 s.
pub const DEFAULT_IDP_ACCESS_TOKEN_TTL_SECS: u64 = 3600;
/// The `offline_access` scope: a refresh token is issued when it is granted (OpenID Connect
/// Core §11; CL-01).
pub const SCOPE_OFFLINE_ACCESS: &str = "offline_access";

struct Inner {
    issuer: Issuer,
    signing: SigningKeys,
    code: CodeGrantContext,
    id_token_ttl: u64,
    access_token_ttl: u64,
    access_token_audience: Resource,
    rng: Arc<dyn SecureRandom>,
}

/// The IdP's OpenID Connect provider: see the [module documentation](self). Cloning shares it.
#[derive(Clone)]
pub struct OidcProvider {
    inner: Arc<Inner>,
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.inner.issuer)
            .field("code_config", &self.inner.code.code_config)
            .field("grants", &self.inner.code.grants)
            .field("id_token_ttl", &self.inner.id_token_ttl)
            .field("access_token_ttl", &self.inner.access_token_ttl)
            .finish_non_exhaustive()
    }
}

/// Builds an [`OidcProvider`].
#[must_use]
pub struct OidcProviderBuilder {
    issuer: Issuer,
    signing: SigningKeys,
    registry: Arc<dyn ClientRegistry>,
    client_auth: ClientAuthContext,
    store: Option<Arc<dyn GrantStore>>,
    rng: Arc<dyn SecureRandom>,
    code_ttl: u64,
    id_token_ttl: u64,
    access_token_ttl: u64,
    refresh_token_ttl: u64,
    scopes_supported: Vec<String>,
}

impl fmt::Debug for OidcProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProviderBuilder")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl OidcProviderBuilder {
    /// Keep codes and refresh tokens in `store` (default: a [`MemoryGrantStore`] of
    /// [`DEFAULT_MEMORY_STORE_CAPACITY`] entries; use a shared store such as
    /// `RedisGrantStore` when several instances serve the IdP).
    pub fn store(mut self, store: Arc<dyn GrantStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Draw codes, refresh tokens and `jti`s from `rng` (default [`SystemRandom`]).
    pub fn random(mut self, rng: Arc<dyn SecureRandom>) -> Self {
        self.rng = rng;
        self
    }

    /// Authorization-code lifetime (default 60 s, at most 600).
    pub fn code_ttl(mut self, secs: u64) -> Self {
        self.code_ttl = secs;
        self
    }

    /// ID-token lifetime (default 3600 s, at most 86400).
    pub fn id_token_ttl(mut self, secs: u64) -> Self {
        self.id_token_ttl = secs;
        self
    }

    /// Access-token lifetime (default 3600 s, at most 86400).
    pub fn access_token_ttl(mut self, secs: u64) -> Self {
        self.access_token_ttl = secs;
        self
    }

    /// Refresh-token family lifetime from the code's redemption (default 30 days, at most
    /// 365).
    pub fn refresh_token_ttl(mut self, secs: u64) -> Self {
        self.refresh_token_ttl = secs;
        self
    }

    /// The scopes that may be granted and are advertised (default `openid`, `email`,
    /// `profile`, `offline_access`); `openid` is always added.
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Check and build.
    ///
    /// # Errors
    ///
    /// A lifetime out of range, a malformed scope, or an issuer that is not usable as the
    /// access tokens' `aud`.
    pub fn build(self) -> Result<OidcProvider, ConfigError> {
        let bad = |e: &dyn fmt::Display| ConfigError::new(e.to_string());
        let mut scopes = ScopeSet::from_scopes(self.scopes_supported).map_err(|e| bad(&e))?;
        scopes.insert(ema_types::Scope::new("openid").map_err(|e| bad(&e))?);
        let code_config = AuthorizationCodeConfig::new(self.issuer.clone())
            .with_code_ttl(self.code_ttl)?
            .require_openid(true)
            .with_scopes_supported(scopes)
            .with_resources(ResourceRule::Refused);
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryGrantStore::new(DEFAULT_MEMORY_STORE_CAPACITY)));
        let grants = AuthorizationGrants::new(store)
            .with_random(Arc::clone(&self.rng))
            .with_refresh_token_ttl(self.refresh_token_ttl)?;
        // Fail now, not per request.
        IdTokenMinter::new(self.issuer.clone(), self.signing.active())
            .with_ttl(self.id_token_ttl)
            .map_err(|e| bad(&e))?;
        AccessTokenMinter::new(self.issuer.clone(), self.signing.active())
            .with_ttl(self.access_token_ttl)
            .map_err(|e| bad(&e))?;
        let access_token_audience = Resource::new(self.issuer.as_str()).map_err(|e| bad(&e))?;
        Ok(OidcProvider {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                signing: self.signing,
                code: CodeGrantContext {
                    registry: self.registry,
                    client_auth: self.client_auth,
                    grants,
                    code_config,
                },
                id_token_ttl: self.id_token_ttl,
                access_token_ttl: self.access_token_ttl,
                access_token_audience,
                rng: self.rng,
            }),
        })
    }
}

impl OidcProvider {
    /// Start a provider for the IdP `issuer`, signing with `signing` (the keys the
    /// token exchange signs ID-JAGs with, published at the IdP's `jwks_uri`), serving the
    /// clients of `registry` authenticated with `client_auth` (whose clock is used
    /// throughout).
    pub fn builder(
        issuer: Issuer,
        signing: SigningKeys,
        registry: Arc<dyn ClientRegistry>,
        client_auth: ClientAuthContext,
    ) -> OidcProviderBuilder {
        OidcProviderBuilder {
            issuer,
            signing,
            registry,
            client_auth,
            store: None,
            rng: Arc::new(SystemRandom),
            code_ttl: crate::authorization_code::DEFAULT_CODE_TTL_SECS,
            id_token_ttl: ID_TOKEN_DEFAULT_TTL_SECS,
            access_token_ttl: DEFAULT_IDP_ACCESS_TOKEN_TTL_SECS,
            refresh_token_ttl: crate::authorization_code::DEFAULT_REFRESH_TOKEN_TTL_SECS,
            scopes_supported: ["openid", "email", "profile", SCOPE_OFFLINE_ACCESS]
                .map(str::to_owned)
                .to_vec(),
        }
    }

    /// The IdP issuer.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.inner.issuer
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

    /// The `refresh_token` grant handler.
    #[must_use]
    pub fn refresh_grant(&self) -> Arc<dyn GrantHandler> {
        Arc::new(RefreshGrantHandler(self.clone()))
    }

    /// A token endpoint serving `authorization_code` and `refresh_token`; add the token
    /// exchange with [`TokenEndpoint::with_grant`].
    #[must_use]
    pub fn token_endpoint(&self) -> TokenEndpoint {
        TokenEndpoint::new()
            .with_grant(urn::GRANT_TYPE_AUTHORIZATION_CODE, self.code_grant())
            .with_grant(urn::GRANT_TYPE_REFRESH_TOKEN, self.refresh_grant())
    }

    /// The keys under which the token exchange accepts this IdP's own ID tokens (IDP-06):
    /// the signing keys' verifying keys (active and previous), for this issuer only. Give it
    /// to [`TokenExchangeGrant::new`](super::TokenExchangeGrant::new) as `id_token_keys`, and
    /// keep the signing key's algorithm among
    /// [`IdpConfigBuilder::id_token_algorithms`](super::IdpConfigBuilder::id_token_algorithms)
    /// (default ES256, RS256).
    #[must_use]
    pub fn id_token_keys(&self) -> Arc<dyn KeySource> {
        Arc::new(OwnIdTokenKeys {
            issuer: self.inner.issuer.clone(),
            signing: self.inner.signing.clone(),
        })
    }

    /// This IdP's refresh tokens as token-exchange subject tokens (IDP-08): checked without
    /// being spent (issued here, to this client, not expired, not used, family not revoked).
    /// Give it to
    /// [`TokenExchangeGrant::with_refresh_tokens`](super::TokenExchangeGrant::with_refresh_tokens).
    #[must_use]
    pub fn refresh_token_validator(&self) -> Arc<dyn RefreshTokenValidator> {
        Arc::new(OwnRefreshTokens {
            provider: self.clone(),
        })
    }

    /// `base` (from [`IdpConfig::metadata`](super::IdpConfig::metadata)) with the code flow
    /// advertised (IDP-21): `response_types_supported` `["code"]`,
    /// `code_challenge_methods_supported` `["S256"]`, `grant_types_supported` with
    /// `authorization_code`, `refresh_token` and the token exchange,
    /// `authorization_response_iss_parameter_supported`, `scopes_supported`,
    /// `subject_types_supported` `["public"]`, `id_token_signing_alg_values_supported` (the
    /// active key's algorithm), `claims_supported`, and `token_endpoint_auth_methods_supported`
    /// with `client_secret_basic` and `client_secret_post`.
    #[must_use]
    pub fn metadata(&self, mut base: AuthorizationServerMetadata) -> AuthorizationServerMetadata {
        fn add(list: &mut Vec<String>, items: &[&str]) {
            for item in items {
                if !list.iter().any(|x| x == item) {
                    list.push((*item).to_owned());
                }
            }
        }
        base.response_types_supported = vec!["code".to_owned()];
        base.code_challenge_methods_supported = vec!["S256".to_owned()];
        add(
            &mut base.grant_types_supported,
            &[
                urn::GRANT_TYPE_AUTHORIZATION_CODE,
                urn::GRANT_TYPE_REFRESH_TOKEN,
                urn::GRANT_TYPE_TOKEN_EXCHANGE,
            ],
        );
        add(
            &mut base.token_endpoint_auth_methods_supported,
            &["client_secret_basic", "client_secret_post"],
        );
        base.authorization_response_iss_parameter_supported = Some(true);
        if let Some(scopes) = self.inner.code.code_config.scopes_supported() {
            base.scopes_supported = scopes.iter().map(|s| s.as_str().to_owned()).collect();
        }
        add(&mut base.subject_types_supported, &["public"]);
        base.id_token_signing_alg_values_supported =
            vec![self.inner.signing.active().algorithm().as_str().to_owned()];
        add(
            &mut base.claims_supported,
            &[
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "azp",
                "email",
                "acr",
                "amr",
            ],
        );
        base
    }

    /// The token response for `grant` with `scope` (a subset of the grant's).
    fn respond(
        &self,
        grant: &Grant,
        scope: ScopeSet,
        nonce: Option<String>,
        refresh_token: Option<Secret>,
    ) -> Result<HttpResponse, Rejection> {
        let clock = self.inner.code.client_auth.clock();
        let key = self.inner.signing.active();
        let server = |e: ema_jwt::Error| Rejection::new(ErrorCode::ServerError, e.to_string());
        let mut id = IdTokenGrant::new(grant.user.subject.clone(), grant.client_id.clone());
        id.nonce = nonce;
        id.auth_time = grant.user.auth_time;
        id.acr = grant.user.acr.clone();
        id.amr = grant.user.amr.clone();
        id.email = grant.user.email.clone();
        let id_token = IdTokenMinter::new(self.inner.issuer.clone(), key.clone())
            .with_ttl(self.inner.id_token_ttl)
            .map_err(server)?
            .mint(id, &**clock, &*self.inner.rng)
            .map_err(server)?;
        let at = user_access_token(
            grant,
            self.inner.access_token_audience.clone(),
            scope.clone(),
        );
        let minter = AccessTokenMinter::new(self.inner.issuer.clone(), key)
            .with_ttl(self.inner.access_token_ttl)
            .map_err(server)?;
        let access_token = minter
            .mint(at, &**clock, &*self.inner.rng)
            .map_err(server)?;
        let mut body = TokenResponse::bearer(access_token.token, minter.ttl(), scope);
        body.id_token = Some(id_token.token);
        body.refresh_token = refresh_token;
        Ok(json_response(StatusCode::OK, &body))
    }
}

#[async_trait]
impl CodeTokenIssuer for OidcProvider {
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
        let refresh_token = if grant.scope.contains(SCOPE_OFFLINE_ACCESS) {
            Some(
                self.inner
                    .code
                    .grants
                    .issue_refresh_token(&grant, now)
                    .await?,
            )
        } else {
            None
        };
        tracing::info!(client_id = %client.client_id, "authorization code redeemed; ID token issued");
        self.respond(
            &grant,
            grant.scope.clone(),
            grant.nonce.clone(),
            refresh_token,
        )
    }

    async fn refresh(&self, request: &HttpRequest, form: &Form) -> Result<HttpResponse, Rejection> {
        let client = self
            .inner
            .code
            .client(request, form, urn::GRANT_TYPE_AUTHORIZATION_CODE)
            .await?;
        let now = self.inner.code.now();
        let (grant, asked) = self
            .inner
            .code
            .rotate_presented_refresh_token(form, &client.client_id, now)
            .await?;
        // RFC 6749 §6: a narrower scope may be asked for; the new refresh token keeps the
        // original grant.
        let scope = refresh_scope(asked, &grant.scope, true)?;
        let refresh_token = self
            .inner
            .code
            .grants
            .issue_refresh_token(&grant, now)
            .await?;
        tracing::info!(client_id = %client.client_id, "refresh token rotated");
        self.respond(&grant, scope, None, Some(refresh_token))
    }
}

/// The IdP's own verifying keys, for its own issuer only.
struct OwnIdTokenKeys {
    issuer: Issuer,
    signing: SigningKeys,
}

#[async_trait]
impl KeySource for OwnIdTokenKeys {
    async fn keys(
        &self,
        issuer: &Issuer,
        _kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        if issuer != &self.issuer {
            return Err(KeySourceError::UnknownIssuer);
        }
        Ok(Arc::new(self.signing.key_set()))
    }
}

struct OwnRefreshTokens {
    provider: OidcProvider,
}

#[async_trait]
impl RefreshTokenValidator for OwnRefreshTokens {
    async fn validate(
        &self,
        token: &Secret,
        client_id: &ClientId,
    ) -> Result<SubjectContext, SubjectTokenError> {
        let grant = self
            .provider
            .inner
            .code
            .grants
            .inspect_refresh_token(token.expose(), client_id, self.provider.inner.code.now())
            .await
            .map_err(|r| SubjectTokenError(r.log_reason))?;
        let mut user = SubjectContext::new(grant.user.subject);
        user.auth_time = grant.user.auth_time;
        user.acr = grant.user.acr;
        user.amr = grant.user.amr;
        user.email = grant.user.email;
        Ok(user)
    }
}
