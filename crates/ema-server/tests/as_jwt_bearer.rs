//! The resource AS over HTTP on loopback: AS-01..AS-23 and §6 steps, by ID.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]

mod as_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use as_support::*;
use async_trait::async_trait;
use ema_jwt::mint::ClientAssertionMinter;
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::authorization_server::{Principal, SubjectError, SubjectResolver};
use ema_server::client_auth::AuthenticatedClient;
use ema_server::replay::{MemoryReplayStore, ReplayKey, ReplayStore};
use ema_types::claims::IdJagClaims;
use ema_types::{ClientId, Issuer, SystemRandom, urn};
use serde_json::json;

// ---------------------------------------------------------------- success (AS-09, AS-12..14)

#[tokio::test]
async fn as_12_success_response_shape_and_headers() {
    let s = start(Options::default()).await;
    let r = s.redeem(&s.id_jag(json!({})), &[("resource", MCP)]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.headers["pragma"], "no-cache");
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"], 3600);
    assert_eq!(r.json["scope"], "tickets:read");
    assert_eq!(r.json["resource"], MCP);
    // AS-13: never a refresh token.
    assert!(r.json.get("refresh_token").is_none());
    let keys: Vec<_> = r.json.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
}

#[tokio::test]
async fn as_09_as_14_access_token_is_rfc9068_with_aud_the_resource() {
    let s = start(Options::default()).await;
    let r = s.redeem(&s.id_jag(json!({"acr": "urn:mfa"})), &[]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let at = r.json["access_token"].as_str().unwrap();
    let h = header(at);
    assert_eq!(h.typ.as_deref(), Some("at+jwt"));
    assert_eq!(h.kid.as_deref(), Some("as-1"));
    assert_eq!(h.alg, Algorithm::ES256);
    let c = payload(at);
    assert_eq!(c["iss"], AS_ISSUER);
    assert_eq!(c["aud"], MCP);
    assert_eq!(c["sub"], "00u8k2p9xq");
    assert_eq!(c["client_id"], CLIENT);
    assert_eq!(c["scope"], "tickets:read");
    assert_eq!(c["iat"], NOW);
    assert_eq!(c["exp"], NOW + 3600);
    assert_eq!(c["auth_time"], NOW - 500);
    assert_eq!(c["acr"], "urn:mfa");
    assert_eq!(c["amr"], json!(["pwd", "otp"]));
    assert!(c["jti"].as_str().unwrap().len() >= 22);
    // It verifies against the AS's published JWKS.
    let jwks = s
        .http
        .get(s.url("/oauth/jwks"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let keys = KeySet::from_json(&jwks).unwrap();
    let verifier = ema_jwt::verify::AccessTokenVerifier::new(
        Issuer::new(AS_ISSUER).unwrap(),
        ema_types::Resource::new(MCP).unwrap(),
    );
    let claims = verifier
        .verify(at, &keys, &[Algorithm::ES256], &s.clock)
        .unwrap();
    assert_eq!(claims.sub, "00u8k2p9xq");
}

#[tokio::test]
async fn as_02_private_key_jwt_over_http_wire_example() {
    let s = start(Options::default()).await;
    let assertion =
        ClientAssertionMinter::new(ClientId::new(CLIENT).unwrap(), s.client_key.clone())
            .mint(&Issuer::new(AS_ISSUER).unwrap(), &s.clock, &SystemRandom)
            .unwrap();
    let id_jag = s.id_jag(json!({}));
    let form = [
        ("grant_type", JWT_BEARER),
        ("assertion", id_jag.as_str()),
        ("resource", MCP),
        (
            "client_assertion_type",
            urn::CLIENT_ASSERTION_TYPE_JWT_BEARER,
        ),
        ("client_assertion", assertion.token.expose()),
    ];
    let r = s.post(&form, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // The client assertion is single use (JWT-10): replaying it fails client authentication.
    let form2 = [
        ("grant_type", JWT_BEARER),
        ("assertion", &s.id_jag(json!({}))),
        (
            "client_assertion_type",
            urn::CLIENT_ASSERTION_TYPE_JWT_BEARER,
        ),
        ("client_assertion", assertion.token.expose()),
    ];
    let form2: Vec<(&str, &str)> = form2.iter().map(|(k, v)| (*k, *v)).collect();
    s.post(&form2, None)
        .await
        .assert_error(400, "invalid_client");
}

// ---------------------------------------------------------------- step 1 (AS-01)

#[tokio::test]
async fn as_01_step_1_assertion_missing_repeated_or_empty_is_invalid_request() {
    let s = start(Options::default()).await;
    let auth = Some((CLIENT, SECRET));
    s.post(&[("grant_type", JWT_BEARER)], auth)
        .await
        .assert_error(400, "invalid_request");
    s.post(&[("grant_type", JWT_BEARER), ("assertion", "")], auth)
        .await
        .assert_error(400, "invalid_request");
    let a = s.id_jag(json!({}));
    s.post(
        &[
            ("grant_type", JWT_BEARER),
            ("assertion", &a),
            ("assertion", &a),
        ],
        auth,
    )
    .await
    .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn as_01_unknown_grant_is_unsupported_grant_type_and_get_is_405() {
    let s = start(Options::default()).await;
    s.post(&[("grant_type", "password")], Some((CLIENT, SECRET)))
        .await
        .assert_error(400, "unsupported_grant_type");
    let r = s.http.get(s.url("/oauth/token")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let r = s
        .http
        .post(s.url("/oauth/token"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = s
        .http
        .post(s.url("/oauth/token"))
        .header("content-type", urn::MEDIA_TYPE_FORM)
        .body(vec![b'a'; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

// ---------------------------------------------------------------- step 2 (AS-02, AS-03)

#[tokio::test]
async fn as_02_step_2_client_authentication_before_any_key_fetch() {
    let s = start(Options::default()).await;
    let r = s.redeem_as("cli_nobody", &s.id_jag(json!({})), &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.headers["www-authenticate"],
        "Basic realm=\"https://as.toolhub.test\""
    );
    assert_eq!(r.json, json!({"error": "invalid_client"}));
    let form = [
        ("grant_type", JWT_BEARER),
        ("assertion", &s.id_jag(json!({}))),
        ("client_id", CLIENT),
        ("client_secret", "wrong"),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, *v)).collect();
    let r = s.post(&form, None).await;
    r.assert_error(400, "invalid_client");
    assert!(r.headers.get("www-authenticate").is_none());
    assert_eq!(
        s.key_source.calls.load(Ordering::SeqCst),
        0,
        "no key fetch before client authentication"
    );
}

#[tokio::test]
async fn as_03_step_2_public_client_is_invalid_client_by_default() {
    let s = start(Options::default()).await;
    let id_jag = s.id_jag(json!({"client_id": "https://app.example/cimd.json"}));
    let r = s
        .post(
            &[
                ("grant_type", JWT_BEARER),
                ("assertion", &id_jag),
                ("client_id", "https://app.example/cimd.json"),
            ],
            None,
        )
        .await;
    r.assert_error(400, "invalid_client");
}

#[tokio::test]
async fn as_03_public_client_with_opt_in_is_served() {
    let s = start(Options {
        config: Box::new(|b| b.allow_public_clients(true)),
        ..Options::default()
    })
    .await;
    let id_jag = s.id_jag(json!({"client_id": "https://app.example/cimd.json"}));
    let r = s
        .post(
            &[
                ("grant_type", JWT_BEARER),
                ("assertion", &id_jag),
                ("client_id", "https://app.example/cimd.json"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
}

// ---------------------------------------------------------------- step 3 (AS-04)

#[tokio::test]
async fn as_04_step_3_client_not_registered_for_grant_or_ema_is_unauthorized_client() {
    let s = start(Options::default()).await;
    s.redeem_as(
        "cli_nogrant",
        &s.id_jag(json!({"client_id": "cli_nogrant"})),
        &[],
    )
    .await
    .assert_error(400, "unauthorized_client");
    s.redeem_as(
        "cli_not_ema",
        &s.id_jag(json!({"client_id": "cli_not_ema"})),
        &[],
    )
    .await
    .assert_error(400, "unauthorized_client");
    assert_eq!(s.key_source.calls.load(Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------- steps 4-16 (AS-05..08, AS-19, AS-23)

#[tokio::test]
async fn as_19_every_assertion_failure_is_one_uniform_invalid_grant() {
    let s = start(Options::default()).await;
    let cases: Vec<(&str, String)> = vec![
        ("4 malformed", "not-a-jwt".to_owned()),
        (
            "5 typ",
            ema_jwt::mint::sign_jws(&s.idp_key, Some("JWT"), &s.claims(json!({}))).unwrap(),
        ),
        (
            "7 untrusted iss",
            s.id_jag(json!({"iss": "https://evil.test"})),
        ),
        ("9 signature", {
            let other = SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .with_kid("idp-2026");
            ema_jwt::mint::sign_jws(&other, Some(urn::JOSE_TYPE_ID_JAG), &s.claims(json!({})))
                .unwrap()
        }),
        ("8 unknown kid", {
            let k = s.idp_key.clone().with_kid("rotated-away");
            ema_jwt::mint::sign_jws(&k, Some(urn::JOSE_TYPE_ID_JAG), &s.claims(json!({}))).unwrap()
        }),
        ("8 alg none", {
            let t = s.id_jag(json!({}));
            let parts: Vec<&str> = t.split('.').collect();
            format!(
                "eyJhbGciOiJub25lIiwidHlwIjoib2F1dGgtaWQtamFnK2p3dCJ9.{}.",
                parts[1]
            )
        }),
        ("10 no jti", s.id_jag(json!({"jti": null}))),
        ("10 no sub", s.id_jag(json!({"sub": null}))),
        (
            "11 aud token endpoint (AS-23 another AS)",
            s.id_jag(json!({"aud": "https://as.toolhub.test/oauth/token"})),
        ),
        (
            "11 aud other AS",
            s.id_jag(json!({"aud": "https://as.elsewhere.test"})),
        ),
        (
            "11 aud two values",
            s.id_jag(json!({"aud": [AS_ISSUER, "https://x.test"]})),
        ),
        (
            "11 trailing slash",
            s.id_jag(json!({"aud": "https://as.toolhub.test/"})),
        ),
        ("12 client_id", s.id_jag(json!({"client_id": "cli_other"}))),
        (
            "13 expired",
            s.id_jag(json!({"iat": NOW - 500, "exp": NOW - 100})),
        ),
        (
            "13 future iat",
            s.id_jag(json!({"iat": NOW + 200, "exp": NOW + 400})),
        ),
        ("14 lifetime", s.id_jag(json!({"exp": NOW + 601}))),
        ("16 no resource", s.id_jag(json!({"resource": null}))),
        (
            "16 resource not served (AS-08)",
            s.id_jag(json!({"resource": "https://other.test/mcp"})),
        ),
        ("18 act (OQ-19)", s.id_jag(json!({"act": {"sub": "agent"}}))),
        (
            "20 cnf without proof (AS-17)",
            s.id_jag(json!({"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})),
        ),
    ];
    for (name, token) in cases {
        let r = s.redeem(&token, &[]).await;
        assert_eq!(r.status, 400, "{name}: {}", r.json);
        assert_eq!(
            r.json,
            json!({"error":"invalid_grant","error_description":"assertion rejected"}),
            "{name}"
        );
        assert_eq!(r.headers["cache-control"], "no-store", "{name}");
    }
}

#[tokio::test]
async fn step_6_algorithm_outside_issuer_allow_list_is_invalid_grant() {
    let s = start(Options::default()).await;
    let rsa = SigningKey::generate(Algorithm::EdDSA)
        .unwrap()
        .with_kid("idp-2026");
    let token =
        ema_jwt::mint::sign_jws(&rsa, Some(urn::JOSE_TYPE_ID_JAG), &s.claims(json!({}))).unwrap();
    s.redeem(&token, &[]).await.assert_invalid_grant();
}

#[tokio::test]
async fn step_7_issuer_not_allowed_for_this_client_is_invalid_grant() {
    let s = start(Options::default()).await;
    s.redeem_as(
        "cli_other_only",
        &s.id_jag(json!({"client_id": "cli_other_only"})),
        &[],
    )
    .await
    .assert_invalid_grant();
    // The same client with the issuer it is allowed.
    let token = ema_jwt::mint::sign_jws(
        &s.other_idp_key,
        Some(urn::JOSE_TYPE_ID_JAG),
        &s.claims(json!({"iss": OTHER_IDP, "client_id": "cli_other_only"})),
    )
    .unwrap();
    assert_eq!(s.redeem_as("cli_other_only", &token, &[]).await.status, 200);
}

#[tokio::test]
async fn step_15_tenant_must_match_the_configured_tenant() {
    let s = start(Options {
        config: Box::new(|b| {
            let tenant = ema_server::authorization_server::TrustedIssuer::new(
                Issuer::new("https://tenant-idp.test").unwrap(),
            )
            .with_tenant("acme");
            b.trusted_issuer(tenant)
        }),
        ..Options::default()
    })
    .await;
    // The tenant issuer has no keys in the key source: rejected either way, uniformly.
    s.redeem(
        &s.id_jag(json!({"iss": "https://tenant-idp.test", "tenant": "evil"})),
        &[],
    )
    .await
    .assert_invalid_grant();
}

#[tokio::test]
async fn as_08_step_16_request_resource_outside_the_id_jag_is_invalid_target() {
    let s = start(Options::default()).await;
    s.redeem(&s.id_jag(json!({})), &[("resource", WIKI)])
        .await
        .assert_error(400, "invalid_target");
    s.redeem(
        &s.id_jag(json!({})),
        &[("resource", "https://unknown.test/")],
    )
    .await
    .assert_error(400, "invalid_target");
}

// ---------------------------------------------------------------- step 17 (AS-07, OQ-04)

#[tokio::test]
async fn step_17_request_scope_beyond_id_jag_is_invalid_scope() {
    let s = start(Options::default()).await;
    s.redeem(
        &s.id_jag(json!({})),
        &[("scope", "tickets:read tickets:write")],
    )
    .await
    .assert_error(400, "invalid_scope");
}

#[tokio::test]
async fn step_17_granted_is_claim_and_request_and_client_and_resource() {
    let s = start(Options::default()).await;
    let both = json!({"scope": "tickets:read tickets:write unknown:scope"});
    let r = s
        .redeem(&s.id_jag(both.clone()), &[("scope", "tickets:write")])
        .await;
    assert_eq!(
        (r.status, r.json["scope"].as_str()),
        (200, Some("tickets:write"))
    );
    // Without a request scope: claim ∩ resource scopes (unknown scopes dropped).
    let r = s.redeem(&s.id_jag(both.clone()), &[]).await;
    assert_eq!(r.json["scope"], "tickets:read tickets:write");
    // Client allow-list.
    let r = s
        .redeem_as(
            "cli_read_only",
            &s.id_jag(json!({"client_id": "cli_read_only", "scope": "tickets:read tickets:write"})),
            &[],
        )
        .await;
    assert_eq!(r.json["scope"], "tickets:read");
    // Nothing grantable.
    s.redeem_as(
        "cli_read_only",
        &s.id_jag(json!({"client_id": "cli_read_only", "scope": "tickets:write"})),
        &[],
    )
    .await
    .assert_error(400, "invalid_scope");
}

#[tokio::test]
async fn step_17_absent_scope_claim_gets_resource_defaults_unless_required() {
    let s = start(Options::default()).await;
    let r = s.redeem(&s.id_jag(json!({"scope": null})), &[]).await;
    assert_eq!(
        (r.status, r.json["scope"].as_str()),
        (200, Some("tickets:read"))
    );
    let strict = start(Options {
        config: Box::new(|b| b.require_scope_claim(true)),
        ..Options::default()
    })
    .await;
    strict
        .redeem(&strict.id_jag(json!({"scope": null})), &[])
        .await
        .assert_invalid_grant();
}

// ---------------------------------------------------------------- step 18 (AS-21, OQ-19)

#[tokio::test]
async fn as_21_step_18_authorization_details_is_invalid_authorization_details() {
    let s = start(Options::default()).await;
    let token = s.id_jag(json!({"authorization_details": [{"type": "ticket"}]}));
    s.redeem(&token, &[])
        .await
        .assert_error(400, "invalid_authorization_details");
}

#[tokio::test]
async fn step_18_act_accepted_only_when_configured() {
    let s = start(Options {
        config: Box::new(|b| b.allow_actor_claim(true)),
        ..Options::default()
    })
    .await;
    assert_eq!(
        s.redeem(&s.id_jag(json!({"act": {"sub": "agent"}})), &[])
            .await
            .status,
        200
    );
}

// ---------------------------------------------------------------- step 19 (AS-10)

struct Directory;

#[async_trait]
impl SubjectResolver for Directory {
    async fn resolve(
        &self,
        claims: &IdJagClaims,
        _: &AuthenticatedClient,
    ) -> Result<Option<Principal>, SubjectError> {
        match claims.sub.as_str() {
            "00u8k2p9xq" => Ok(Some(Principal::new("u_7781"))),
            "broken" => Err(SubjectError::new("directory down")),
            _ => Ok(None),
        }
    }
}

#[tokio::test]
async fn as_10_step_19_subject_mapping() {
    let s = start(Options {
        subjects: Some(Arc::new(Directory)),
        ..Options::default()
    })
    .await;
    let r = s.redeem(&s.id_jag(json!({})), &[]).await;
    assert_eq!(
        payload(r.json["access_token"].as_str().unwrap())["sub"],
        "u_7781"
    );
    s.redeem(&s.id_jag(json!({"sub": "stranger"})), &[])
        .await
        .assert_invalid_grant();
    s.redeem(&s.id_jag(json!({"sub": "broken"})), &[])
        .await
        .assert_error(500, "server_error");
}

// ---------------------------------------------------------------- step 20 (AS-17)

#[tokio::test]
async fn as_17_step_20_malformed_dpop_proof_is_invalid_dpop_proof() {
    // The DPoP matrix is in tests/dpop_as_jwt_bearer.rs.
    let s = start(Options::default()).await;
    let form = [
        ("grant_type", JWT_BEARER),
        ("assertion", &s.id_jag(json!({}))),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, *v)).collect();
    s.post_with(&form, Some((CLIENT, SECRET)), &[("dpop", "a.b.c")])
        .await
        .assert_error(400, "invalid_dpop_proof");
}

// ---------------------------------------------------------------- step 21 (AS-11)

#[tokio::test]
async fn as_11_step_21_replayed_id_jag_rejected() {
    let s = start(Options::default()).await;
    let token = s.id_jag(json!({}));
    assert_eq!(s.redeem(&token, &[]).await.status, 200);
    s.redeem(&token, &[]).await.assert_invalid_grant();
}

#[tokio::test]
async fn as_11_step_21_rejected_requests_do_not_spend_the_jti() {
    let s = start(Options::default()).await;
    let token = s.id_jag(json!({}));
    s.redeem(&token, &[("scope", "tickets:write")])
        .await
        .assert_error(400, "invalid_scope");
    assert_eq!(s.redeem(&token, &[]).await.status, 200);
}

#[tokio::test]
async fn as_11_step_21_full_replay_store_fails_closed() {
    let store = Arc::new(MemoryReplayStore::new(1));
    store
        .reserve(
            ReplayKey {
                kind: "x",
                issuer: "y",
                jti: "z",
            },
            NOW,
            NOW + 1000,
        )
        .await
        .unwrap();
    let s = start(Options {
        replay: store,
        ..Options::default()
    })
    .await;
    s.redeem(&s.id_jag(json!({})), &[])
        .await
        .assert_error(500, "server_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn as_11_32_concurrent_presentations_one_200_memory() {
    let s = Arc::new(start(Options::default()).await);
    concurrent(s).await;
}

pub async fn concurrent(s: Arc<As>) {
    let token = Arc::new(s.id_jag(json!({})));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (s, token) = (Arc::clone(&s), Arc::clone(&token));
        tasks.push(tokio::spawn(async move { s.redeem(&token, &[]).await }));
    }
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == 200 {
            ok += 1;
        } else {
            r.assert_invalid_grant();
        }
    }
    assert_eq!(ok, 1);
}

#[cfg(feature = "redis")]
#[path = "replay_support/redis_server.rs"]
mod redis_server;

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn as_11_32_concurrent_presentations_one_200_redis() {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let store = ema_server::replay::RedisReplayStore::connect(&server.url())
        .await
        .unwrap();
    let s = Arc::new(
        start(Options {
            replay: Arc::new(store),
            ..Options::default()
        })
        .await,
    );
    concurrent(s).await;
}

// ---------------------------------------------------------------- step 22

#[tokio::test]
async fn step_22_several_resources_need_one_named_in_the_request() {
    let s = start(Options::default()).await;
    let claims = json!({"resource": [MCP, WIKI], "scope": "tickets:read wiki:read"});
    s.redeem(&s.id_jag(claims.clone()), &[])
        .await
        .assert_error(400, "invalid_target");
    s.redeem(
        &s.id_jag(claims.clone()),
        &[("resource", MCP), ("resource", WIKI)],
    )
    .await
    .assert_error(400, "invalid_target");
    let r = s.redeem(&s.id_jag(claims), &[("resource", WIKI)]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["scope"], "wiki:read");
    assert_eq!(
        payload(r.json["access_token"].as_str().unwrap())["aud"],
        WIKI
    );
}

#[tokio::test]
async fn step_22_lifetime_follows_config() {
    let s = start(Options {
        config: Box::new(|b| b.access_token_ttl(600)),
        ..Options::default()
    })
    .await;
    let r = s.redeem(&s.id_jag(json!({})), &[]).await;
    assert_eq!(r.json["expires_in"], 600);
    assert_eq!(
        payload(r.json["access_token"].as_str().unwrap())["exp"],
        NOW + 600
    );
}

// ---------------------------------------------------------------- metadata and JWKS (AS-15, AS-16)

#[tokio::test]
async fn as_15_as_16_metadata_at_the_well_known_url_without_trusted_issuers() {
    let s = start(Options::default()).await;
    let r = s
        .http
        .get(s.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let md: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(md["issuer"], AS_ISSUER);
    assert_eq!(md["token_endpoint"], "https://as.toolhub.test/oauth/token");
    assert_eq!(md["jwks_uri"], "https://as.toolhub.test/oauth/jwks");
    assert!(
        md["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(JWT_BEARER))
    );
    assert_eq!(
        md["authorization_grant_profiles_supported"],
        json!([urn::GRANT_PROFILE_ID_JAG])
    );
    assert_eq!(
        md["token_endpoint_auth_signing_alg_values_supported"],
        json!(["ES256"])
    );
    // AS-17: DPoP proofs are accepted.
    assert_eq!(
        md["dpop_signing_alg_values_supported"],
        json!(["ES256", "EdDSA"])
    );
    let text = md.to_string();
    assert!(
        !text.contains(IDP) && !text.contains(OTHER_IDP),
        "AS-16: {text}"
    );
    let r = s
        .http
        .post(s.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn signing_key_rotation_keeps_the_previous_key_published() {
    let s = start(Options::default()).await;
    let before = s.redeem(&s.id_jag(json!({})), &[]).await;
    s.signing.rotate(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("as-2"),
    );
    let after = s.redeem(&s.id_jag(json!({})), &[]).await;
    assert_eq!(
        header(before.json["access_token"].as_str().unwrap())
            .kid
            .as_deref(),
        Some("as-1")
    );
    assert_eq!(
        header(after.json["access_token"].as_str().unwrap())
            .kid
            .as_deref(),
        Some("as-2")
    );
    let body = s
        .http
        .get(s.url("/oauth/jwks"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let jwks: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let kids: Vec<_> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids, ["as-2", "as-1"]);
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("d").is_none())
    );
}

// ---------------------------------------------------------------- order (AS-05), AS-23, OQ-02

#[tokio::test]
async fn as_05_checklist_runs_in_order() {
    let s = start(Options::default()).await;
    // Step 2 before step 4: a bad client with a garbage assertion is a client failure.
    s.redeem_as("cli_nobody", "garbage", &[])
        .await
        .assert_error(401, "invalid_client");
    // Step 3 before step 4.
    s.redeem_as("cli_nogrant", "garbage", &[])
        .await
        .assert_error(400, "unauthorized_client");
    // Step 7 before step 17.
    s.redeem(
        &s.id_jag(json!({"iss": "https://evil.test"})),
        &[("scope", "tickets:write")],
    )
    .await
    .assert_invalid_grant();
    // Step 17 before step 18.
    s.redeem(
        &s.id_jag(json!({"authorization_details": [{"type": "x"}]})),
        &[("scope", "tickets:write")],
    )
    .await
    .assert_error(400, "invalid_scope");
    // Step 20 before step 21: a spent ID-JAG with a DPoP header is refused for the proof.
    let token = s.id_jag(json!({}));
    assert_eq!(s.redeem(&token, &[]).await.status, 200);
    let form = [("grant_type", JWT_BEARER), ("assertion", token.as_str())];
    s.post_with(&form, Some((CLIENT, SECRET)), &[("dpop", "a.b.c")])
        .await
        .assert_error(400, "invalid_dpop_proof");
    assert_eq!(
        s.key_source.calls.load(Ordering::SeqCst),
        3,
        "keys fetched only past step 7"
    );
}

#[tokio::test]
async fn as_23_id_jag_addressed_to_another_as_is_refused() {
    let s = start(Options::default()).await;
    // An ID-JAG for another AS presented here (no chaining hops).
    s.redeem(&s.id_jag(json!({"aud": "https://as.partner.test"})), &[])
        .await
        .assert_invalid_grant();
}

#[tokio::test]
async fn oq_02_missing_resource_claim_only_with_flag_and_one_resource() {
    let s = start(Options {
        config: Box::new(|_| AuthorizationServerConfigLite::single()),
        ..Options::default()
    })
    .await;
    let r = s.redeem(&s.id_jag(json!({"resource": null})), &[]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["resource"], MCP);
    assert_eq!(
        payload(r.json["access_token"].as_str().unwrap())["aud"],
        MCP
    );
}

struct AuthorizationServerConfigLite;

impl AuthorizationServerConfigLite {
    fn single() -> ema_server::authorization_server::AuthorizationServerConfigBuilder {
        use ema_server::authorization_server::{
            AuthorizationServerConfig, ResourceConfig, TrustedIssuer,
        };
        AuthorizationServerConfig::builder(Issuer::new(AS_ISSUER).unwrap())
            .trusted_issuer(TrustedIssuer::new(Issuer::new(IDP).unwrap()))
            .resource(
                ResourceConfig::new(
                    ema_types::Resource::new(MCP).unwrap(),
                    scopes("tickets:read"),
                )
                .with_default_scopes(scopes("tickets:read")),
            )
            .allow_missing_resource(true)
    }
}
