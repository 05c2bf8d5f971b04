//! Fake IdP, resource AS and MCP server on loopback (axum), sharing one state and one
//! clock, for the integration tests. The fakes record every request they get.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use ema_client::{
    ClientAuthMethod, ClientCredentials, IdentityProvider, ReqwestClient, SchemePolicy,
    SubjectTokenSource, TokenSource, TokenSourceBuilder, TokenSourceConfig,
};
use ema_jwt::mint::{IdJagGrant, IdJagMinter};
use ema_jwt::verify::{IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_metadata::discovery::DiscoveryConfig;
use ema_types::{
    ClientId, FixedClock, Form, Issuer, Resource, ScopeSet, Secret, SystemRandom,
    TokenExchangeRequest,
};
use serde_json::json;

pub(crate) const NOW: u64 = 1_793_000_000;
pub(crate) const IDP_CLIENT: &str = "desk-7f3a";
pub(crate) const AS_CLIENT: &str = "cli_42b19c";
pub(crate) const SUBJECT: &str = "eyJhbGciOiJFUzI1NiJ9.subject-id-token.sig";

/// One request as a fake saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Seen {
    pub(crate) fn form(&self) -> Vec<(String, String)> {
        Form::decode(self.body.as_bytes())
            .unwrap()
            .pairs()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    pub(crate) fn param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

/// How the fake IdP answers a token exchange.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum IdpMode {
    /// Mint a proper ID-JAG.
    Normal,
    /// `issued_token_type` of an access token.
    WrongIssuedTokenType,
    /// `token_type` in lower case (still valid).
    LowercaseNa,
    /// Sign with a key that is not in the JWKS.
    ForeignKey,
    /// Answer with this status and JSON body.
    Error(u16, String),
    /// Reject subject tokens other than this one with `invalid_grant`.
    OnlySubject(String),
    /// Reject this subject token with `invalid_grant`.
    RejectSubject(String),
}

/// Where the MCP server publishes its PRM and what its 401 says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum PrmMode {
    /// `resource_metadata` in the challenge, PRM at the path-inserted URL.
    Header,
    /// No `resource_metadata`; PRM at the path-inserted URL.
    PathInserted,
    /// No `resource_metadata`; PRM only at the root URL.
    Root,
}

pub(crate) struct Config {
    pub(crate) idp_mode: IdpMode,
    pub(crate) idp_delay: Duration,
    pub(crate) as_issuer_override: Option<String>,
    pub(crate) as_profiles: Vec<String>,
    pub(crate) prm_mode: PrmMode,
    /// The scope the MCP server's first 401 names.
    pub(crate) challenge_scope: Option<String>,
    /// Scopes the MCP server requires.
    pub(crate) required_scope: Option<String>,
    /// Scopes the AS refuses to grant (dropped from the granted set).
    pub(crate) as_withheld: Vec<String>,
    pub(crate) as_expires_in: u64,
    /// PRM answers 503 this many times first.
    pub(crate) prm_failures: u32,
    /// The MCP server rejects the first N valid tokens with 401 invalid_token.
    pub(crate) rs_reject_first: u32,
    /// The IdP signs with its next key (kid `idp-2027`) and publishes both.
    pub(crate) rotated: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            idp_mode: IdpMode::Normal,
            idp_delay: Duration::ZERO,
            as_issuer_override: None,
            as_profiles: vec!["urn:ietf:params:oauth:grant-profile:id-jag".into()],
            prm_mode: PrmMode::Header,
            challenge_scope: Some("tickets:read".into()),
            required_scope: None,
            as_withheld: Vec::new(),
            as_expires_in: 3600,
            prm_failures: 0,
            rs_reject_first: 0,
            rotated: false,
        }
    }
}

pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) seen_idp: Vec<Seen>,
    pub(crate) seen_as: Vec<Seen>,
    pub(crate) seen_rs: Vec<Seen>,
    pub(crate) exchanges: u32,
    pub(crate) redemptions: u32,
    pub(crate) refreshes: u32,
    pub(crate) used_jtis: HashSet<String>,
    pub(crate) issued: HashMap<String, ScopeSet>,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) prm_failures_left: u32,
    pub(crate) rs_rejects_left: u32,
}

#[derive(Clone)]
pub(crate) struct World {
    pub(crate) shared: Arc<Mutex<Shared>>,
    pub(crate) clock: FixedClock,
    pub(crate) idp_key: SigningKey,
    pub(crate) foreign_key: SigningKey,
    pub(crate) next_key: SigningKey,
    pub(crate) idp: String,
    pub(crate) as_: String,
    pub(crate) rs: String,
}

#[derive(Clone, Copy, Debug)]
enum Party {
    Idp,
    As,
    Rs,
}

async fn listen(world: World, party: Party, listener: tokio::net::TcpListener) {
    let app = Router::new()
        .fallback(handle)
        .with_state((world, PartyState(party)));
    let _ = axum::serve(listener, app).await;
}

#[derive(Clone, Copy)]
struct PartyState(Party);

