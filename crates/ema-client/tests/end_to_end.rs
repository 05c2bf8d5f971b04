//! End to end against ema-server's real handlers: its IdP (token exchange), its resource AS
//! (jwt-bearer, trusting the IdP through a JWKS cache) and an MCP route guarded by its
//! resource-server layer, each served by axum on loopback. The client is driven through its
//! public API only, from nothing but the MCP server URL and the IdP configuration.

#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{any, get};
use ema_client::{
    ClientAuthMethod, ClientCredentials, Disposition, ErrorKind, IdentityProvider, Leg,
    StaticIdToken, TokenSource, TokenSourceConfig,
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
use ema_server::resource_server::{AccessTokenGuard, Principal, ResourceServerConfig};
use ema_server::signing::SigningKeys;
use ema_server::tower::{AccessTokenLayer, ScopesFn};
use ema_types::claims::IdTokenClaims;
use ema_types::transport::HttpClient;
use ema_types::{ClientId, ErrorCode, FixedClock, Form, Issuer, Resource, ScopeSet, Secret, urn};

const NOW: u64 = 1_793_000_000;
const USER: &str = "00u8k2p9xq";
/// The client's id at the IdP.
const IDP_CLIENT: &str = "desk-7f3a";
const IDP_SECRET: &str = "idp-secret-e2e";
/// The client's id at the AS (IDP-12: the policy names it in the ID-JAG).
const AS_CLIENT: &str = "cli_42b19c";
const AS_SECRET: &str = "as-secret-e2e";
/// The AS issues access tokens for this long.
const ACCESS_TOKEN_TTL: u64 = 600;
/// A request header the MCP route reads: `write` operations need `tickets:write`.
const OPERATION: &str = "x-mcp-operation";

fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

fn id(s: &str) -> ClientId {
    ClientId::new(s).unwrap()
}

/// One request a server saw, with the status it answered.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    body: String,
    status: u16,
}

impl Seen {
    fn param(&self, name: &str) -> Option<String> {
        Form::decode(self.body.as_bytes())
            .unwrap()
            .pairs()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Middleware recording every request and the status of its answer.
async fn record(State(log): State<Log>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let mut seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        authorization: parts
            .headers
            .get(http::header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap().to_owned()),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        status: 0,
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    seen.status = response.status().as_u16();
    log.lock().unwrap().push(seen);
    response
}

async fn serve(listener: tokio::net::TcpListener, app: Router, log: &Log) {
    let app = app.layer(axum::middleware::from_fn_with_state(log.clone(), record));
    tokio::spawn(async move { axum::serve(listener, app).await });
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

/// What the IdP administrator allows `desk-7f3a` for the MCP server.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Policy {
    /// Up to these scopes.
    Allow(&'static str),
    /// No row for the MCP server: `invalid_target`.
    NoRow,
}

/// How the client authenticates at the AS.
#[derive(Clone, Copy, Debug, PartialEq)]
enum AsAuth {
    SecretPost,
    PrivateKeyJwt,
}

struct Setup {
    policy: Policy,
    as_auth: AsAuth,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            policy: Policy::Allow("tickets:read tickets:write"),
            as_auth: AsAuth::SecretPost,
        }
    }
}

/// The three roles on loopback, one fixed clock for all of them and the client.
struct World {
    clock: FixedClock,
    idp: Issuer,
    as_issuer: Issuer,
    server: Resource,
    idp_signing: SigningKeys,
    /// The JWKS document the IdP serves.
    published: Arc<Mutex<Vec<u8>>>,
    /// The client's `private_key_jwt` key registered at the AS.
    client_key: SigningKey,
    as_auth: AsAuth,
    idp_log: Log,
    as_log: Log,
    rs_log: Log,
}

impl World {
    async fn start(setup: Setup) -> Self {
        let clock = FixedClock::new(NOW);
        let (idp_listener, idp_url) = bind().await;
        let (as_listener, as_url) = bind().await;
        let (rs_listener, rs_url) = bind().await;
        let idp = Issuer::new(idp_url.clone()).unwrap();
        // An issuer with a path: its metadata is at the path-inserted RFC 8414 URL.
        let as_issuer = Issuer::new(format!("{as_url}/tenant-a")).unwrap();
        let server = Resource::new(format!("{rs_url}/mcp")).unwrap();
        let jwks_http: Arc<dyn HttpClient> = Arc::new(loopback_http());
        let jwks_config = JwksCacheConfig::default().scheme_policy(SchemePolicy::AllowLoopbackHttp);

        // --- IdP: token exchange, JWKS, metadata at its well-known URL.
        let idp_signing = SigningKeys::new(
            SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("idp-2026"),
        );
        let idp_config = IdpConfig::builder(idp.clone())
            .audience(TrustedAudience::new(as_issuer.clone()).resource(server.clone()))
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
        let mut policy = StaticPolicy::new();
        if let Policy::Allow(allowed) = setup.policy {
            policy = policy.with_rule(PolicyRule::new(
                id(IDP_CLIENT),
                as_issuer.clone(),
                server.clone(),
                scopes(allowed),
                id(AS_CLIENT),
            ));
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
                Arc::new(MemoryReplayStore::new(1000)),
                Arc::new(clock.clone()),
            ),
            Arc::new(policy),
        )
        .unwrap();
        let idp_endpoint = Arc::new(
            TokenEndpoint::new().with_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE, Arc::new(idp_grant)),
        );
        // The JWKS the IdP publishes: a snapshot, republished by `publish_idp_keys`.
        let idp_jwks = Arc::new(Mutex::new(serde_json::to_vec(&idp_signing.jwks()).unwrap()));
        let published = Arc::clone(&idp_jwks);
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
                    let body = idp_jwks.lock().unwrap().clone();
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

