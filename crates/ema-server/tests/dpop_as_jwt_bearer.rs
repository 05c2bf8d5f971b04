//! AS-17 / AS-12: DPoP at the jwt-bearer grant (§6 step 20), over real HTTP.
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod as_support;

use as_support::*;
use ema_jwt::mint::DpopProofMinter;
use ema_jwt::{Algorithm, SigningKey};
use ema_types::{FixedClock, SystemRandom};
use serde_json::{Value, json};

/// The default `htu`: the AS issuer followed by `/token`.
const TOKEN_URL: &str = "https://as.toolhub.test/token";

fn dpop_client() -> DpopProofMinter {
    DpopProofMinter::new(SigningKey::generate(Algorithm::ES256).unwrap())
}

fn proof_at(client: &DpopProofMinter, method: &str, url: &str, now: u64) -> String {
    client
        .mint(
            method,
            url,
            None,
            None,
            &FixedClock::new(now),
            &SystemRandom,
        )
        .unwrap()
        .expose()
        .to_owned()
}

fn proof(client: &DpopProofMinter) -> String {
    proof_at(client, "POST", TOKEN_URL, NOW)
}

impl As {
    async fn redeem_dpop(&self, id_jag: &str, proofs: &[&str]) -> Reply {
        let form = [("grant_type", JWT_BEARER), ("assertion", id_jag)];
        let headers: Vec<(&str, &str)> = proofs.iter().map(|p| ("dpop", *p)).collect();
        self.post_with(&form, Some((CLIENT, SECRET)), &headers)
            .await
    }
}

fn access_token(r: &Reply) -> Value {
    payload(r.json["access_token"].as_str().unwrap())
}

#[track_caller]
fn assert_bound(r: &Reply, jkt: &str) {
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["token_type"], "DPoP");
    assert_eq!(access_token(r)["cnf"], json!({ "jkt": jkt }));
}

