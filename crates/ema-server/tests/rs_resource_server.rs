//! Resource-server rules RS-01..RS-08 through the tower layer, served by axum on loopback and
//! driven by plain HTTP/1.1 requests.
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::routing::any;
use ema_jwt::mint::{AccessTokenGrant, AccessTokenMinter, IdJagGrant, IdJagMinter};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::axum::ResourceServerRouter;
use ema_server::keys::{KeySource, KeySourceError};
use ema_server::resource_server::{
    AccessDenied, AccessTokenGuard, DenialKind, Principal, ResourceServerConfig,
};
use ema_server::tower::ScopesFn;
use ema_types::claims::Confirmation;
use http_support::{NO_HEADERS, send};

mod http_support;
use ema_types::{ClientId, FixedClock, Issuer, Resource, Scope, ScopeSet, SystemRandom};

const NOW: u64 = 1_793_000_000;
const AS: &str = "https://as.toolhub.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const PRM: &str = "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp";

struct StaticKeys {
    issuer: String,
    keys: Option<Arc<KeySet>>,
}

#[async_trait]
impl KeySource for StaticKeys {
    async fn keys(
        &self,
        issuer: &Issuer,
        _kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        if issuer.as_str() != self.issuer {
            return Err(KeySourceError::UnknownIssuer);
        }
        self.keys
            .clone()
            .ok_or_else(|| KeySourceError::Unavailable("down".into()))
    }
}

fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

struct Fixture {
    key: SigningKey,
    clock: FixedClock,
    guard: Arc<AccessTokenGuard>,
}

fn fixture_with(keys_up: bool) -> Fixture {
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("as-1");
    let clock = FixedClock::new(NOW);
    let config =
        ResourceServerConfig::builder(Resource::new(MCP).unwrap(), Issuer::new(AS).unwrap())
            .scopes_supported(scopes("tickets:read tickets:write"))
            .resource_name("ToolHub Tickets MCP")
            .serve_root_metadata(true)
            .scope_implies(
                Scope::new("tickets:admin").unwrap(),
                scopes("tickets:read tickets:write"),
            )
            .build()
            .unwrap();
    let keys = StaticKeys {
        issuer: AS.into(),
        keys: keys_up.then(|| Arc::new(KeySet::from_keys(vec![key.verifying_key().clone()]))),
    };
    let guard = AccessTokenGuard::new(config, Arc::new(keys), Arc::new(clock.clone())).unwrap();
    Fixture {
        key,
        clock,
        guard: Arc::new(guard),
    }
}

fn fixture() -> Fixture {
    fixture_with(true)
}

impl Fixture {
    fn token_with(&self, issuer: &str, resource: &str, scope: &str, cnf: bool) -> String {
        let mut grant = AccessTokenGrant::new(
            "u_7781",
            Resource::new(resource).unwrap(),
            ClientId::new("cli_42b19c").unwrap(),
            scopes(scope),
        );
        if cnf {
            grant.cnf = Some(Confirmation::jkt(
                "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
            ));
        }
        AccessTokenMinter::new(Issuer::new(issuer).unwrap(), self.key.clone())
            .mint(grant, &self.clock, &SystemRandom)
            .unwrap()
            .token
            .expose()
            .to_owned()
    }

    fn token(&self, scope: &str) -> String {
        self.token_with(AS, MCP, scope, false)
    }