        // --- AS: jwt-bearer, the IdP trusted through its JWKS (fetched over HTTP).
        let as_signing = SigningKeys::new(
            SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("as-1"),
        );
        let as_config = AuthorizationServerConfig::builder(as_issuer.clone())
            .trusted_issuer(TrustedIssuer::new(idp.clone()))
            .resource(ResourceConfig::new(
                server.clone(),
                scopes("tickets:read tickets:write"),
            ))
            .access_token_ttl(ACCESS_TOKEN_TTL)
            .build()
            .unwrap();
        let client_key = SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("cli-k1");
        let mut as_client = RegisteredClient::confidential(id(AS_CLIENT))
            .with_grant_type(urn::GRANT_TYPE_JWT_BEARER);
        as_client = match setup.as_auth {
            AsAuth::SecretPost => as_client.with_secret(Secret::new(AS_SECRET)),
            AsAuth::PrivateKeyJwt => as_client.with_keys(
                KeySet::from_keys(vec![client_key.verifying_key().clone()]),
                [Algorithm::ES256],
            ),
        };
        let as_grant = JwtBearerGrant::new(
            as_config,
            Arc::new(StaticClientRegistry::new().with_client(as_client)),
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
            format!("{as_url}/tenant-a/oauth/token").parse().unwrap(),
            format!("{as_url}/tenant-a/oauth/jwks").parse().unwrap(),
        )
        .token_endpoint_auth_methods_supported([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ])
        .token_endpoint_auth_signing_alg_values_supported(["ES256"])
        .scopes_supported(["tickets:read", "tickets:write"])
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

