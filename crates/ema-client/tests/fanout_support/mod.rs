//! A loopback world for the zero-touch fan-out (shared by `tests/session_fanout.rs` and
//! `benches/fanout.rs`): ema-server's IdP (token exchange, central policy with a user
//! directory, audit), its AS (jwt-bearer, audit) and N MCP servers behind the resource-server
//! layer on one listener, plus optionally a server denied by policy, a server that is down
//! (connection refused) and one that accepts connections and never answers.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{any, get};
use ema_client::{
    ClientAuthMethod, ClientCredentials, IdentityProvider, StaticIdToken, TokenSource,
    TokenSourceConfig,
};
use ema_jwt::mint::sign_jws;
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_metadata::discovery::DiscoveryConfig;
use ema_metadata::{AuthorizationServerMetadataBuilder, ReqwestClient, SchemePolicy};
use ema_server::audit::{AuditSink, JsonLinesSink};
use ema_server::authorization_server::{
    AuthorizationServerConfig, JwtBearerGrant, ResourceConfig, TrustedIssuer,
};
use ema_server::axum::{AuthorizationServerRouter, serve_token_endpoint};
use ema_server::client_auth::{ClientAuthContext, RegisteredClient, StaticClientRegistry};
use ema_server::endpoint::TokenEndpoint;
use ema_server::idp::{
    DirectoryUser, IdpConfig, MemoryDirectory, PolicyRule, StaticPolicy, TokenExchangeGrant,
    TrustedAudience,
};
use ema_server::keys::StaticKeySource;
use ema_server::replay::MemoryReplayStore;
use ema_server::resource_server::{AccessTokenGuard, ResourceServerConfig};
use ema_server::signing::SigningKeys;
use ema_server::tower::AccessTokenLayer;
use ema_types::claims::IdTokenClaims;
use ema_types::{ClientId, FixedClock, Form, Issuer, Resource, ScopeSet, Secret, urn};

pub const NOW: u64 = 1_793_000_000;
pub const USER: &str = "alice";
pub const GROUP: &str = "engineering";
pub const IDP_CLIENT: &str = "desk-7f3a";
pub const IDP_SECRET: &str = "idp-secret-fanout-3c9e";
pub const AS_CLIENT: &str = "cli_42b19c";
pub const AS_SECRET: &str = "as-secret-fanout-8d1f";
pub const SCOPES: &str = "tools:read tools:write";

pub fn id(s: &str) -> ClientId {
    ClientId::new(s).unwrap()
}

pub fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

/// A `Write` over a shared buffer: the audit trail of both servers.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A token-endpoint POST a server answered.
#[derive(Clone, Debug)]
pub struct Seen {
    pub body: String,
    pub status: u16,
}

impl Seen {
    pub fn params(&self, name: &str) -> Vec<String> {
        Form::decode(self.body.as_bytes())
            .unwrap()
            .pairs()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
            .collect()
    }
}

pub type Log = Arc<Mutex<Vec<Seen>>>;

async fn record(
    State((log, latency)): State<(Log, Duration)>,
    request: Request,
    next: Next,
) -> Response {
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let token_post = parts.method == http::Method::POST && parts.uri.path().ends_with("/token");
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    if token_post {
        log.lock().unwrap().push(Seen {
            body: String::from_utf8_lossy(&bytes).into_owned(),
            status: response.status().as_u16(),
        });
    }
    response
}

async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

async fn serve(listener: tokio::net::TcpListener, app: Router, log: &Log, latency: Duration) {
    let app = app.layer(axum::middleware::from_fn_with_state(
        (log.clone(), latency),
        record,
    ));
    tokio::spawn(async move { axum::serve(listener, app).await });
}

pub fn loopback_http(timeout: Duration) -> ReqwestClient {
    ReqwestClient::builder()
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .timeout(timeout)
        .build()
        .unwrap()
}

/// What to put beside the connected servers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras {
    /// A server the policy denies (a deny row for the group).
    pub denied: bool,
    /// A server whose port refuses connections.
    pub down: bool,
    /// A server that accepts connections and never answers.
    pub hang: bool,
    /// Added before every answer of the IdP, the AS and the MCP servers (a network round
    /// trip that loopback lacks).
    pub latency: Duration,
}

pub struct World {
    pub clock: FixedClock,
    pub idp: Issuer,
    pub as_issuer: Issuer,
    /// The servers the user may reach.
    pub allowed: Vec<Resource>,
    pub denied: Option<Resource>,
    pub down: Option<Resource>,
    pub hang: Option<Resource>,
    pub idp_url: String,
    pub as_token_endpoint: String,
    pub idp_signing: SigningKeys,
    pub idp_log: Log,
    pub as_log: Log,
    pub audit: SharedBuf,
}

