//! axum adapters (feature `axum`): routers for each role and the generic conversions between
//! axum and the sans-IO handlers.
//!
//! | router | serves |
//! |---|---|
//! | [`IdpRouter`] | `POST` token endpoint (token exchange next to the IdP's own grants), `GET` JWKS, `GET` metadata at the RFC 8414 and the OpenID Connect well-known URLs; optionally the `GET`/`POST` authorization endpoint of the OpenID Connect login ([`crate::idp::oidc`]) |
//! | [`AuthorizationServerRouter`] | `POST` token endpoint (jwt-bearer next to the AS's own grants), `GET` JWKS, `GET` RFC 8414 metadata; optionally the `GET`/`POST` authorization endpoint of the code-flow fallback |
//! | [`ResourceServerRouter`] | the protected-resource metadata (path-inserted, and root when configured) and routes guarded by [`AccessTokenLayer`] |
//!
//! Adapters only convert: the body is read with a size bound
//! ([`MAX_TOKEN_REQUEST_BYTES`], else 413) into an `http::Request<Vec<u8>>`, handed to the
//! sans-IO handler, and its `http::Response<Vec<u8>>` is returned as is. Token endpoints
//! answer other methods than `POST` with 405 and `Allow: POST`, other media types with 415,
//! and every answer carries `Cache-Control: no-store`; JWKS and metadata routes answer other
//! methods than `GET`/`HEAD` with 405 and `Allow`.
//!
//! Paths come from the documents: the token endpoint and JWKS paths are those of the
//! metadata's `token_endpoint` and `jwks_uri` (their scheme and host are not checked: a server
//! behind a proxy is reached under another authority), the metadata paths are the well-known
//! URLs of its `issuer`. Merging a router with routes on the same paths panics, as axum does.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use ::axum::Router;
use ::axum::body::Body;
use ::axum::extract::{ConnectInfo, Request};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{any, get};
use ema_metadata::AuthorizationServerMetadata;
use ema_metadata::well_known::{authorization_server_metadata_url, openid_configuration_url};
use ema_types::{ErrorCode, ScopeSet, urn};
use http::StatusCode;

use crate::ConfigError;
use crate::authorization_code::AuthorizationEndpoint;
use crate::endpoint::{
    HttpRequest, HttpResponse, MAX_TOKEN_REQUEST_BYTES, Rejection, TokenEndpoint,
};
use crate::idp::TokenExchangeGrant;
use crate::rate_limit::{KeyFn, RateLimitLayer, RateLimiter};
use crate::resource_server::AccessTokenGuard;
use crate::signing::SigningKeys;
use crate::tower::{AccessTokenLayer, RequiredScopes, ScopesFn};

/// Read an axum request into a buffered `http::Request<Vec<u8>>`, refusing bodies over
/// `limit` bytes with 413 (`invalid_request`, `Cache-Control: no-store`).
pub async fn buffer_request(request: Request, limit: usize) -> Result<HttpRequest, Response> {
    let (parts, body) = request.into_parts();
    match ::axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(HttpRequest::from_parts(parts, bytes.to_vec())),
        Err(_) => Err(into_axum(
            Rejection::new(ErrorCode::InvalidRequest, "body too large or unreadable")
                .with_status(StatusCode::PAYLOAD_TOO_LARGE)
                .into_response(),
        )),
    }
}

/// Turn a sans-IO response into an axum response.
#[must_use]
pub fn into_axum(response: HttpResponse) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::from(body))
}

/// Serve `endpoint` from an axum handler: bounded body read, then
/// [`TokenEndpoint::handle`]. Answers 405 with `Allow: POST` to other methods.
pub async fn serve_token_endpoint(endpoint: &TokenEndpoint, request: Request) -> Response {
    let request = match buffer_request(request, MAX_TOKEN_REQUEST_BYTES).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let mut response = endpoint.handle(request).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static("POST"));
    }
    into_axum(response)
}

/// Serve an authorization endpoint from an axum handler: bounded body read (a `POST` form),
/// then [`AuthorizationEndpoint::handle`].
pub async fn serve_authorization_endpoint(
    endpoint: &AuthorizationEndpoint,
    request: Request,
) -> Response {
    match buffer_request(request, MAX_TOKEN_REQUEST_BYTES).await {
        Ok(request) => into_axum(endpoint.handle(request).await),
        Err(response) => response,
    }
}

