//! An EMA stack on loopback for the tests: ema-server's IdP (token exchange) and resource AS
//! (jwt-bearer, trusting the IdP through its JWKS), and the todo rmcp server guarded by
//! `ema_rmcp::server::protect_mcp`, each served by axum. One fixed clock for all of them
//! and the client.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use ema_client::{
    ClientAuthMethod, ClientCredentials, IdentityProvider, StaticIdToken, TokenSource,
    TokenSourceConfig,
};
use ema_jwt::mint::sign_jws;
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_metadata::discovery::DiscoveryConfig;
use ema_metadata::{AuthorizationServerMetadataBuilder, ReqwestClient, SchemePolicy};
use ema_server::authorization_server::{
    AuthorizationServerConfig, JwtBearerGrant, ResourceConfig, TrustedIssuer,
};
use ema_server::axum::{AuthorizationServerRouter, serve_token_endpoint};
use ema_server::client_auth::{ClientAuthContext, RegisteredClient, StaticClientRegistry};
use ema_server::endpoint::TokenEndpoint;
use ema_server::idp::{IdpConfig, PolicyRule, StaticPolicy, TokenExchangeGrant, TrustedAudience};
use ema_server::keys::{JwksCache, JwksCacheConfig, StaticKeySource};
use ema_server::replay::MemoryReplayStore;
use ema_server::resource_server::{AccessTokenGuard, ResourceServerConfig};
use ema_server::signing::SigningKeys;
use ema_types::claims::IdTokenClaims;
use ema_types::transport::HttpClient;
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, Secret, urn};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

#[path = "../../examples/todo/mod.rs"]
pub(crate) mod todo;

pub(crate) const NOW: u64 = 1_793_000_000;
pub(crate) const USER: &str = "00u8k2p9xq";
pub(crate) const IDP_CLIENT: &str = "desk-7f3a";
const IDP_SECRET: &str = "idp-secret-rmcp";
pub(crate) const AS_CLIENT: &str = "cli_42b19c";
const AS_SECRET: &str = "as-secret-rmcp";
pub(crate) const ACCESS_TOKEN_TTL: u64 = 600;

pub(crate) fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

fn id(s: &str) -> ClientId {
    ClientId::new(s).unwrap()
}

/// One request the MCP server saw, with the status it answered.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) authorization: Option<String>,
    pub(crate) www_authenticate: Option<String>,
    pub(crate) status: u16,
}

pub(crate) type Log = Arc<Mutex<Vec<Seen>>>;

/// Access tokens the "revocation list" of the MCP server refuses with `401 invalid_token`,
/// in front of the EMA layer.
pub(crate) type Revoked = Arc<Mutex<HashSet<String>>>;

async fn record(State(log): State<Log>, request: Request, next: Next) -> Response {
    let mut seen = Seen {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        authorization: request
            .headers()
            .get(http::header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap().to_owned()),
        www_authenticate: None,
        status: 0,
    };
    let response = next.run(request).await;
    seen.status = response.status().as_u16();
    seen.www_authenticate = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    log.lock().unwrap().push(seen);
    response
}

async fn revocation(State(revoked): State<Revoked>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    if presented.is_some_and(|t| revoked.lock().unwrap().contains(&t)) {
        return (
            http::StatusCode::UNAUTHORIZED,
            [(
                http::header::WWW_AUTHENTICATE,
                r#"Bearer error="invalid_token""#,
            )],
        )
            .into_response();
    }
    next.run(request).await
}

async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