    /// Serve `/mcp` (GET needs `tickets:read`; POST needs `tickets:read tickets:write`) behind
    /// the layer, and the PRM at its well-known paths, through `ResourceServerRouter`.
    async fn serve(&self) -> SocketAddr {
        let protected = Router::new()
            .route(
                "/mcp",
                any(
                    |axum::Extension(p): axum::Extension<Principal>| async move {
                        format!("hello {} via {} [{}]", p.subject, p.client_id, p.scopes)
                    },
                ),
            )
            .route("/mcp/refresh", any(|| async { "ok" }));
        let app = ResourceServerRouter::new(self.guard.clone()).protect_per_request(
            protected,
            ScopesFn(|req: &http::Request<Body>| {
                if req.method() == http::Method::GET {
                    scopes("tickets:read")
                } else if req.uri().path().ends_with("/refresh") {
                    scopes("offline_access tickets:read")
                } else {
                    scopes("tickets:read tickets:write")
                }
            }),
        );
        http_support::serve(app).await
    }
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

#[tokio::test]
async fn rs_01_prm_served_at_path_inserted_and_root_urls() {
    let f = fixture();
    let addr = f.serve().await;
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let r = send(addr, "GET", path, NO_HEADERS, "").await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let doc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({
                "resource": MCP,
                "authorization_servers": [AS],
                "scopes_supported": ["tickets:read", "tickets:write"],
                "bearer_methods_supported": ["header"],
                "resource_name": "ToolHub Tickets MCP"
            })
        );
    }
    assert_eq!(f.guard.config().metadata_url(), PRM);
    let r = send(
        addr,
        "POST",
        "/.well-known/oauth-protected-resource/mcp",
        NO_HEADERS,
        "",
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn rs_01_root_metadata_only_when_configured() {
    let config =
        ResourceServerConfig::builder(Resource::new(MCP).unwrap(), Issuer::new(AS).unwrap())
            .build()
            .unwrap();
    assert_eq!(
        config.metadata_paths(),
        ["/.well-known/oauth-protected-resource/mcp"]
    );
}

#[tokio::test]
async fn rs_02_no_credentials_401_with_resource_metadata_and_scope_without_error() {
    let f = fixture();
    let addr = f.serve().await;
    let r = send(addr, "POST", "/mcp", NO_HEADERS, "").await;
    assert_eq!(r.status, 401);
    // The §7.1 wire example, byte for byte (with this operation's scopes).
    assert_eq!(
        r.www_authenticate(),
        format!(r#"Bearer resource_metadata="{PRM}", scope="tickets:read tickets:write""#)
    );
    assert!(!r.www_authenticate().contains("error"));
    let r = send(addr, "GET", "/mcp", NO_HEADERS, "").await;
    assert_eq!(
        r.www_authenticate(),
        format!(r#"Bearer resource_metadata="{PRM}", scope="tickets:read""#)
    );
}

#[tokio::test]
async fn rs_02_unsupported_scheme_is_treated_as_no_credentials() {
    let f = fixture();
    let addr = f.serve().await;
    for h in [
        "Authorization: Basic ZGVzazpzZWNyZXQ=",
        "Authorization: Bearer",
        "Authorization: Bearer ",
    ] {
        let r = send(addr, "GET", "/mcp", &[h], "").await;
        assert_eq!(r.status, 401, "{h}");
        assert_eq!(
            r.www_authenticate(),
            format!(r#"Bearer resource_metadata="{PRM}", scope="tickets:read""#)
        );
    }
}

#[tokio::test]
async fn rs_03_valid_token_reaches_the_service_with_the_principal() {
    let f = fixture();
    let addr = f.serve().await;
    let token = f.token("tickets:read");
    let r = send(addr, "GET", "/mcp", &[&bearer(&token)], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "hello u_7781 via cli_42b19c [tickets:read]");
    // The scheme is case-insensitive.
    let r = send(
        addr,
        "GET",
        "/mcp",
        &[&format!("Authorization: bearer {token}")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
}

async fn assert_invalid_token(addr: SocketAddr, token: &str) {
    let r = send(addr, "GET", "/mcp", &[&bearer(token)], "").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.www_authenticate(),
        format!(r#"Bearer error="invalid_token", resource_metadata="{PRM}""#)
    );
    assert_eq!(r.body, r#"{"error":"invalid_token"}"#);
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn rs_03_wrong_typ_is_invalid_token() {
    let f = fixture();
    let addr = f.serve().await;
    // An ID-JAG (typ oauth-id-jag+jwt) signed by the same key is not an access token.
    let grant = IdJagGrant::new(
        "u_7781",
        Issuer::new(MCP).unwrap(),
        ClientId::new("cli_42b19c").unwrap(),
    )
    .with_scope(scopes("tickets:read"));
    let id_jag = IdJagMinter::new(Issuer::new(AS).unwrap(), f.key.clone())
        .mint(grant, &f.clock, &SystemRandom)
        .unwrap();
    assert_invalid_token(addr, id_jag.token.expose()).await;
}

#[tokio::test]
async fn rs_03_wrong_issuer_is_invalid_token() {
    let f = fixture();
    let addr = f.serve().await;
    assert_invalid_token(
        addr,
        &f.token_with("https://evil.test", MCP, "tickets:read", false),
    )
    .await;
    assert_invalid_token(
        addr,
        &f.token_with("https://as.toolhub.test/", MCP, "tickets:read", false),
    )
    .await;
}

#[tokio::test]
async fn rs_03_wrong_audience_is_invalid_token() {
    let f = fixture();
    let addr = f.serve().await;
    assert_invalid_token(
        addr,
        &f.token_with(
            AS,
            "https://tools.toolhub.test/other",
            "tickets:read",
            false,
        ),
    )
    .await;
}

#[tokio::test]
async fn rs_03_bad_signature_is_invalid_token() {
    let f = fixture();
    let addr = f.serve().await;
    let other = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("as-1");
    let token = AccessTokenMinter::new(Issuer::new(AS).unwrap(), other)
        .mint(
            AccessTokenGrant::new(
                "u_7781",
                Resource::new(MCP).unwrap(),
                ClientId::new("cli_42b19c").unwrap(),
                scopes("tickets:read"),
            ),
            &f.clock,
            &SystemRandom,
        )
        .unwrap();
    assert_invalid_token(addr, token.token.expose()).await;
    assert_invalid_token(addr, "not.a.jwt").await;
}

#[tokio::test]
async fn rs_04_expired_token_401_invalid_token() {
    let f = fixture();
    let token = f.token("tickets:read");
    let addr = f.serve().await;
    f.clock.advance(3600 + 61);
    assert_invalid_token(addr, &token).await;
}

#[tokio::test]
async fn rs_05_insufficient_scope_403_lists_needed_scopes() {
    let f = fixture();
    let addr = f.serve().await;
    let r = send(
        addr,
        "POST",
        "/mcp",
        &[&bearer(&f.token("tickets:read"))],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    // The §7.5 wire example (without the application's error_description).
    assert_eq!(
        r.www_authenticate(),
        format!(
            r#"Bearer error="insufficient_scope", scope="tickets:read tickets:write", resource_metadata="{PRM}""#
        )
    );
    assert_eq!(r.body, r#"{"error":"insufficient_scope"}"#);
}

#[tokio::test]
async fn rs_05_scope_hierarchy_is_honoured() {
    let f = fixture();
    let addr = f.serve().await;
    let r = send(
        addr,
        "POST",
        "/mcp",
        &[&bearer(&f.token("tickets:admin"))],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "hello u_7781 via cli_42b19c [tickets:admin]");
}

#[tokio::test]
async fn rs_06_two_authorization_headers_400_invalid_request() {
    let f = fixture();
    let addr = f.serve().await;
    let t = bearer(&f.token("tickets:read"));
    let r = send(addr, "GET", "/mcp", &[&t, &t], "").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.www_authenticate(),
        format!(r#"Bearer error="invalid_request", resource_metadata="{PRM}""#)
    );
    assert_eq!(r.body, r#"{"error":"invalid_request"}"#);
    // Two credentials in one field.
    let token = f.token("tickets:read");
    let r = send(
        addr,
        "GET",
        "/mcp",
        &[&format!("Authorization: Bearer {token}, Bearer {token}")],
        "",
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn rs_06_token_in_header_and_query_400_invalid_request() {
    let f = fixture();
    let addr = f.serve().await;
    let token = f.token("tickets:read");
    let r = send(
        addr,
        "GET",
        &format!("/mcp?access_token={token}"),
        &[&bearer(&token)],
        "",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.www_authenticate()
            .starts_with(r#"Bearer error="invalid_request""#)
    );
}

#[tokio::test]
async fn rs_06_token_in_form_body_is_refused() {
    let f = fixture();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let e: AccessDenied = f
        .guard
        .check_form_body(&headers, b"a=1&access_token=abc", &scopes("tickets:read"))
        .unwrap_err();
    assert_eq!(e.kind, DenialKind::InvalidRequest);
    assert_eq!(e.status(), 400);
    assert!(
        f.guard
            .check_form_body(&headers, b"a=1", &scopes("tickets:read"))
            .is_ok()
    );
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    assert!(
        f.guard
            .check_form_body(&headers, b"access_token=abc", &scopes("tickets:read"))
            .is_ok()
    );
}

#[tokio::test]
async fn rs_07_token_only_in_query_is_never_accepted() {
    let f = fixture();
    let addr = f.serve().await;
    let token = f.token("tickets:read");
    let r = send(
        addr,
        "GET",
        &format!("/mcp?access_token={token}"),
        NO_HEADERS,
        "",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.www_authenticate(),
        format!(r#"Bearer error="invalid_request", resource_metadata="{PRM}""#)
    );
}

#[tokio::test]
async fn rs_07_token_of_another_resource_or_dpop_bound_is_refused() {
    let f = fixture();
    let addr = f.serve().await;
    // A DPoP-bound token sent as a bearer token (RS-10): the Bearer challenge comes first,
    // then a DPoP one (see tests/dpop_resource_server.rs).
    assert_invalid_token(addr, &f.token_with(AS, MCP, "tickets:read", true)).await;
}

#[tokio::test]
async fn rs_10_dpop_scheme_with_a_malformed_token_is_invalid_token() {
    let f = fixture();
    let addr = f.serve().await;
    let r = send(
        addr,
        "GET",
        "/mcp",
        &["Authorization: DPoP abc.def.ghi"],
        "",
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.www_authenticate(),
        format!(r#"Bearer error="invalid_token", resource_metadata="{PRM}""#)
    );
}

#[tokio::test]
async fn rs_08_offline_access_never_in_challenges_or_metadata() {
    let f = fixture();
    let addr = f.serve().await;
    let r = send(addr, "GET", "/mcp/refresh", NO_HEADERS, "").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.www_authenticate(),
        format!(r#"Bearer resource_metadata="{PRM}", scope="tickets:read""#)
    );
    let r = send(
        addr,
        "POST",
        "/mcp/refresh",
        &[&bearer(&f.token("tickets:write"))],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.www_authenticate(),
        format!(
            r#"Bearer error="insufficient_scope", scope="tickets:read", resource_metadata="{PRM}""#
        )
    );
    let refused =
        ResourceServerConfig::builder(Resource::new(MCP).unwrap(), Issuer::new(AS).unwrap())
            .scopes_supported(scopes("tickets:read offline_access"))
            .build();
    assert!(refused.is_err());
}

#[tokio::test]
async fn rs_keys_unavailable_is_503_without_challenge() {
    let f = fixture_with(false);
    let addr = f.serve().await;
    let r = send(
        addr,
        "GET",
        "/mcp",
        &[&bearer(&f.token("tickets:read"))],
        "",
    )
    .await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("www-authenticate"), None);
}

#[tokio::test]
async fn rs_sans_io_check_returns_the_principal() {
    let f = fixture();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_str(&format!("Bearer {}", f.token("tickets:read tickets:write")))
            .unwrap(),
    );
    let p = f
        .guard
        .check(&headers, &scopes("tickets:write"))
        .await
        .unwrap();
    assert_eq!(p.subject, "u_7781");
    assert_eq!(p.client_id, "cli_42b19c");
    assert_eq!(p.issuer, AS);
    assert_eq!(p.scopes, scopes("tickets:read tickets:write"));
    assert_eq!(p.claims.aud.iter().next().map(String::as_str), Some(MCP));
}

fn raw_claims() -> serde_json::Value {
    serde_json::json!({
        "iss": AS, "sub": "u_7781", "aud": [MCP, "https://other.test"], "client_id": "cli_42b19c",
        "jti": "at_1", "iat": NOW, "exp": NOW + 600, "scope": "tickets:read"
    })
}

#[tokio::test]
async fn rs_03_typ_long_form_and_audience_array_are_accepted() {
    let f = fixture();
    let addr = f.serve().await;
    let token = ema_jwt::mint::sign_jws(&f.key, Some("application/AT+JWT"), &raw_claims()).unwrap();
    let r = send(addr, "GET", "/mcp", &[&bearer(&token)], "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Without typ: refused (explicit typing, JWT-03).
    let token = ema_jwt::mint::sign_jws(&f.key, None, &raw_claims()).unwrap();
    assert_invalid_token(addr, &token).await;
}

#[tokio::test]
async fn rs_03_algorithm_outside_the_allow_list_is_invalid_token() {
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("as-1");
    let config =
        ResourceServerConfig::builder(Resource::new(MCP).unwrap(), Issuer::new(AS).unwrap())
            .algorithms([Algorithm::RS256])
            .build()
            .unwrap();
    let keys = StaticKeys {
        issuer: AS.into(),
        keys: Some(Arc::new(KeySet::from_keys(vec![
            key.verifying_key().clone(),
        ]))),
    };
    let guard =
        AccessTokenGuard::new(config, Arc::new(keys), Arc::new(FixedClock::new(NOW))).unwrap();
    let token = ema_jwt::mint::sign_jws(&key, Some("at+jwt"), &raw_claims()).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let e = guard.check(&headers, &ScopeSet::new()).await.unwrap_err();
    assert_eq!(e.kind, DenialKind::InvalidToken);
    assert_eq!(e.status(), 401);
    assert_eq!(
        e.www_authenticate().unwrap(),
        format!(r#"Bearer error="invalid_token", resource_metadata="{PRM}""#).as_str()
    );
}