        // --- RS: the MCP route behind the access-token layer; PRM next to it.
        let guard = Arc::new(
            AccessTokenGuard::new(
                ResourceServerConfig::builder(server.clone(), as_issuer.clone())
                    .scopes_supported(scopes("tickets:read tickets:write"))
                    .allow_loopback_http(true)
                    .build()
                    .unwrap(),
                Arc::new(
                    JwksCache::new(jwks_http, jwks_config)
                        .with_issuer(&as_issuer, &format!("{as_url}/tenant-a/oauth/jwks"))
                        .unwrap(),
                ),
                Arc::new(clock.clone()),
            )
            .unwrap(),
        );
        let prm_guard = Arc::clone(&guard);
        let prm_paths = guard.config().metadata_paths().to_vec();
        let mut rs_app = Router::new()
            .route(
                "/mcp",
                any(
                    |axum::Extension(p): axum::Extension<Principal>| async move {
                        format!("{} {} {}", p.subject, p.client_id, p.scopes)
                    },
                ),
            )
            .layer(AccessTokenLayer::per_request(
                guard,
                ScopesFn(|request: &http::Request<Body>| {
                    let write = request
                        .headers()
                        .get(OPERATION)
                        .is_some_and(|v| v == "write");
                    scopes(if write {
                        "tickets:write"
                    } else {
                        "tickets:read"
                    })
                }),
            ));
        for path in prm_paths {
            let guard = Arc::clone(&prm_guard);
            rs_app = rs_app.route(
                &path,
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

        let world = World {
            clock,
            idp,
            as_issuer,
            server,
            idp_signing,
            published,
            client_key,
            as_auth: setup.as_auth,
            idp_log: Log::default(),
            as_log: Log::default(),
            rs_log: Log::default(),
        };
        serve(idp_listener, idp_app, &world.idp_log).await;
        serve(as_listener, as_app, &world.as_log).await;
        serve(rs_listener, rs_app, &world.rs_log).await;
        world
    }

    /// The user's ID token as the IdP issues it at sign-in: signed with the IdP key, `aud` =
    /// the client's id at the IdP.
    fn id_token(&self) -> Secret {
        let claims =
            IdTokenClaims::new(self.idp.as_str(), USER, IDP_CLIENT, NOW - 5, NOW + 8 * 3600);
        Secret::new(sign_jws(&self.idp_signing.active(), None, &claims).unwrap())
    }

    /// Publish the IdP's current keys at its `jwks_uri`.
    fn publish_idp_keys(&self) {
        *self.published.lock().unwrap() = serde_json::to_vec(&self.idp_signing.jwks()).unwrap();
    }

    /// How many times the IdP's JWKS was fetched (by the client or the AS).
    fn jwks_fetches(&self) -> usize {
        self.idp_log
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == "/jwks")
            .count()
    }

    /// The client: the IdP issuer and the client's credentials at the IdP and at the AS.
    fn client(&self) -> TokenSource {
        self.client_with(TokenSourceConfig::default())
    }

    fn client_with(&self, config: TokenSourceConfig) -> TokenSource {
        let idp = IdentityProvider::new(
            self.idp.clone(),
            ClientCredentials::new(
                id(IDP_CLIENT),
                ClientAuthMethod::SecretBasic(Secret::new(IDP_SECRET)),
            ),
        );
        let at_as = match self.as_auth {
            AsAuth::SecretPost => ClientAuthMethod::SecretPost(Secret::new(AS_SECRET)),
            AsAuth::PrivateKeyJwt => ClientAuthMethod::PrivateKeyJwt(self.client_key.clone()),
        };
        TokenSource::builder(loopback_http(), StaticIdToken::new(self.id_token()), idp)
            .authorization_server(
                self.as_issuer.clone(),
                ClientCredentials::new(id(AS_CLIENT), at_as),
            )
            .clock(self.clock.clone())
            .config(config.with_discovery(DiscoveryConfig::development()))
            .build()
    }

    fn mcp_request(&self, operation: &str) -> http::Request<Vec<u8>> {
        http::Request::post(self.server.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(OPERATION, operation)
            .body(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.to_vec())
            .unwrap()
    }

    /// Token-endpoint requests the IdP answered.
    fn exchanges(&self) -> Vec<Seen> {
        token_posts(&self.idp_log)
    }

    /// Token-endpoint requests the AS answered.
    fn redemptions(&self) -> Vec<Seen> {
        token_posts(&self.as_log)
    }

    fn mcp_calls(&self) -> Vec<Seen> {
        self.rs_log
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == "/mcp")
            .cloned()
            .collect()
    }
}

fn token_posts(log: &Log) -> Vec<Seen> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "POST" && s.path.ends_with("/token"))
        .cloned()
        .collect()
}

fn body(response: &http::Response<Vec<u8>>) -> String {
    String::from_utf8(response.body().clone()).unwrap()
}

