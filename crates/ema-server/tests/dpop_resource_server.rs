//! RS-10: DPoP-bound access tokens at the resource server, through the tower layer served by
//! axum on loopback and driven by plain HTTP/1.1 requests.
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::routing::any;
use ema_jwt::mint::{AccessTokenGrant, AccessTokenMinter, DpopProofMinter};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::axum::ResourceServerRouter;
use ema_server::keys::{KeySource, KeySourceError};
use ema_server::replay::MemoryReplayStore;
use ema_server::resource_server::{AccessTokenGuard, Principal, ResourceServerConfig};
use ema_types::claims::Confirmation;
use http_support::{Reply, send};

mod http_support;
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, SystemRandom};

const NOW: u64 = 1_793_000_000;
const AS: &str = "https://as.toolhub.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const PRM: &str = "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp";

struct StaticKeys(Arc<KeySet>);

#[async_trait]
impl KeySource for StaticKeys {
    async fn keys(
        &self,
        _issuer: &Issuer,
        _kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        Ok(self.0.clone())
    }
}

struct Fixture {
    key: SigningKey,
    clock: FixedClock,
    client: DpopProofMinter,
    addr: SocketAddr,
}

async fn fixture_with(external_origin: Option<&str>) -> Fixture {
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("as-1");
    let clock = FixedClock::new(NOW);
    let mut builder =
        ResourceServerConfig::builder(Resource::new(MCP).unwrap(), Issuer::new(AS).unwrap())
            .scopes_supported(ScopeSet::parse("tickets:read").unwrap());
    if let Some(origin) = external_origin {
        builder = builder.external_origin(origin);
    }
    let keys = StaticKeys(Arc::new(KeySet::from_keys(vec![
        key.verifying_key().clone(),
    ])));
    let guard = AccessTokenGuard::new(
        builder.build().unwrap(),
        Arc::new(keys),
        Arc::new(clock.clone()),
    )
    .unwrap()
    .with_dpop_replay_store(Arc::new(MemoryReplayStore::new(1000)));
    let protected = Router::new().route(
        "/mcp",
        any(
            |axum::Extension(p): axum::Extension<Principal>| async move {
                format!("hello {}", p.subject)
            },
        ),
    );
    let app = ResourceServerRouter::new(Arc::new(guard))
        .protect(protected, ScopeSet::parse("tickets:read").unwrap());
    let addr = http_support::serve(app).await;
    Fixture {
        key,
        clock,
        client: DpopProofMinter::new(SigningKey::generate(Algorithm::ES256).unwrap()),
        addr,
    }
}

async fn fixture() -> Fixture {
    fixture_with(None).await
}

impl Fixture {
    fn token(&self, jkt: Option<&str>) -> String {
        let mut grant = AccessTokenGrant::new(
            "u_7781",
            Resource::new(MCP).unwrap(),
            ClientId::new("cli_42b19c").unwrap(),
            ScopeSet::parse("tickets:read").unwrap(),
        );
        grant.cnf = jkt.map(Confirmation::jkt);
        AccessTokenMinter::new(Issuer::new(AS).unwrap(), self.key.clone())
            .mint(grant, &self.clock, &SystemRandom)
            .unwrap()
            .token
            .expose()
            .to_owned()
    }

    fn bound_token(&self) -> String {
        self.token(Some(self.client.jkt()))
    }

    fn proof_by(
        &self,
        minter: &DpopProofMinter,
        method: &str,
        url: &str,
        token: Option<&str>,
    ) -> String {
        minter
            .mint(method, url, token, None, &self.clock, &SystemRandom)
            .unwrap()
            .expose()
            .to_owned()
    }

    fn proof(&self, method: &str, url: &str, token: Option<&str>) -> String {
        self.proof_by(&self.client, method, url, token)
    }
}

fn dpop_auth(token: &str) -> String {
    format!("Authorization: DPoP {token}")
}

fn dpop_header(proof: &str) -> String {
    format!("DPoP: {proof}")
}