fn json_document(bytes: Vec<u8>) -> Response {
    (
        [
            (http::header::CONTENT_TYPE, "application/json"),
            (http::header::CACHE_CONTROL, "public, max-age=300"),
        ],
        bytes,
    )
        .into_response()
}

/// A rate-limit key: the peer's IP address, from the [`ConnectInfo`] axum records when the
/// application is served with
/// `router.into_make_service_with_connect_info::<SocketAddr>()`. Without it, `None`: the
/// request is **not** limited. Behind a reverse proxy every request has the proxy's address;
/// key on the address the proxy vouches for instead (with your own key function).
#[must_use]
pub fn peer_ip(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// A rate-limit key function over axum requests.
type KeyFunction = Box<dyn Fn(&Request) -> Option<String> + Send + Sync>;

fn config_error(e: impl std::fmt::Display) -> ConfigError {
    ConfigError::new(e.to_string())
}

/// What a token-issuing server publishes: the token endpoint, the JWKS of its signing keys and
/// its metadata document at one or more well-known paths. The IdP and the resource AS routers
/// differ only in those paths.
#[derive(Debug, Clone)]
struct TokenServerRoutes {
    endpoint: TokenEndpoint,
    signing: SigningKeys,
    metadata: AuthorizationServerMetadata,
    openid_configuration: bool,
    rate_limit: Option<RateLimitLayer<KeyFn<KeyFunction>>>,
    authorize: Option<Arc<AuthorizationEndpoint>>,
}

impl TokenServerRoutes {
    fn new(
        endpoint: TokenEndpoint,
        signing: SigningKeys,
        metadata: AuthorizationServerMetadata,
        openid_configuration: bool,
    ) -> Self {
        Self {
            endpoint,
            signing,
            metadata,
            openid_configuration,
            rate_limit: None,
            authorize: None,
        }
    }

    fn with_authorization_endpoint(mut self, endpoint: AuthorizationEndpoint) -> Self {
        self.authorize = Some(Arc::new(endpoint));
        self
    }

    fn with_rate_limit<F>(mut self, limiter: Arc<RateLimiter>, key: F) -> Self
    where
        F: Fn(&Request) -> Option<String> + Send + Sync + 'static,
    {
        let key: KeyFunction = Box::new(key);
        self.rate_limit = Some(RateLimitLayer::new(limiter, KeyFn(key)));
        self
    }

    fn build(self) -> Result<Router, ConfigError> {
        let missing = |member: &str| ConfigError::new(format!("metadata has no {member}"));
        let token_path = (self.metadata.token_endpoint.as_ref())
            .map(|u| u.path().to_owned())
            .ok_or_else(|| missing("token_endpoint"))?;
        let jwks_path = (self.metadata.jwks_uri.as_ref())
            .map(|u| u.path().to_owned())
            .ok_or_else(|| missing("jwks_uri"))?;
        let mut metadata_paths = vec![
            authorization_server_metadata_url(&self.metadata.issuer)
                .map_err(config_error)?
                .path()
                .to_owned(),
        ];
        if self.openid_configuration {
            metadata_paths.push(
                openid_configuration_url(&self.metadata.issuer)
                    .map_err(config_error)?
                    .path()
                    .to_owned(),
            );
        }
        let authorize_path = match &self.authorize {
            Some(_) => Some(
                (self.metadata.authorization_endpoint.as_ref())
                    .map(|u| u.path().to_owned())
                    .ok_or_else(|| missing("authorization_endpoint"))?,
            ),
            None => None,
        };
        let mut seen = HashSet::new();
        let all = [&token_path, &jwks_path]
            .into_iter()
            .chain(metadata_paths.iter())
            .chain(authorize_path.iter());
        for path in all {
            if !seen.insert(path.as_str()) {
                return Err(ConfigError::new(format!(
                    "token endpoint, JWKS and metadata paths must differ (`{path}` twice)"
                )));
            }
        }
        let metadata_json = self.metadata.to_json().map_err(config_error)?;
        let endpoint = Arc::new(self.endpoint);
        let signing = self.signing;
        let mut token_route = any(move |request: Request| {
            let endpoint = Arc::clone(&endpoint);
            async move { serve_token_endpoint(&endpoint, request).await }
        });
        if let Some(layer) = self.rate_limit {
            token_route = token_route.layer(layer);
        }
        let mut router = Router::new().route(&token_path, token_route).route(
            &jwks_path,
            get(move || {
                let jwks = serde_json::to_vec(&signing.jwks());
                async move {
                    match jwks {
                        Ok(bytes) => json_document(bytes),
                        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    }
                }
            }),
        );
        if let (Some(path), Some(endpoint)) = (authorize_path, self.authorize) {
            router = router.route(
                &path,
                any(move |request: Request| {
                    let endpoint = Arc::clone(&endpoint);
                    async move { serve_authorization_endpoint(&endpoint, request).await }
                }),
            );
        }
        for path in &metadata_paths {
            let body = metadata_json.clone();
            router = router.route(
                path,
                get(move || {
                    let body = body.clone();
                    async move { json_document(body) }
                }),
            );
        }
        Ok(router)
    }
}

/// Builds the axum [`Router`] of a resource AS: `POST` token endpoint, `GET` JWKS and `GET`
/// RFC 8414 metadata at the path-inserted well-known URL of the issuer. Paths come from the
/// metadata document (`token_endpoint`, `jwks_uri`, `issuer`); build the document with
/// [`AuthorizationServerConfig::metadata`](crate::authorization_server::AuthorizationServerConfig::metadata).
///
/// The token endpoint is a [`TokenEndpoint`]: serve the jwt-bearer grant
/// ([`crate::authorization_server::JwtBearerGrant`]) next to the application's own grants.
#[derive(Debug, Clone)]
pub struct AuthorizationServerRouter {
    routes: TokenServerRoutes,
}

impl AuthorizationServerRouter {
    /// A router serving `endpoint`, publishing the keys of `signing` and `metadata`.
    #[must_use]
    pub fn new(
        endpoint: TokenEndpoint,
        signing: SigningKeys,
        metadata: AuthorizationServerMetadata,
    ) -> Self {
        Self {
            routes: TokenServerRoutes::new(endpoint, signing, metadata, false),
        }
    }

    /// Rate-limit the token endpoint (AS-20; JWKS and metadata are not limited): requests
    /// over the limit of their `key` (for example [`peer_ip`]) get 429 with `Retry-After`
    /// before their body is read. See [`crate::rate_limit`].
    #[must_use]
    pub fn with_rate_limit<F>(self, limiter: Arc<RateLimiter>, key: F) -> Self
    where
        F: Fn(&Request) -> Option<String> + Send + Sync + 'static,
    {
        Self {
            routes: self.routes.with_rate_limit(limiter, key),
        }
    }

    /// Also serve `endpoint` (the code-flow fallback, CL-06) at the path of the metadata's
    /// `authorization_endpoint`, for `GET` and `POST`.
    #[must_use]
    pub fn with_authorization_endpoint(self, endpoint: AuthorizationEndpoint) -> Self {
        Self {
            routes: self.routes.with_authorization_endpoint(endpoint),
        }
    }

    /// Build the router.
    ///
    /// # Errors
    ///
    /// When the metadata lacks `token_endpoint` or `jwks_uri` (or `authorization_endpoint`
    /// when an authorization endpoint is served), their paths collide, or the metadata cannot
    /// be serialized.
    pub fn build(self) -> Result<Router, ConfigError> {
        self.routes.build()
    }
}

/// Builds the axum [`Router`] of an IdP: `POST` token endpoint, `GET` JWKS (the ID-JAG
/// signing keys, previous keys included after a rotation) and `GET` metadata at the RFC 8414
/// path-inserted URL (`/.well-known/oauth-authorization-server{path}`) and at
/// `{issuer}/.well-known/openid-configuration` (IDP-21). Paths come from the metadata
/// document; build it with [`IdpConfig::metadata`](crate::idp::IdpConfig::metadata).
///
/// An IdP already has a token endpoint: give [`IdpRouter::new`] a [`TokenEndpoint`] serving the
/// [`TokenExchangeGrant`] next to the IdP's own grants, or use [`IdpRouter::from_grant`] for a
/// token endpoint that serves the token exchange only.
///
/// ```no_run
/// # use ema_server::axum::IdpRouter;
/// # use ema_server::idp::{IdpConfig, TokenExchangeGrant};
/// # async fn demo(config: IdpConfig, grant: TokenExchangeGrant) -> Result<(), Box<dyn std::error::Error>> {
/// let metadata = config.metadata(
///     "https://login.acme-idp.test/oauth2/v1/authorize",
///     "https://login.acme-idp.test/oauth2/v1/token",
///     "https://login.acme-idp.test/oauth2/v1/keys",
///     false,
/// )?;
/// let router = IdpRouter::from_grant(grant, metadata).build()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
/// axum::serve(listener, router).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct IdpRouter {
    routes: TokenServerRoutes,
}