#[tokio::test]
async fn e2e_cl_07_cl_12_from_the_server_url_to_an_authorized_call() {
    let w = World::start(Setup::default()).await;
    let client = w.client();

    let response = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", body(&response));
    assert_eq!(body(&response), format!("{USER} {AS_CLIENT} tickets:read"));

    // Discovery: the MCP server's 401, its PRM, the AS metadata at the path-inserted URL.
    let rs = w.rs_log.lock().unwrap().clone();
    assert_eq!((rs[0].path.as_str(), rs[0].status), ("/mcp", 401));
    assert!(rs[0].authorization.is_none());
    assert!(
        rs.iter()
            .any(|s| s.path == "/.well-known/oauth-protected-resource/mcp" && s.status == 200)
    );
    assert!(
        w.as_log.lock().unwrap().iter().any(|s| s.path
            == "/.well-known/oauth-authorization-server/tenant-a"
            && s.status == 200)
    );
    assert!(
        w.idp_log
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.path == "/.well-known/oauth-authorization-server" && s.status == 200)
    );

    // CL-07: one exchange at the IdP with the AS issuer as audience and the server as resource.
    let exchanges = w.exchanges();
    assert_eq!(exchanges.len(), 1);
    let ex = &exchanges[0];
    assert_eq!(ex.status, 200);
    assert_eq!(
        ex.param("grant_type").as_deref(),
        Some(urn::GRANT_TYPE_TOKEN_EXCHANGE)
    );
    assert_eq!(ex.param("audience").as_deref(), Some(w.as_issuer.as_str()));
    assert_eq!(ex.param("resource").as_deref(), Some(w.server.as_str()));
    assert_eq!(ex.param("scope").as_deref(), Some("tickets:read"));
    assert!(ex.authorization.as_deref().unwrap().starts_with("Basic "));

    // CL-12: one redemption at the AS, authenticated as the client registered there.
    let redemptions = w.redemptions();
    assert_eq!(redemptions.len(), 1);
    let red = &redemptions[0];
    assert_eq!(red.status, 200);
    assert_eq!(red.path, "/tenant-a/oauth/token");
    assert_eq!(
        red.param("grant_type").as_deref(),
        Some(urn::GRANT_TYPE_JWT_BEARER)
    );
    assert_eq!(red.param("resource").as_deref(), Some(w.server.as_str()));
    assert_eq!(red.param("client_id").as_deref(), Some(AS_CLIENT));

    // The cached token is used for the next call: no new exchange.
    let token = client.access_token(&w.server).await.unwrap();
    assert_eq!(token.issuer, w.as_issuer);
    assert_eq!(token.expires_at, Some(NOW + ACCESS_TOKEN_TTL));
    assert_eq!(token.scope, Some(scopes("tickets:read")));
    let again = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(w.exchanges().len(), 1);
    let calls = w.mcp_calls();
    let bearer = format!("Bearer {}", token.token.expose());
    assert_eq!(
        calls.last().unwrap().authorization.as_deref(),
        Some(&*bearer)
    );
}

#[tokio::test]
async fn e2e_cl_17_step_up_to_the_union_of_scopes() {
    let w = World::start(Setup::default()).await;
    let client = w.client();
    let read = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(body(&read), format!("{USER} {AS_CLIENT} tickets:read"));

    // The write operation needs tickets:write: 403 insufficient_scope, then the union.
    let write = client
        .execute(&w.server, w.mcp_request("write"))
        .await
        .unwrap();
    assert_eq!(write.status(), 200, "{}", body(&write));
    assert_eq!(
        body(&write),
        format!("{USER} {AS_CLIENT} tickets:read tickets:write")
    );
    let statuses: Vec<u16> = w.mcp_calls().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [401, 200, 403, 200]);
    let exchanges = w.exchanges();
    assert_eq!(exchanges.len(), 2);
    assert_eq!(
        exchanges[1].param("scope").as_deref(),
        Some("tickets:read tickets:write")
    );
    assert_eq!(
        w.redemptions()[1].param("scope").as_deref(),
        Some("tickets:read tickets:write")
    );
    // The stepped-up token also serves reads.
    let read = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(w.exchanges().len(), 2);
}