/// 401 with the Bearer `invalid_token` challenge, then `DPoP error="<error>"`.
fn assert_dpop_refusal(r: &Reply, error: &str) {
    assert_eq!(r.status, 401);
    assert_eq!(
        r.all("www-authenticate"),
        [
            format!(r#"Bearer error="invalid_token", resource_metadata="{PRM}""#),
            format!(r#"DPoP error="{error}", resource_metadata="{PRM}", algs="ES256 EdDSA""#),
        ]
    );
    assert_eq!(r.body, format!(r#"{{"error":"{error}"}}"#));
    assert_eq!(r.all("cache-control"), ["no-store"]);
}

#[tokio::test]
async fn rs_10_bound_token_with_a_valid_proof_is_accepted() {
    let f = fixture().await;
    let token = f.bound_token();
    let proof = f.proof("GET", MCP, Some(&token));
    let r = send(
        f.addr,
        "GET",
        "/mcp",
        &[dpop_auth(&token), dpop_header(&proof)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, "hello u_7781");
    // The query string is not part of htu.
    let proof = f.proof("GET", MCP, Some(&token));
    let r = send(
        f.addr,
        "GET",
        "/mcp?cursor=2",
        &[dpop_auth(&token), dpop_header(&proof)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn rs_10_bound_token_with_the_bearer_scheme_is_invalid_token() {
    let f = fixture().await;
    let token = f.bound_token();
    let proof = f.proof("GET", MCP, Some(&token));
    let r = send(
        f.addr,
        "GET",
        "/mcp",
        &[
            format!("Authorization: Bearer {token}"),
            dpop_header(&proof),
        ],
        "",
    )
    .await;
    assert_dpop_refusal(&r, "invalid_token");
}

#[tokio::test]
async fn rs_10_unbound_token_with_the_dpop_scheme_is_invalid_token() {
    let f = fixture().await;
    let token = f.token(None);
    let proof = f.proof("GET", MCP, Some(&token));
    let r = send(
        f.addr,
        "GET",
        "/mcp",
        &[dpop_auth(&token), dpop_header(&proof)],
        "",
    )
    .await;
    assert_dpop_refusal(&r, "invalid_token");
}

#[tokio::test]
async fn rs_10_unbound_token_keeps_working_with_bearer() {
    let f = fixture().await;
    let token = f.token(None);
    let r = send(
        f.addr,
        "GET",
        "/mcp",
        &[format!("Authorization: Bearer {token}")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "hello u_7781");
}

#[tokio::test]
async fn rs_10_missing_proof_is_invalid_dpop_proof() {
    let f = fixture().await;
    let token = f.bound_token();
    let r = send(f.addr, "GET", "/mcp", &[dpop_auth(&token)], "").await;
    assert_dpop_refusal(&r, "invalid_dpop_proof");
}

#[tokio::test]
async fn rs_10_two_proofs_are_invalid_dpop_proof() {
    let f = fixture().await;
    let token = f.bound_token();
    let p1 = f.proof("GET", MCP, Some(&token));
    let p2 = f.proof("GET", MCP, Some(&token));
    let r = send(
        f.addr,
        "GET",
        "/mcp",
        &[dpop_auth(&token), dpop_header(&p1), dpop_header(&p2)],
        "",
    )
    .await;
    assert_dpop_refusal(&r, "invalid_dpop_proof");
}

#[tokio::test]
async fn rs_10_proof_for_another_method_url_or_without_ath_is_invalid_dpop_proof() {
    let f = fixture().await;
    let token = f.bound_token();
    for (label, proof) in [
        ("htm", f.proof("POST", MCP, Some(&token))),
        (
            "htu",
            f.proof("GET", "https://tools.toolhub.test/other", Some(&token)),
        ),
        ("no ath", f.proof("GET", MCP, None)),
        ("ath of another token", f.proof("GET", MCP, Some("a.b.c"))),
        ("garbage", "a.b.c".to_owned()),
    ] {
        let r = send(
            f.addr,
            "GET",
            "/mcp",
            &[dpop_auth(&token), dpop_header(&proof)],
            "",
        )
        .await;
        assert_eq!(r.status, 401, "{label}");
        assert_dpop_refusal(&r, "invalid_dpop_proof");
    }
}

#[tokio::test]
async fn rs_10_proof_by_another_key_is_invalid_token() {
    let f = fixture().await;
    let token = f.bound_token();
    let other = DpopProofMinter::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let proof = f.proof_by(&other, "GET", MCP, Some(&token));
    let r = send(
        f.addr,
        "GET",
        "/mcp",
        &[dpop_auth(&token), dpop_header(&proof)],
        "",
    )
    .await;
    assert_dpop_refusal(&r, "invalid_token");
}

#[tokio::test]
async fn rs_10_replayed_proof_is_invalid_dpop_proof() {
    let f = fixture().await;
    let token = f.bound_token();
    let proof = f.proof("GET", MCP, Some(&token));
    let headers = [dpop_auth(&token), dpop_header(&proof)];
    assert_eq!(send(f.addr, "GET", "/mcp", &headers, "").await.status, 200);
    let r = send(f.addr, "GET", "/mcp", &headers, "").await;
    assert_dpop_refusal(&r, "invalid_dpop_proof");
}

#[tokio::test]
async fn rs_10_htu_uses_the_configured_external_origin() {
    let f = fixture_with(Some("https://mcp.gateway.test:8443")).await;
    let token = f.bound_token();
    let proof = f.proof("GET", "https://mcp.gateway.test:8443/mcp", Some(&token));
    let r = send(
        f.addr,
        "GET",
        "/mcp",
        &[dpop_auth(&token), dpop_header(&proof)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The resource identifier's origin no longer matches.
    let proof = f.proof("GET", MCP, Some(&token));
    let r = send(
        f.addr,
        "GET",
        "/mcp",
        &[dpop_auth(&token), dpop_header(&proof)],
        "",
    )
    .await;
    assert_dpop_refusal(&r, "invalid_dpop_proof");
}

#[test]
fn rs_10_external_origin_must_be_an_origin() {
    for bad in ["https://mcp.gateway.test/path", "ftp://x.test", "not a url"] {
        assert!(
            ResourceServerConfig::builder(Resource::new(MCP).unwrap(), Issuer::new(AS).unwrap())
                .external_origin(bad)
                .build()
                .is_err(),
            "{bad}"
        );
    }
}