impl IdpRouter {
    /// A router serving `endpoint`, publishing the keys of `signing` (those the
    /// [`TokenExchangeGrant`] signs with) and `metadata`.
    #[must_use]
    pub fn new(
        endpoint: TokenEndpoint,
        signing: SigningKeys,
        metadata: AuthorizationServerMetadata,
    ) -> Self {
        Self {
            routes: TokenServerRoutes::new(endpoint, signing, metadata, true),
        }
    }

    /// Rate-limit the token endpoint, as [`AuthorizationServerRouter::with_rate_limit`] does.
    #[must_use]
    pub fn with_rate_limit<F>(self, limiter: Arc<RateLimiter>, key: F) -> Self
    where
        F: Fn(&Request) -> Option<String> + Send + Sync + 'static,
    {
        Self {
            routes: self.routes.with_rate_limit(limiter, key),
        }
    }

    /// A router whose token endpoint serves `grant` only (other grants get
    /// `unsupported_grant_type`), publishing its signing keys and `metadata`.
    #[must_use]
    pub fn from_grant(grant: TokenExchangeGrant, metadata: AuthorizationServerMetadata) -> Self {
        let signing = grant.signing_keys().clone();
        let endpoint =
            TokenEndpoint::new().with_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE, Arc::new(grant));
        Self::new(endpoint, signing, metadata)
    }

    /// Also serve `endpoint` (the OpenID Connect login,
    /// [`OidcProvider::authorization_endpoint`](crate::idp::oidc::OidcProvider::authorization_endpoint))
    /// at the path of the metadata's `authorization_endpoint`, for `GET` and `POST`.
    #[must_use]
    pub fn with_authorization_endpoint(self, endpoint: AuthorizationEndpoint) -> Self {
        Self {
            routes: self.routes.with_authorization_endpoint(endpoint),
        }
    }

    /// Build the router.
    ///
    /// # Errors
    ///
    /// When the metadata lacks `token_endpoint` or `jwks_uri` (or `authorization_endpoint`
    /// when an authorization endpoint is served), the paths collide, or the metadata cannot
    /// be serialized.
    pub fn build(self) -> Result<Router, ConfigError> {
        self.routes.build()
    }
}