impl World {
    /// Every server, in a stable order: the allowed ones, then the denied, down and hanging.
    pub fn all_servers(&self) -> Vec<Resource> {
        let mut all = self.allowed.clone();
        all.extend(self.denied.clone());
        all.extend(self.down.clone());
        all.extend(self.hang.clone());
        all
    }

    pub async fn start(allowed: usize, extras: Extras) -> Self {
        let clock = FixedClock::new(NOW);
        let (idp_listener, idp_url) = bind().await;
        let (as_listener, as_url) = bind().await;
        let (rs_listener, rs_url) = bind().await;
        let idp = Issuer::new(idp_url.clone()).unwrap();
        let as_issuer = Issuer::new(as_url.clone()).unwrap();
        let allowed: Vec<Resource> = (0..allowed)
            .map(|i| Resource::new(format!("{rs_url}/mcp-{i}")).unwrap())
            .collect();
        let denied = extras
            .denied
            .then(|| Resource::new(format!("{rs_url}/mcp-admin")).unwrap());
        let down = if extras.down {
            // Bind, note the port, close: connections are refused.
            let (listener, url) = bind().await;
            drop(listener);
            Some(Resource::new(format!("{url}/mcp")).unwrap())
        } else {
            None
        };
        let hang = if extras.hang {
            let (listener, url) = bind().await;
            tokio::spawn(async move {
                let mut held = Vec::new();
                while let Ok((socket, _)) = listener.accept().await {
                    held.push(socket);
                }
            });
            Some(Resource::new(format!("{url}/mcp")).unwrap())
        } else {
            None
        };
        let served: Vec<Resource> = allowed.iter().chain(denied.iter()).cloned().collect();
        let everything: Vec<Resource> = served
            .iter()
            .chain(down.iter())
            .chain(hang.iter())
            .cloned()
            .collect();
        let audit = SharedBuf::default();
        let sink: Arc<dyn AuditSink> = Arc::new(JsonLinesSink::new(audit.clone()));

        // --- IdP: every server is a known (audience, resource) pair; the policy decides.
        let idp_signing = SigningKeys::new(
            SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("idp-1"),
        );
        let mut audience = TrustedAudience::new(as_issuer.clone());
        for r in &everything {
            audience = audience.resource(r.clone());
        }
        let idp_config = IdpConfig::builder(idp.clone())
            .audience(audience)
            .build()
            .unwrap();
        let idp_metadata = idp_config
            .metadata(
                &format!("{idp_url}/authorize"),
                &format!("{idp_url}/token"),
                &format!("{idp_url}/jwks"),
                true,
            )
            .unwrap()
            .to_json()
            .unwrap();
        let directory = MemoryDirectory::new()
            .with_user(DirectoryUser::new(USER).in_groups([GROUP]))
            .with_user(DirectoryUser::new("bob").in_groups(["sales"]));
        let mut policy = StaticPolicy::new().with_directory(Arc::new(directory));
        for r in &everything {
            policy = policy.with_rule(
                PolicyRule::new(
                    id(IDP_CLIENT),
                    as_issuer.clone(),
                    r.clone(),
                    scopes(SCOPES),
                    id(AS_CLIENT),
                )
                .for_groups([GROUP])
                .labeled("engineering tools"),
            );
        }
        if let Some(r) = &denied {
            policy = policy.with_rule(
                PolicyRule::deny(
                    id(IDP_CLIENT),
                    as_issuer.clone(),
                    r.clone(),
                    ScopeSet::new(),
                )
                .for_groups([GROUP])
                .labeled("no admin server for engineering"),
            );
        }
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
                Arc::new(MemoryReplayStore::new(100_000)),
                Arc::new(clock.clone()),
            ),
            Arc::new(policy),
        )
        .unwrap()
        .with_audit(Arc::clone(&sink));
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
            )
            .route(
                "/.well-known/oauth-authorization-server",
                get(move || {
                    let body = idp_metadata.clone();
                    async move { ([(http::header::CONTENT_TYPE, "application/json")], body) }
                }),
            );

        // --- AS: serves every MCP server of the list.
        let as_signing = SigningKeys::new(
            SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("as-1"),
        );
        let mut as_config = AuthorizationServerConfig::builder(as_issuer.clone())
            .trusted_issuer(TrustedIssuer::new(idp.clone()));
        for r in &everything {
            as_config = as_config.resource(ResourceConfig::new(r.clone(), scopes(SCOPES)));
        }
        let as_grant = JwtBearerGrant::new(
            as_config.build().unwrap(),
            Arc::new(
                StaticClientRegistry::new().with_client(
                    RegisteredClient::confidential(id(AS_CLIENT))
                        .with_secret(Secret::new(AS_SECRET))
                        .with_grant_type(urn::GRANT_TYPE_JWT_BEARER),
                ),
            ),
            Arc::new(
                StaticKeySource::new().with_issuer(&idp, KeySet::from_jwks(&idp_signing.jwks())),
            ),
            Arc::new(MemoryReplayStore::new(1_000_000)),
            as_signing.clone(),
        )
        .unwrap()
        .with_clock(Arc::new(clock.clone()))
        .with_audit(sink);
        let as_token_endpoint = format!("{as_url}/oauth/token");
        let as_metadata = AuthorizationServerMetadataBuilder::new(
            as_issuer.clone(),
            as_token_endpoint.parse().unwrap(),
            format!("{as_url}/oauth/jwks").parse().unwrap(),
        )
        .token_endpoint_auth_methods_supported(["client_secret_post"])
        .scopes_supported(["tools:read", "tools:write"])
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .build()
        .unwrap();
        let as_app = AuthorizationServerRouter::new(
            TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(as_grant)),
            as_signing.clone(),
            as_metadata,
        )
        .build()
        .unwrap();

        // --- RS: each MCP server on its own path, behind its own guard, with its PRM.
        let as_keys = Arc::new(
            StaticKeySource::new().with_issuer(&as_issuer, KeySet::from_jwks(&as_signing.jwks())),
        );
        let mut rs_app = Router::new();
        for r in &served {
            let guard = Arc::new(
                AccessTokenGuard::new(
                    ResourceServerConfig::builder(r.clone(), as_issuer.clone())
                        .scopes_supported(scopes(SCOPES))
                        .allow_loopback_http(true)
                        .build()
                        .unwrap(),
                    as_keys.clone(),
                    Arc::new(clock.clone()),
                )
                .unwrap(),
            );
            let path = r.as_str().trim_start_matches(&rs_url).to_owned();
            let route =
                Router::new()
                    .route(&path, any(|| async { "ok" }))
                    .layer(AccessTokenLayer::new(
                        Arc::clone(&guard),
                        scopes("tools:read"),
                    ));
            rs_app = rs_app.merge(route);
            for prm in guard.config().metadata_paths().to_vec() {
                let guard = Arc::clone(&guard);
                rs_app = rs_app.route(
                    &prm,
                    any(move |request: Request| {
                        let guard = Arc::clone(&guard);
                        async move {
                            guard
                                .metadata_response(request.method(), request.uri().path())
                                .unwrap()
                                .map(Body::from)
                        }
                    }),
                );
            }
        }

        let world = World {
            clock,
            idp,
            as_issuer,
            allowed,
            denied,
            down,
            hang,
            idp_url,
            as_token_endpoint,
            idp_signing,
            idp_log: Log::default(),
            as_log: Log::default(),
            audit,
        };
        serve(idp_listener, idp_app, &world.idp_log, extras.latency).await;
        serve(as_listener, as_app, &world.as_log, extras.latency).await;
        serve(rs_listener, rs_app, &Log::default(), extras.latency).await;
        world
    }

    /// The user's ID token, as the IdP issues it at sign-in.
    pub fn id_token(&self) -> Secret {
        let claims =
            IdTokenClaims::new(self.idp.as_str(), USER, IDP_CLIENT, NOW - 5, NOW + 8 * 3600);
        Secret::new(sign_jws(&self.idp_signing.active(), None, &claims).unwrap())
    }

    /// The client after one sign-in.
    pub fn client(&self, http_timeout: Duration) -> TokenSource {
        let idp = IdentityProvider::new(
            self.idp.clone(),
            ClientCredentials::new(
                id(IDP_CLIENT),
                ClientAuthMethod::SecretBasic(Secret::new(IDP_SECRET)),
            ),
        );
        TokenSource::builder(
            loopback_http(http_timeout),
            StaticIdToken::new(self.id_token()),
            idp,
        )
        .authorization_server(
            self.as_issuer.clone(),
            ClientCredentials::new(
                id(AS_CLIENT),
                ClientAuthMethod::SecretPost(Secret::new(AS_SECRET)),
            ),
        )
        .clock(self.clock.clone())
        .config(
            TokenSourceConfig::default()
                .with_discovery_retries(1, Duration::from_millis(20))
                .with_discovery(DiscoveryConfig::development()),
        )
        .build()
    }
}