#[tokio::test]
async fn e2e_cl_17_step_up_beyond_the_policy_is_refused() {
    let w = World::start(Setup {
        policy: Policy::Allow("tickets:read"),
        ..Setup::default()
    })
    .await;
    let client = w.client();
    let e = client
        .execute(&w.server, w.mcp_request("write"))
        .await
        .unwrap_err();
    // The IdP narrows the union to tickets:read; the AS grants that; the client stops
    // instead of asking again.
    assert!(matches!(e.kind(), ErrorKind::StepUpExhausted { .. }), "{e}");
    assert_eq!(e.disposition(), Disposition::FixConfiguration);
    assert_eq!(w.exchanges().len(), 2);
    assert!(w.exchanges().iter().all(|s| s.status == 200));
    // CL-11: the AS is asked for what the ID-JAG grants, not for the narrowed-away scope.
    let redemptions = w.redemptions();
    assert_eq!(redemptions.len(), 2);
    assert!(redemptions.iter().all(|s| s.status == 200));
    assert_eq!(
        redemptions[1].param("scope").as_deref(),
        Some("tickets:read")
    );
}

#[tokio::test]
async fn e2e_cl_22_policy_denial_of_the_target_is_a_configuration_error() {
    let w = World::start(Setup {
        policy: Policy::NoRow,
        ..Setup::default()
    })
    .await;
    let e = w.client().access_token(&w.server).await.unwrap_err();
    assert_eq!(e.leg(), Leg::TokenExchange);
    assert_eq!(e.oauth_error().unwrap().error, ErrorCode::InvalidTarget);
    assert_eq!(e.disposition(), Disposition::FixConfiguration);
    assert_eq!(w.exchanges().len(), 1, "not retried");
    assert_eq!(w.exchanges()[0].status, 400);
    assert!(w.redemptions().is_empty());
}

#[tokio::test]
async fn e2e_cl_22_policy_denial_of_the_scope_is_a_configuration_error() {
    // The administrator allows only tickets:write; the server asks for tickets:read.
    let w = World::start(Setup {
        policy: Policy::Allow("tickets:write"),
        ..Setup::default()
    })
    .await;
    let e = w
        .client()
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap_err();
    assert_eq!(e.leg(), Leg::TokenExchange);
    assert_eq!(e.oauth_error().unwrap().error, ErrorCode::InvalidScope);
    assert_eq!(e.disposition(), Disposition::FixConfiguration);
    assert_eq!(w.exchanges().len(), 1, "not retried");
    assert!(w.redemptions().is_empty());
}

#[tokio::test]
async fn e2e_cl_15_each_renewal_redeems_a_new_id_jag() {
    let w = World::start(Setup::default()).await;
    let client = w.client();
    let first = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(first.status(), 200);

    // The real AS refuses a second redemption of the same ID-JAG (AS-11): resending the
    // client's request as it was is refused.
    let replay = w.redemptions()[0].clone();
    let request = http::Request::post(format!(
        "{}/oauth/token",
        w.as_issuer.as_str().trim_end_matches('/')
    ))
    .header(http::header::CONTENT_TYPE, urn::MEDIA_TYPE_FORM)
    .body(replay.body.clone().into_bytes())
    .unwrap();
    let refused = loopback_http().send(request).await.unwrap();
    assert_eq!(refused.status(), 400);
    let error: serde_json::Value = serde_json::from_slice(refused.body()).unwrap();
    assert_eq!(error["error"], "invalid_grant");

    // Past the access token's expiry the client runs a new exchange for a new ID-JAG.
    w.clock.advance(ACCESS_TOKEN_TTL + 1);
    let second = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(second.status(), 200, "{}", body(&second));
    let exchanges = w.exchanges();
    assert_eq!(exchanges.len(), 2, "a second exchange");
    assert!(exchanges.iter().all(|s| s.status == 200));
    let redemptions = w.redemptions();
    let client_redemptions: Vec<&Seen> = redemptions.iter().filter(|s| s.status == 200).collect();
    assert_eq!(client_redemptions.len(), 2);
    assert_ne!(
        client_redemptions[0].param("assertion"),
        client_redemptions[1].param("assertion"),
        "never the same ID-JAG twice"
    );
    // Only the deliberate replay above was refused.
    assert_eq!(redemptions.iter().filter(|s| s.status != 200).count(), 1);
    let calls = w.mcp_calls();
    let used: Vec<&Option<String>> = calls
        .iter()
        .filter(|s| s.status == 200)
        .map(|s| &s.authorization)
        .collect();
    assert_eq!(used.len(), 2);
    assert_ne!(used[0], used[1], "a new access token after expiry");
}