fn loopback_http() -> ReqwestClient {
    ReqwestClient::builder()
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// The three roles on loopback.
pub(crate) struct Stack {
    pub(crate) clock: FixedClock,
    pub(crate) idp: Issuer,
    pub(crate) as_issuer: Issuer,
    pub(crate) server: Resource,
    idp_signing: SigningKeys,
    pub(crate) rs_log: Log,
    pub(crate) revoked: Revoked,
    pub(crate) todos: todo::Todos,
}

impl Stack {
    /// The IdP allows `desk-7f3a` up to `allowed` at the todo server.
    pub(crate) async fn start(allowed: &str) -> Self {
        let clock = FixedClock::new(NOW);
        let (idp_listener, idp_url) = bind().await;
        let (as_listener, as_url) = bind().await;
        let (rs_listener, rs_url) = bind().await;
        let idp = Issuer::new(idp_url.clone()).unwrap();
        let as_issuer = Issuer::new(as_url.clone()).unwrap();
        let server = Resource::new(format!("{rs_url}/mcp")).unwrap();
        let jwks_http: Arc<dyn HttpClient> = Arc::new(loopback_http());
        let jwks_config = JwksCacheConfig::default().scheme_policy(SchemePolicy::AllowLoopbackHttp);

        // --- IdP
        let idp_signing = SigningKeys::new(
            SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("idp-1"),
        );
        let idp_config = IdpConfig::builder(idp.clone())
            .audience(TrustedAudience::new(as_issuer.clone()).resource(server.clone()))
            .build()
            .unwrap();
        let policy = StaticPolicy::new().with_rule(PolicyRule::new(
            id(IDP_CLIENT),
            as_issuer.clone(),
            server.clone(),
            scopes(allowed),
            id(AS_CLIENT),
        ));
        let idp_grant = TokenExchangeGrant::new(
            idp_config,
            idp_signing.clone(),
            Arc::new(
                StaticKeySource::new().with_issuer(&idp, KeySet::from_jwks(&idp_signing.jwks())),
            ),
            Arc::new(
                StaticClientRegistry::new().with_client(
                    RegisteredClient::confidential(id(IDP_CLIENT))
                        .with_secret(Secret::new(IDP_SECRET))
                        .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE),
                ),
            ),
            ClientAuthContext::new(
                idp.clone(),
                Arc::new(MemoryReplayStore::new(1000)),
                Arc::new(clock.clone()),
            ),
            Arc::new(policy),
        )
        .unwrap();
        let idp_endpoint = Arc::new(
            TokenEndpoint::new().with_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE, Arc::new(idp_grant)),
        );
        let idp_jwks = serde_json::to_vec(&idp_signing.jwks()).unwrap();
        let idp_app = Router::new()
            .route(
                "/token",
                any(move |request: Request| {
                    let endpoint = Arc::clone(&idp_endpoint);
                    async move { serve_token_endpoint(&endpoint, request).await }
                }),
            )
            .route(
                "/jwks",
                get(move || {
                    let body = idp_jwks.clone();
                    async move { ([(http::header::CONTENT_TYPE, "application/json")], body) }
                }),
            );

        // --- AS
        let as_signing = SigningKeys::new(
            SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("as-1"),
        );
        let as_config = AuthorizationServerConfig::builder(as_issuer.clone())
            .trusted_issuer(TrustedIssuer::new(idp.clone()))
            .resource(ResourceConfig::new(
                server.clone(),
                scopes("todo.read todo.write"),
            ))
            .access_token_ttl(ACCESS_TOKEN_TTL)
            .build()
            .unwrap();
        let as_grant = JwtBearerGrant::new(
            as_config,
            Arc::new(
                StaticClientRegistry::new().with_client(
                    RegisteredClient::confidential(id(AS_CLIENT))
                        .with_secret(Secret::new(AS_SECRET))
                        .with_grant_type(urn::GRANT_TYPE_JWT_BEARER),
                ),
            ),
            Arc::new(
                JwksCache::new(Arc::clone(&jwks_http), jwks_config.clone())
                    .with_issuer(&idp, &format!("{idp_url}/jwks"))
                    .unwrap(),
            ),
            Arc::new(MemoryReplayStore::new(1000)),
            as_signing.clone(),
        )
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
        let as_metadata = AuthorizationServerMetadataBuilder::new(
            as_issuer.clone(),
            format!("{as_url}/token").parse().unwrap(),
            format!("{as_url}/jwks").parse().unwrap(),
        )
        .token_endpoint_auth_methods_supported(["client_secret_basic"])
        .scopes_supported(["todo.read", "todo.write"])
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .build()
        .unwrap();
        let as_app = AuthorizationServerRouter::new(
            TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(as_grant)),
            as_signing,
            as_metadata,
        )
        .build()
        .unwrap();

        // --- the todo MCP server behind the EMA layer
        let guard = Arc::new(
            AccessTokenGuard::new(
                ResourceServerConfig::builder(server.clone(), as_issuer.clone())
                    .scopes_supported(scopes("todo.read todo.write"))
                    .allow_loopback_http(true)
                    .build()
                    .unwrap(),
                Arc::new(
                    JwksCache::new(jwks_http, jwks_config)
                        .with_issuer(&as_issuer, &format!("{as_url}/jwks"))
                        .unwrap(),
                ),
                Arc::new(clock.clone()),
            )
            .unwrap(),
        );
        let todos = todo::Todos::default();
        let shared = todos.clone();
        let mcp = StreamableHttpService::new(
            move || Ok(todo::TodoServer::new(shared.clone())),
            Arc::new(LocalSessionManager::default()),
            StreamableHttpServerConfig::default().with_sse_keep_alive(None),
        );
        let rs_log = Log::default();
        let revoked = Revoked::default();
        let rs_app = ema_rmcp::server::protect_mcp(guard, "/mcp", todo::scopes().unwrap(), mcp)
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&revoked),
                revocation,
            ))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&rs_log),
                record,
            ));

        tokio::spawn(async move { axum::serve(idp_listener, idp_app).await });
        tokio::spawn(async move { axum::serve(as_listener, as_app).await });
        tokio::spawn(async move { axum::serve(rs_listener, rs_app).await });
        Self {
            clock,
            idp,
            as_issuer,
            server,
            idp_signing,
            rs_log,
            revoked,
            todos,
        }
    }

    /// The user's ID token, as the IdP issued it at sign-in.
    pub(crate) fn id_token(&self) -> Secret {
        let claims =
            IdTokenClaims::new(self.idp.as_str(), USER, IDP_CLIENT, NOW - 5, NOW + 8 * 3600);
        Secret::new(sign_jws(&self.idp_signing.active(), None, &claims).unwrap())
    }

    /// The client's token source: the IdP and its credentials at the IdP and the AS.
    pub(crate) fn token_source(&self) -> TokenSource {
        let idp = IdentityProvider::new(
            self.idp.clone(),
            ClientCredentials::new(
                id(IDP_CLIENT),
                ClientAuthMethod::SecretBasic(Secret::new(IDP_SECRET)),
            ),
        )
        .with_token_endpoint(format!("{}/token", self.idp.as_str()).parse().unwrap())
        .with_jwks_uri(format!("{}/jwks", self.idp.as_str()).parse().unwrap());
        TokenSource::builder(loopback_http(), StaticIdToken::new(self.id_token()), idp)
            .authorization_server(
                self.as_issuer.clone(),
                ClientCredentials::new(
                    id(AS_CLIENT),
                    ClientAuthMethod::SecretBasic(Secret::new(AS_SECRET)),
                ),
            )
            .clock(self.clock.clone())
            .config(TokenSourceConfig::default().with_discovery(DiscoveryConfig::development()))
            .build()
    }

    /// The requests to `/mcp`.
    pub(crate) fn mcp_calls(&self) -> Vec<Seen> {
        self.rs_log
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == "/mcp")
            .cloned()
            .collect()
    }
}