#[track_caller]
fn assert_bad_proof(r: &Reply) {
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(
        r.json,
        json!({"error": "invalid_dpop_proof", "error_description": "invalid DPoP proof"})
    );
    assert_eq!(r.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn as_17_cnf_and_matching_proof_binds_the_access_token() {
    let s = start(Options::default()).await;
    let client = dpop_client();
    let id_jag = s.id_jag(json!({"cnf": {"jkt": client.jkt()}}));
    let r = s.redeem_dpop(&id_jag, &[&proof(&client)]).await;
    assert_bound(&r, client.jkt());
}

#[tokio::test]
async fn as_17_cnf_and_proof_by_another_key_is_invalid_grant() {
    let s = start(Options::default()).await;
    let client = dpop_client();
    let id_jag = s.id_jag(json!({"cnf": {"jkt": client.jkt()}}));
    let r = s.redeem_dpop(&id_jag, &[&proof(&dpop_client())]).await;
    r.assert_invalid_grant();
}

#[tokio::test]
async fn as_17_cnf_without_proof_is_invalid_grant() {
    let s = start(Options::default()).await;
    let id_jag = s.id_jag(json!({"cnf": {"jkt": dpop_client().jkt()}}));
    s.redeem_dpop(&id_jag, &[]).await.assert_invalid_grant();
    // A cnf without jkt cannot be honoured either.
    let id_jag = s.id_jag(json!({"cnf": {"x5t#S256": "abc"}}));
    s.redeem_dpop(&id_jag, &[&proof(&dpop_client())])
        .await
        .assert_invalid_grant();
}

#[tokio::test]
async fn as_17_proof_without_cnf_binds_the_access_token() {
    let s = start(Options::default()).await;
    let client = dpop_client();
    let r = s
        .redeem_dpop(&s.id_jag(json!({})), &[&proof(&client)])
        .await;
    assert_bound(&r, client.jkt());
}

#[tokio::test]
async fn as_17_neither_cnf_nor_proof_is_a_bearer_token() {
    let s = start(Options::default()).await;
    let r = s.redeem_dpop(&s.id_jag(json!({})), &[]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["token_type"], "Bearer");
    assert!(access_token(&r).get("cnf").is_none());
}

#[tokio::test]
async fn as_17_neither_cnf_nor_proof_when_dpop_is_required_is_invalid_grant() {
    let s = start(Options {
        config: Box::new(|b| b.require_dpop(true)),
        ..Options::default()
    })
    .await;
    s.redeem_dpop(&s.id_jag(json!({})), &[])
        .await
        .assert_invalid_grant();
    // With a proof the request is served.
    let client = dpop_client();
    let r = s
        .redeem_dpop(&s.id_jag(json!({})), &[&proof(&client)])
        .await;
    assert_bound(&r, client.jkt());
}

#[tokio::test]
async fn as_17_invalid_proofs_are_invalid_dpop_proof() {
    let s = start(Options::default()).await;
    let client = dpop_client();
    for (label, p) in [
        ("garbage", "a.b.c".to_owned()),
        ("htm GET", proof_at(&client, "GET", TOKEN_URL, NOW)),
        (
            "htu of the IdP",
            proof_at(&client, "POST", "https://login.acme-idp.test/token", NOW),
        ),
        (
            "htu of the loopback address",
            proof_at(&client, "POST", &s.url("/oauth/token"), NOW),
        ),
        ("too old", proof_at(&client, "POST", TOKEN_URL, NOW - 400)),
        ("future", proof_at(&client, "POST", TOKEN_URL, NOW + 120)),
    ] {
        let id_jag = s.id_jag(json!({"cnf": {"jkt": client.jkt()}}));
        let r = s.redeem_dpop(&id_jag, &[&p]).await;
        assert_eq!(r.status, 400, "{label}");
        assert_bad_proof(&r);
    }
}

#[tokio::test]
async fn as_17_two_dpop_headers_are_invalid_dpop_proof() {
    let s = start(Options::default()).await;
    let client = dpop_client();
    let r = s
        .redeem_dpop(&s.id_jag(json!({})), &[&proof(&client), &proof(&client)])
        .await;
    assert_bad_proof(&r);
}

#[tokio::test]
async fn as_17_proof_jti_is_single_use() {
    let s = start(Options::default()).await;
    let client = dpop_client();
    let p = proof(&client);
    assert_bound(
        &s.redeem_dpop(&s.id_jag(json!({})), &[&p]).await,
        client.jkt(),
    );
    // The same proof with a fresh ID-JAG.
    assert_bad_proof(&s.redeem_dpop(&s.id_jag(json!({})), &[&p]).await);
}

#[tokio::test]
async fn as_17_step_20_runs_before_the_replay_step_21() {
    let s = start(Options::default()).await;
    let client = dpop_client();
    let id_jag = s.id_jag(json!({"cnf": {"jkt": client.jkt()}}));
    // A bad proof does not consume the ID-JAG...
    assert_bad_proof(&s.redeem_dpop(&id_jag, &["a.b.c"]).await);
    s.redeem_dpop(&id_jag, &[]).await.assert_invalid_grant();
    // ...so it can still be redeemed once, with a good proof.
    assert_bound(
        &s.redeem_dpop(&id_jag, &[&proof(&client)]).await,
        client.jkt(),
    );
    // Then it is spent (step 21), even with a fresh valid proof.
    s.redeem_dpop(&id_jag, &[&proof(&client)])
        .await
        .assert_invalid_grant();
}

#[tokio::test]
async fn as_17_htu_is_the_configured_token_endpoint() {
    let s = start(Options {
        config: Box::new(|b| b.token_endpoint("https://as.toolhub.test/oauth/token")),
        ..Options::default()
    })
    .await;
    let client = dpop_client();
    assert_bad_proof(
        &s.redeem_dpop(&s.id_jag(json!({})), &[&proof(&client)])
            .await,
    );
    let p = proof_at(&client, "POST", "https://as.toolhub.test/oauth/token", NOW);
    assert_bound(
        &s.redeem_dpop(&s.id_jag(json!({})), &[&p]).await,
        client.jkt(),
    );
}

#[test]
fn as_17_token_endpoint_must_be_an_absolute_url() {
    use ema_server::authorization_server::{
        AuthorizationServerConfig, ResourceConfig, TrustedIssuer,
    };
    use ema_types::{Issuer, Resource};
    let builder = || {
        AuthorizationServerConfig::builder(Issuer::new(AS_ISSUER).unwrap())
            .trusted_issuer(TrustedIssuer::new(Issuer::new(IDP).unwrap()))
            .resource(ResourceConfig::new(
                Resource::new(MCP).unwrap(),
                scopes("tickets:read"),
            ))
    };
    let config = builder().build().unwrap();
    assert_eq!(config.dpop_token_endpoint(), TOKEN_URL);
    assert!(builder().token_endpoint("/oauth/token").build().is_err());
}