/// The axum side of a resource server (the MCP server): serves the protected-resource
/// metadata (RS-01) at [`ResourceServerConfig::metadata_paths`] and guards the application's
/// routes with [`AccessTokenLayer`], which puts the verified
/// [`Principal`](crate::resource_server::Principal) into the request extensions.
///
/// [`ResourceServerConfig::metadata_paths`]: crate::resource_server::ResourceServerConfig::metadata_paths
///
/// ```no_run
/// # use std::sync::Arc;
/// # use axum::{Extension, Router, routing::post};
/// # use ema_server::axum::ResourceServerRouter;
/// # use ema_server::resource_server::{AccessTokenGuard, Principal};
/// # use ema_types::ScopeSet;
/// # fn demo(guard: Arc<AccessTokenGuard>) -> Result<(), Box<dyn std::error::Error>> {
/// let mcp = Router::new().route(
///     "/mcp",
///     post(|Extension(p): Extension<Principal>| async move { format!("hello {}", p.subject) }),
/// );
/// let app: Router = ResourceServerRouter::new(guard).protect(mcp, ScopeSet::parse("tickets:read")?);
/// # let _ = app; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ResourceServerRouter {
    guard: Arc<AccessTokenGuard>,
}

impl ResourceServerRouter {
    /// A router for the resource `guard` checks tokens for.
    #[must_use]
    pub fn new(guard: Arc<AccessTokenGuard>) -> Self {
        Self { guard }
    }