impl World {
    pub(crate) async fn start(config: Config) -> Self {
        let bind = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() };
        let (l1, l2, l3) = (bind().await, bind().await, bind().await);
        let url = |l: &tokio::net::TcpListener| {
            format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
        };
        let world = World {
            shared: Arc::new(Mutex::new(Shared {
                prm_failures_left: config.prm_failures,
                rs_rejects_left: config.rs_reject_first,
                config,
                seen_idp: Vec::new(),
                seen_as: Vec::new(),
                seen_rs: Vec::new(),
                exchanges: 0,
                redemptions: 0,
                refreshes: 0,
                used_jtis: HashSet::new(),
                issued: HashMap::new(),
                nonce: None,
                code_challenge: None,
            })),
            clock: FixedClock::new(NOW),
            idp_key: SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("idp-2026"),
            foreign_key: SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("idp-2026"),
            next_key: SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("idp-2027"),
            idp: url(&l1),
            as_: url(&l2),
            rs: url(&l3),
        };
        tokio::spawn(listen(world.clone(), Party::Idp, l1));
        tokio::spawn(listen(world.clone(), Party::As, l2));
        tokio::spawn(listen(world.clone(), Party::Rs, l3));
        world
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap()
    }

    pub(crate) fn server(&self) -> Resource {
        Resource::new(format!("{}/mcp", self.rs)).unwrap()
    }

    pub(crate) fn idp_issuer(&self) -> Issuer {
        Issuer::new(self.idp.clone()).unwrap()
    }

    pub(crate) fn as_issuer(&self) -> Issuer {
        Issuer::new(self.as_.clone()).unwrap()
    }

    pub(crate) fn http() -> ReqwestClient {
        ReqwestClient::builder()
            .scheme_policy(SchemePolicy::AllowLoopbackHttp)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    }

    pub(crate) fn config() -> TokenSourceConfig {
        TokenSourceConfig::default()
            .with_discovery(DiscoveryConfig::development())
            .with_discovery_retries(2, Duration::from_millis(10))
    }

    pub(crate) fn idp_secret_basic(&self) -> IdentityProvider {
        IdentityProvider::new(
            self.idp_issuer(),
            ClientCredentials::new(
                ClientId::new(IDP_CLIENT).unwrap(),
                ClientAuthMethod::SecretBasic(Secret::new("idp-secret")),
            ),
        )
    }

    pub(crate) fn as_secret_post() -> ClientCredentials {
        ClientCredentials::new(
            ClientId::new(AS_CLIENT).unwrap(),
            ClientAuthMethod::SecretPost(Secret::new("as-secret")),
        )
    }

    /// A token source with Basic at the IdP, POST at the AS and a fixed ID token.
    pub(crate) fn builder(&self, subject: impl SubjectTokenSource + 'static) -> TokenSourceBuilder {
        TokenSource::builder(Self::http(), subject, self.idp_secret_basic())
            .authorization_server(self.as_issuer(), Self::as_secret_post())
            .clock(self.clock.clone())
            .config(Self::config())
    }

    pub(crate) fn source(&self) -> TokenSource {
        self.builder(ema_client::StaticIdToken::new(Secret::new(SUBJECT)))
            .build()
    }

    pub(crate) fn exchanges(&self) -> Vec<Seen> {
        self.state()
            .seen_idp
            .iter()
            .filter(|s| s.path == "/token" && s.body.contains("token-exchange"))
            .cloned()
            .collect()
    }

    pub(crate) fn redemptions(&self) -> Vec<Seen> {
        self.state()
            .seen_as
            .iter()
            .filter(|s| s.path == "/token")
            .cloned()
            .collect()
    }

    pub(crate) fn rs_paths(&self) -> Vec<String> {
        self.state()
            .seen_rs
            .iter()
            .map(|s| s.path.clone())
            .collect()
    }

    fn idp_metadata(&self) -> serde_json::Value {
        json!({
            "issuer": self.idp,
            "authorization_endpoint": format!("{}/authorize", self.idp),
            "token_endpoint": format!("{}/token", self.idp),
            "jwks_uri": format!("{}/jwks", self.idp),
            "grant_types_supported": ["authorization_code", "refresh_token",
                "urn:ietf:params:oauth:grant-type:token-exchange"],
            "identity_chaining_requested_token_types_supported":
                ["urn:ietf:params:oauth:token-type:id-jag"],
        })
    }

    fn as_metadata(&self) -> serde_json::Value {
        let s = self.state();
        json!({
            "issuer": s.config.as_issuer_override.clone().unwrap_or_else(|| self.as_.clone()),
            "token_endpoint": format!("{}/token", self.as_),
            "jwks_uri": format!("{}/jwks", self.as_),
            "grant_types_supported": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "authorization_grant_profiles_supported": s.config.as_profiles,
        })
    }

    /// The IdP's published keys.
    pub(crate) fn idp_keys(&self) -> KeySet {
        let mut keys = vec![self.idp_key.verifying_key().clone()];
        if self.state().config.rotated {
            keys.push(self.next_key.verifying_key().clone());
        }
        KeySet::from_keys(keys)
    }

    /// A signed ID token for the IdP's client.
    pub(crate) fn id_token(&self, nonce: Option<&str>, exp_in: u64) -> String {
        let now = ema_types::Clock::now_unix(&self.clock);
        let mut claims = json!({
            "iss": self.idp, "sub": "00u8k2p9xq", "aud": IDP_CLIENT,
            "iat": now, "exp": now + exp_in,
        });
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        ema_jwt::mint::sign_jws(&self.idp_key, None, &claims).unwrap()
    }
}