#[tokio::test]
async fn e2e_cl_13_private_key_jwt_at_the_as() {
    let w = World::start(Setup {
        as_auth: AsAuth::PrivateKeyJwt,
        ..Setup::default()
    })
    .await;
    let client = w.client();
    let response = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", body(&response));
    assert_eq!(body(&response), format!("{USER} {AS_CLIENT} tickets:read"));
    let red = &w.redemptions()[0];
    assert_eq!(
        red.param("client_assertion_type").as_deref(),
        Some(urn::CLIENT_ASSERTION_TYPE_JWT_BEARER)
    );
    assert!(red.param("client_secret").is_none());
    assert!(red.authorization.is_none());
    // Renewal signs a new assertion (its jti is single use at the AS too).
    w.clock.advance(ACCESS_TOKEN_TTL + 1);
    let again = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "{}", body(&again));
    let redemptions = w.redemptions();
    assert_eq!(redemptions.len(), 2);
    assert_ne!(
        redemptions[0].param("client_assertion"),
        redemptions[1].param("client_assertion")
    );
}

#[tokio::test]
async fn e2e_jwt_05_unknown_kid_refetch_is_rate_limited() {
    let w = World::start(Setup::default()).await;
    let client = w.client(); // default: one refetch per 30 s
    client.access_token(&w.server).await.unwrap();
    let before = w.jwks_fetches(); // the client's and the AS's

    // The IdP rotates its key but publishes the new JWKS late.
    w.idp_signing.rotate(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("idp-2027"),
    );
    let refused = || async {
        client.clear();
        let e = client.access_token(&w.server).await.unwrap_err();
        assert_eq!(e.leg(), Leg::IdJagVerification, "{e}");
        assert!(matches!(e.kind(), ErrorKind::Jwt(_)), "{e}");
    };
    refused().await;
    assert_eq!(
        w.jwks_fetches(),
        before + 1,
        "one refetch for the unknown kid"
    );
    refused().await;
    w.clock.advance(29);
    refused().await;
    assert_eq!(w.jwks_fetches(), before + 1, "no refetch within 30 s");
    w.publish_idp_keys();
    refused().await;
    assert_eq!(
        w.jwks_fetches(),
        before + 1,
        "published, but still cooling down"
    );
    assert!(
        w.redemptions().iter().all(|s| s.status == 200),
        "never redeemed"
    );

    // 30 s after the refetch: one more, which finds the new key.
    w.clock.advance(1);
    client.clear();
    let response = client
        .execute(&w.server, w.mcp_request("read"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", body(&response));
    // The client's refetch, and the AS's own refetch for the kid new to it.
    assert_eq!(w.jwks_fetches(), before + 3);
}

#[tokio::test]
async fn e2e_jwt_05_refetch_interval_is_configurable() {
    let w = World::start(Setup::default()).await;
    let client =
        w.client_with(TokenSourceConfig::default().with_jwks_refetch_interval(Duration::ZERO));
    client.access_token(&w.server).await.unwrap();
    let before = w.jwks_fetches();
    w.idp_signing.rotate(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("idp-2027"),
    );
    for n in 1..=3 {
        client.clear();
        let e = client.access_token(&w.server).await.unwrap_err();
        assert_eq!(e.leg(), Leg::IdJagVerification, "{e}");
        assert_eq!(w.jwks_fetches(), before + n, "no cooldown");
    }
}