    /// The protected-resource metadata routes alone: `GET`/`HEAD` → 200 `application/json`,
    /// other methods → 405 with `Allow: GET, HEAD`. They need no token.
    pub fn metadata_routes<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let mut router = Router::new();
        for path in self.guard.config().metadata_paths() {
            let guard = Arc::clone(&self.guard);
            router = router.route(
                path,
                any(move |request: Request| {
                    let guard = Arc::clone(&guard);
                    async move {
                        match guard.metadata_response(request.method(), request.uri().path()) {
                            Some(response) => into_axum(response),
                            None => StatusCode::NOT_FOUND.into_response(),
                        }
                    }
                }),
            );
        }
        router
    }

    /// `routes`, each needing a valid access token with `required` (may be empty: any valid
    /// token), merged with the metadata routes.
    pub fn protect<S>(&self, routes: Router<S>, required: ScopeSet) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        self.guarded(
            routes,
            AccessTokenLayer::new(Arc::clone(&self.guard), required),
        )
    }

    /// `routes`, each needing a valid access token with the scopes `scopes` computes for the
    /// request (RS-05: per operation), merged with the metadata routes.
    pub fn protect_per_request<S, F>(&self, routes: Router<S>, scopes: ScopesFn<F>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
        F: Fn(&Request) -> ScopeSet + Send + Sync + 'static,
    {
        self.guarded(
            routes,
            AccessTokenLayer::per_request(Arc::clone(&self.guard), scopes),
        )
    }

    fn guarded<S, R>(&self, routes: Router<S>, layer: AccessTokenLayer<R>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
        R: RequiredScopes<Body>,
    {
        routes.layer(layer).merge(self.metadata_routes())
    }
}

#[cfg(test)]
mod tests {
    use ema_jwt::{Algorithm, SigningKey};
    use ema_metadata::{AuthorizationServerMetadataBuilder, SchemePolicy};
    use tower_service::Service;

    use super::*;

    fn metadata(issuer: &str, token: &str, jwks: &str) -> AuthorizationServerMetadata {
        AuthorizationServerMetadataBuilder::new(
            issuer.parse().unwrap(),
            token.parse().unwrap(),
            jwks.parse().unwrap(),
        )
        .token_endpoint_auth_methods_supported(["client_secret_basic"])
        .scheme_policy(SchemePolicy::HttpsOnly)
        .build()
        .unwrap()
    }

    fn signing() -> SigningKeys {
        SigningKeys::new(SigningKey::generate(Algorithm::ES256).unwrap())
    }

    async fn status(router: &mut Router, method: &str, path: &str) -> StatusCode {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        router.call(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn idp_21_metadata_paths_of_an_issuer_with_a_path() {
        let md = metadata(
            "https://idp.example/t1",
            "https://idp.example/t1/token",
            "https://idp.example/t1/keys",
        );
        let mut router = IdpRouter::new(TokenEndpoint::new(), signing(), md.clone())
            .build()
            .unwrap();
        for path in [
            "/.well-known/oauth-authorization-server/t1",
            "/t1/.well-known/openid-configuration",
            "/t1/keys",
        ] {
            assert_eq!(
                status(&mut router, "GET", path).await,
                StatusCode::OK,
                "{path}"
            );
        }
        assert_eq!(
            status(&mut router, "GET", "/t1/token").await,
            StatusCode::METHOD_NOT_ALLOWED
        );
        // The resource AS publishes RFC 8414 only.
        let mut router = AuthorizationServerRouter::new(TokenEndpoint::new(), signing(), md)
            .build()
            .unwrap();
        assert_eq!(
            status(&mut router, "GET", "/t1/.well-known/openid-configuration").await,
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn colliding_paths_are_refused() {
        let md = metadata(
            "https://as.example",
            "https://as.example/oauth",
            "https://as.example/oauth",
        );
        let built = AuthorizationServerRouter::new(TokenEndpoint::new(), signing(), md).build();
        assert!(built.is_err());
        let md = metadata(
            "https://as.example",
            "https://as.example/.well-known/openid-configuration",
            "https://as.example/jwks",
        );
        let idp = IdpRouter::new(TokenEndpoint::new(), signing(), md.clone()).build();
        assert!(idp.is_err());
        // Without the OIDC path there is no collision.
        assert!(
            AuthorizationServerRouter::new(TokenEndpoint::new(), signing(), md)
                .build()
                .is_ok()
        );
    }
}