fn json_response(status: u16, body: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn empty(status: u16) -> Response {
    Response::builder()
        .status(status)
        .body(Body::empty())
        .unwrap()
}

async fn handle(
    State((world, PartyState(party))): State<(World, PartyState)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let seen = Seen {
        method,
        path: path.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    {
        let mut s = world.state();
        match party {
            Party::Idp => s.seen_idp.push(seen.clone()),
            Party::As => s.seen_as.push(seen.clone()),
            Party::Rs => s.seen_rs.push(seen.clone()),
        }
    }
    match party {
        Party::Idp => idp(&world, &seen).await,
        Party::As => as_(&world, &seen),
        Party::Rs => rs(&world, &seen),
    }
}

async fn idp(world: &World, seen: &Seen) -> Response {
    match seen.path.as_str() {
        "/.well-known/oauth-authorization-server" => json_response(200, &world.idp_metadata()),
        "/jwks" => json_response(
            200,
            &serde_json::to_value(world.idp_keys().to_jwks()).unwrap(),
        ),
        "/token" => {
            let grant = seen.param("grant_type").unwrap_or_default();
            match grant.as_str() {
                "refresh_token" => {
                    world.state().refreshes += 1;
                    let id_token = world.id_token(None, 600);
                    json_response(
                        200,
                        &json!({"access_token": "idp-at", "token_type": "Bearer",
                            "expires_in": 600, "id_token": id_token,
                            "refresh_token": "rotated-refresh-token"}),
                    )
                }
                "authorization_code" => {
                    let nonce = world.state().nonce.clone();
                    let id_token = world.id_token(nonce.as_deref(), 600);
                    json_response(
                        200,
                        &json!({"access_token": "idp-at", "token_type": "Bearer",
                            "expires_in": 600, "id_token": id_token,
                            "refresh_token": "idp-refresh-token"}),
                    )
                }
                _ => token_exchange(world, seen).await,
            }
        }
        _ => empty(404),
    }
}

async fn token_exchange(world: &World, seen: &Seen) -> Response {
    let (mode, delay) = {
        let mut s = world.state();
        s.exchanges += 1;
        (s.config.idp_mode.clone(), s.config.idp_delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let req = TokenExchangeRequest::decode(seen.body.as_bytes()).unwrap();
    if req.requested_token_type == Some(ema_types::TokenType::RefreshToken) {
        return json_response(
            200,
            &json!({"issued_token_type": "urn:ietf:params:oauth:token-type:refresh_token",
                "access_token": "idp-rt-from-saml", "token_type": "N_A"}),
        );
    }
    match &mode {
        IdpMode::Error(status, body) => {
            return json_response(*status, &serde_json::from_str(body).unwrap());
        }
        IdpMode::RejectSubject(bad) if req.subject_token.expose() == bad => {
            return json_response(
                400,
                &json!({"error": "invalid_grant", "error_description": "subject token expired"}),
            );
        }
        IdpMode::OnlySubject(ok) if req.subject_token.expose() != ok => {
            return json_response(
                400,
                &json!({"error": "invalid_grant", "error_description": "subject token expired"}),
            );
        }
        _ => {}
    }
    let key = if mode == IdpMode::ForeignKey {
        world.foreign_key.clone()
    } else if world.state().config.rotated {
        world.next_key.clone()
    } else {
        world.idp_key.clone()
    };
    let mut grant = IdJagGrant::new(
        "00u8k2p9xq",
        Issuer::new(req.audience[0].clone()).unwrap(),
        ClientId::new(AS_CLIENT).unwrap(),
    )
    .with_resource(req.resource[0].clone());
    if let Some(scope) = req.scope.clone() {
        grant = grant.with_scope(scope);
    }
    let minted = IdJagMinter::new(world.idp_issuer(), key)
        .mint(grant, &world.clock, &SystemRandom)
        .unwrap();
    let issued_token_type = if mode == IdpMode::WrongIssuedTokenType {
        "urn:ietf:params:oauth:token-type:access_token"
    } else {
        "urn:ietf:params:oauth:token-type:id-jag"
    };
    let token_type = if mode == IdpMode::LowercaseNa {
        "n_a"
    } else {
        "N_A"
    };
    let mut body = json!({
        "issued_token_type": issued_token_type,
        "access_token": minted.token.expose(),
        "token_type": token_type,
        "expires_in": 300,
    });
    if let Some(scope) = req.scope {
        body["scope"] = json!(scope.to_string());
    }
    json_response(200, &body)
}

fn as_(world: &World, seen: &Seen) -> Response {
    match seen.path.as_str() {
        "/.well-known/oauth-authorization-server" => json_response(200, &world.as_metadata()),
        "/token" => {
            let req = ema_types::JwtBearerRequest::decode(seen.body.as_bytes()).unwrap();
            // Verify the ID-JAG as the real AS would, including single use of the jti.
            let keys = world.idp_keys();
            let verifier = IdJagVerifier::new(world.as_issuer(), [world.server()]);
            let issuer = world.idp_issuer();
            let anchor = TrustAnchor::new(issuer.as_str(), &keys, &[Algorithm::ES256]);
            let claims = verifier
                .decode(req.assertion.expose())
                .and_then(|jws| verifier.verify(jws, &anchor, AS_CLIENT, &world.clock));
            let Ok(claims) = claims else {
                return json_response(400, &json!({"error": "invalid_grant"}));
            };
            let mut s = world.state();
            if !s.used_jtis.insert(claims.jti.clone()) {
                return json_response(
                    400,
                    &json!({"error": "invalid_grant", "error_description": "replayed"}),
                );
            }
            s.redemptions += 1;
            let mut granted = claims.scope.unwrap_or_default();
            for w in &s.config.as_withheld {
                granted = granted.difference(&w.parse().unwrap());
            }
            let token = format!("at-{}", s.redemptions);
            s.issued.insert(token.clone(), granted.clone());
            json_response(
                200,
                &json!({"access_token": token, "token_type": "Bearer",
                    "expires_in": s.config.as_expires_in, "scope": granted.to_string(),
                    "resource": world.server().as_str()}),
            )
        }
        _ => empty(404),
    }
}

fn rs(world: &World, seen: &Seen) -> Response {
    let mut s = world.state();
    let prm_path = "/.well-known/oauth-protected-resource/mcp";
    let prm_root = "/.well-known/oauth-protected-resource";
    let prm = || {
        json_response(
            200,
            &json!({"resource": world.server().as_str(),
                "authorization_servers": [world.as_],
                "scopes_supported": ["tickets:read", "tickets:write"]}),
        )
    };
    match seen.path.as_str() {
        p if p == prm_path || p == prm_root => {
            let served = match s.config.prm_mode {
                PrmMode::Header | PrmMode::PathInserted => p == prm_path,
                PrmMode::Root => p == prm_root,
            };
            if !served {
                return empty(404);
            }
            if s.prm_failures_left > 0 {
                s.prm_failures_left -= 1;
                return empty(503);
            }
            prm()
        }
        "/mcp" => {
            let bearer = seen
                .header("authorization")
                .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned));
            let granted = bearer.as_ref().and_then(|t| s.issued.get(t).cloned());
            let Some(granted) = granted else {
                let mut challenge = String::from("Bearer");
                let mut params = Vec::new();
                if bearer.is_some() {
                    params.push(r#"error="invalid_token""#.to_owned());
                }
                if s.config.prm_mode == PrmMode::Header {
                    params.push(format!(r#"resource_metadata="{}{prm_path}""#, world.rs));
                }
                if let Some(scope) = &s.config.challenge_scope {
                    params.push(format!(r#"scope="{scope}""#));
                }
                if !params.is_empty() {
                    challenge = format!("{challenge} {}", params.join(", "));
                }
                return Response::builder()
                    .status(401)
                    .header("www-authenticate", challenge)
                    .body(Body::empty())
                    .unwrap();
            };
            if s.rs_rejects_left > 0 {
                s.rs_rejects_left -= 1;
                return Response::builder()
                    .status(401)
                    .header("www-authenticate", r#"Bearer error="invalid_token""#)
                    .body(Body::empty())
                    .unwrap();
            }
            if let Some(required) = &s.config.required_scope {
                let required: ScopeSet = required.parse().unwrap();
                if !required.is_subset(&granted) {
                    return Response::builder()
                        .status(StatusCode::FORBIDDEN)
                        .header(
                            "www-authenticate",
                            format!(
                                r#"Bearer error="insufficient_scope", scope="{required}", resource_metadata="{}{prm_path}""#,
                                world.rs
                            ),
                        )
                        .body(Body::empty())
                        .unwrap();
                }
            }
            json_response(200, &json!({"ok": true}))
        }
        _ => empty(404),
    }
}
