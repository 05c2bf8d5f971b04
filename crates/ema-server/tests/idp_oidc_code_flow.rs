//! The IdP's OpenID Connect login (CL-01, CL-02, IDP-21; RFC 6749 §4.1, RFC 7636, RFC 9207,
//! RFC 9700 §4.14) over real HTTP on loopback: authorize → code → ID token → token exchange →
//! ID-JAG, every rejection of the authorization and token requests, refresh-token rotation
//! and reuse detection, and ema-client's `OidcLogin` against this IdP.
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "code_flow_support/mod.rs"]
mod code_flow_support;
#[path = "http_support/mod.rs"]
mod http_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use code_flow_support::{
    assert_invalid_grant, bind_loopback, enc, redeem_form, redirect_query, token_request,
    with_overrides,
};
use ema_jwt::verify::{IdJagVerifier, IdTokenVerifier, TrustAnchor};
use ema_jwt::{Algorithm, SigningKey};
use ema_server::authorization_code::{DevLoginHintAuthenticator, DevUser, s256_challenge};
use ema_server::axum::IdpRouter;
use ema_server::client_auth::{ClientAuthContext, RegisteredClient, StaticClientRegistry};
use ema_server::idp::oidc::OidcProvider;
use ema_server::idp::{IdpConfig, PolicyRule, StaticPolicy, TokenExchangeGrant, TrustedAudience};
use ema_server::replay::MemoryReplayStore;
use ema_server::signing::SigningKeys;
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, Secret, urn};
use http_support::{NO_HEADERS, Reply, send};
use serde_json::Value;

const NOW: u64 = 1_793_000_000;
const AS: &str = "https://as.toolhub.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const CLIENT: &str = "ema-cli";
const SECRET: &str = "cli-secret-0123456789";
const REDIRECT: &str = "http://127.0.0.1:53100/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

struct Idp {
    addr: SocketAddr,
    issuer: String,
    clock: FixedClock,
    signing: SigningKeys,
}

async fn idp() -> Idp {
    let (listener, addr, issuer) = bind_loopback().await;
    let clock = FixedClock::new(NOW);
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-1");
    let signing = SigningKeys::new(key);
    let iss = Issuer::new(issuer.clone()).unwrap();
    let config = IdpConfig::builder(iss.clone())
        .token_endpoint(format!("{issuer}/token"))
        .audience(
            TrustedAudience::new(Issuer::new(AS).unwrap()).resource(Resource::new(MCP).unwrap()),
        )
        .build()
        .unwrap();
    let registry = Arc::new(
        StaticClientRegistry::new()
            .with_client(
                RegisteredClient::confidential(ClientId::new(CLIENT).unwrap())
                    .with_secret(Secret::new(SECRET))
                    .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE)
                    .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE)
                    .with_redirect_uri("http://127.0.0.1/callback")
                    .with_redirect_uri("https://app.example/cb?tenant=a"),
            )
            .with_client(
                RegisteredClient::confidential(ClientId::new("other").unwrap())
                    .with_secret(Secret::new(SECRET))
                    .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE)
                    .with_redirect_uri("http://127.0.0.1/callback"),
            )
            .with_client(
                RegisteredClient::confidential(ClientId::new("te-only").unwrap())
                    .with_secret(Secret::new(SECRET))
                    .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE)
                    .with_redirect_uri("http://127.0.0.1/callback"),
            ),
    );
    let client_auth = ClientAuthContext::new(
        iss.clone(),
        Arc::new(MemoryReplayStore::new(1000)),
        Arc::new(clock.clone()),
    );
    let provider = OidcProvider::builder(
        iss.clone(),
        signing.clone(),
        registry.clone(),
        client_auth.clone(),
    )
    .build()
    .unwrap();
    let users = DevLoginHintAuthenticator::new(
        [
            DevUser::new("alice").with_email("alice@acme.test"),
            DevUser::new("bob"),
        ],
        Arc::new(clock.clone()),
    );
    let policy = StaticPolicy::new().with_rule(PolicyRule::new(
        ClientId::new(CLIENT).unwrap(),
        Issuer::new(AS).unwrap(),
        Resource::new(MCP).unwrap(),
        ScopeSet::parse("tickets:read").unwrap(),
        ClientId::new("cli_42b19c").unwrap(),
    ));
    let metadata = provider.metadata(
        config
            .metadata(
                &format!("{issuer}/authorize"),
                &format!("{issuer}/token"),
                &format!("{issuer}/jwks"),
                true,
            )
            .unwrap(),
    );
    let te = TokenExchangeGrant::new(
        config,
        signing.clone(),
        provider.id_token_keys(),
        registry,
        client_auth,
        Arc::new(policy),
    )
    .unwrap()
    .with_refresh_tokens(provider.refresh_token_validator());
    let endpoint = provider
        .token_endpoint()
        .with_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE, Arc::new(te));
    let router = IdpRouter::new(endpoint, signing.clone(), metadata)
        .with_authorization_endpoint(provider.authorization_endpoint(Arc::new(users)))
        .build()
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Idp {
        addr,
        issuer,
        clock,
        signing,
    }
}

/// The authorization request parameters of a good request, with `overrides` replacing
/// (or, with an empty value, removing) some.
fn authorize_query(overrides: &[(&str, &str)]) -> String {
    let challenge = s256_challenge(VERIFIER);
    let params: Vec<(&str, String)> = vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT.into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "openid email offline_access".into()),
        ("state", "st-1".into()),
        ("nonce", "n-1".into()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".into()),
        ("login_hint", "alice".into()),
    ];
    with_overrides(params, overrides)
}

impl Idp {
    async fn authorize(&self, overrides: &[(&str, &str)]) -> Reply {
        send(
            self.addr,
            "GET",
            &format!("/authorize?{}", authorize_query(overrides)),
            NO_HEADERS,
            "",
        )
        .await
    }

    /// The redirect's query parameters (the response must be a 302 to `prefix`).
    fn redirected(reply: &Reply, prefix: &str) -> HashMap<String, String> {
        redirect_query(reply, prefix)
    }

    async fn code(&self) -> String {
        let reply = self.authorize(&[]).await;
        let q = Self::redirected(&reply, "http://127.0.0.1:53100/callback?");
        q["code"].clone()
    }

    async fn token(&self, client: &str, body: &[(&str, &str)]) -> Reply {
        token_request(self.addr, client, SECRET, body).await
    }

    async fn redeem(&self, code: &str) -> Reply {
        self.token(CLIENT, &redeem_form(code, REDIRECT, VERIFIER))
            .await
    }

    async fn refresh(&self, refresh_token: &str) -> Reply {
        self.token(
            CLIENT,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    async fn exchange(&self, subject_token: &str, subject_token_type: &str) -> Reply {
        self.token(
            CLIENT,
            &[
                ("grant_type", urn::GRANT_TYPE_TOKEN_EXCHANGE),
                ("requested_token_type", urn::TOKEN_TYPE_ID_JAG),
                ("audience", AS),
                ("resource", MCP),
                ("scope", "tickets:read"),
                ("subject_token", subject_token),
                ("subject_token_type", subject_token_type),
            ],
        )
        .await
    }
}

#[tokio::test]
async fn cl_02_full_flow_authorize_code_id_token_token_exchange_id_jag() {
    let idp = idp().await;
    let reply = idp.authorize(&[]).await;
    let q = Idp::redirected(&reply, "http://127.0.0.1:53100/callback?");
    // RFC 9207: iss; RFC 6749 §4.1.2: state verbatim.
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], idp.issuer);
    assert_eq!(q["code"].len(), 43);

    let reply = idp.redeem(&q["code"]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "email offline_access openid");
    let id_token = body["id_token"].as_str().unwrap();
    assert!(body["access_token"].is_string());
    assert!(body["refresh_token"].is_string());

    let claims = IdTokenVerifier::new(Issuer::new(idp.issuer.clone()).unwrap(), CLIENT)
        .verify(
            id_token,
            &idp.signing.key_set(),
            &[Algorithm::ES256],
            Some("n-1"),
            &idp.clock,
        )
        .unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.email.as_deref(), Some("alice@acme.test"));
    assert_eq!(claims.auth_time, Some(NOW));
    assert_eq!(claims.azp.as_deref(), Some(CLIENT));

    // IDP-06: the IdP accepts its own ID token as the subject token.
    let reply = idp.exchange(id_token, urn::TOKEN_TYPE_ID_TOKEN).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let id_jag = reply.json()["access_token"].as_str().unwrap().to_owned();
    let verifier = IdJagVerifier::new(Issuer::new(AS).unwrap(), [Resource::new(MCP).unwrap()]);
    let jws = verifier.decode(&id_jag).unwrap();
    let keys = idp.signing.key_set();
    let anchor = TrustAnchor::new(&idp.issuer, &keys, &[Algorithm::ES256]);
    let verified = verifier
        .verify(jws, &anchor, "cli_42b19c", &idp.clock)
        .unwrap();
    assert_eq!(verified.sub, "alice");
    assert_eq!(verified.auth_time, Some(NOW));

    // IDP-08: and its own refresh token, which stays usable (not spent by the exchange).
    let rt = body["refresh_token"].as_str().unwrap();
    let reply = idp.exchange(rt, urn::TOKEN_TYPE_REFRESH_TOKEN).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(idp.refresh(rt).await.status, 200);
    // A spent refresh token is no subject token.
    let reply = idp.exchange(rt, urn::TOKEN_TYPE_REFRESH_TOKEN).await;
    assert_eq!(reply.json()["error"], "invalid_request");
}

#[tokio::test]
async fn idp_21_discovery_advertises_the_code_flow() {
    let idp = idp().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let md = send(idp.addr, "GET", path, NO_HEADERS, "").await.json();
        assert_eq!(
            md["authorization_endpoint"],
            format!("{}/authorize", idp.issuer)
        );
        assert_eq!(md["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            md["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        let grants = md["grant_types_supported"].as_array().unwrap();
        for g in [
            "authorization_code",
            "refresh_token",
            urn::GRANT_TYPE_TOKEN_EXCHANGE,
        ] {
            assert!(grants.contains(&Value::from(g)), "{g}");
        }
        let methods = md["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap();
        assert!(methods.contains(&Value::from("client_secret_basic")));
        assert!(methods.contains(&Value::from("client_secret_post")));
        assert_eq!(
            md["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        assert_eq!(md["subject_types_supported"], serde_json::json!(["public"]));
        assert_eq!(md["authorization_response_iss_parameter_supported"], true);
        let scopes = md["scopes_supported"].as_array().unwrap();
        assert!(scopes.contains(&Value::from("openid")));
        assert!(scopes.contains(&Value::from("offline_access")));
    }
}

#[tokio::test]
async fn rfc_6749_4_1_2_1_unknown_client_and_bad_redirect_get_a_page_never_a_redirect() {
    let idp = idp().await;
    for overrides in [
        vec![("client_id", "nobody")],
        vec![("client_id", "")],
        vec![("redirect_uri", "https://evil.example/cb")],
        vec![("redirect_uri", "")],
        vec![("redirect_uri", "http://127.0.0.1:53100/callback/x")],
        vec![("redirect_uri", "http://localhost:53100/callback")],
        vec![("redirect_uri", "https://app.example/cb")],
        vec![("redirect_uri", "http://127.0.0.1:53100/callback#frag")],
        // Even a request that is otherwise wrong is not redirected.
        vec![
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "token"),
        ],
    ] {
        let reply = idp.authorize(&overrides).await;
        assert_eq!(reply.status, 400, "{overrides:?}");
        assert!(reply.header("location").is_none(), "{overrides:?}");
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/plain")
        );
        assert!(!reply.body.contains("evil"), "no echo");
    }
    // A registered URI with a query keeps it, and gets the response appended.
    let reply = idp
        .authorize(&[("redirect_uri", "https://app.example/cb?tenant=a")])
        .await;
    let q = Idp::redirected(&reply, "https://app.example/cb?tenant=a&code=");
    assert_eq!(q["tenant"], "a");
    // Other methods: 405.
    let reply = send(idp.addr, "DELETE", "/authorize", NO_HEADERS, "").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
}

#[tokio::test]
async fn rfc_6749_4_1_2_1_errors_redirect_with_state_and_iss() {
    let idp = idp().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge", "too-short")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("response_type", "")], "invalid_request"),
        (vec![("scope", "email")], "invalid_scope"),
        (vec![("resource", MCP)], "invalid_target"),
        (vec![("response_mode", "fragment")], "invalid_request"),
        (
            vec![("request_uri", "https://app.example/req")],
            "request_not_supported",
        ),
        (vec![("max_age", "soon")], "invalid_request"),
        (vec![("login_hint", "")], "login_required"),
        (vec![("login_hint", "mallory")], "access_denied"),
    ];
    for (overrides, error) in cases {
        let reply = idp.authorize(&overrides).await;
        let q = Idp::redirected(&reply, "http://127.0.0.1:53100/callback?");
        assert_eq!(q["error"], error, "{overrides:?}");
        assert_eq!(q["state"], "st-1", "{overrides:?}");
        assert_eq!(q["iss"], idp.issuer);
        assert!(q.contains_key("error_description"));
        assert!(!q.contains_key("code"));
    }
    // A client not registered for the code grant.
    let reply = idp.authorize(&[("client_id", "te-only")]).await;
    let q = Idp::redirected(&reply, "http://127.0.0.1:53100/callback?");
    assert_eq!(q["error"], "unauthorized_client");
    // A repeated parameter.
    let reply = send(
        idp.addr,
        "GET",
        &format!("/authorize?{}&nonce=again", authorize_query(&[])),
        NO_HEADERS,
        "",
    )
    .await;
    let q = Idp::redirected(&reply, "http://127.0.0.1:53100/callback?");
    assert_eq!(q["error"], "invalid_request");
    // POST with a form body works like GET (OpenID Connect Core §3.1.2.1).
    let reply = send(
        idp.addr,
        "POST",
        "/authorize",
        ["Content-Type: application/x-www-form-urlencoded"],
        authorize_query(&[]),
    )
    .await;
    assert!(Idp::redirected(&reply, REDIRECT).contains_key("code"));
}

#[tokio::test]
async fn rfc_7636_wrong_verifier_redirect_mismatch_and_other_client_are_invalid_grant() {
    let idp = idp().await;
    let wrong_verifier = "x".repeat(43);
    let code = idp.code().await;
    let reply = idp
        .token(CLIENT, &redeem_form(&code, REDIRECT, &wrong_verifier))
        .await;
    assert_invalid_grant(&reply);
    // The code was spent by the failed attempt.
    assert_invalid_grant(&idp.redeem(&code).await);

    let code = idp.code().await;
    let reply = idp
        .token(
            CLIENT,
            &redeem_form(&code, "http://127.0.0.1:53101/callback", VERIFIER),
        )
        .await;
    assert_invalid_grant(&reply);

    let code = idp.code().await;
    let reply = idp
        .token("other", &redeem_form(&code, REDIRECT, VERIFIER))
        .await;
    assert_invalid_grant(&reply);

    // No verifier at all: invalid_request.
    let code = idp.code().await;
    let reply = idp
        .token(
            CLIENT,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_eq!(reply.json()["error"], "invalid_request");
    // Wrong client secret: invalid_client, the code untouched.
    let code = idp.code().await;
    let redeem_posting_secret = |secret: &'static str| {
        let mut body = redeem_form(&code, REDIRECT, VERIFIER).to_vec();
        body.extend([("client_id", CLIENT), ("client_secret", secret)]);
        send(
            idp.addr,
            "POST",
            "/token",
            ["Content-Type: application/x-www-form-urlencoded"],
            enc(&body),
        )
    };
    let reply = redeem_posting_secret("wrong").await;
    assert_eq!(reply.json()["error"], "invalid_client");
    // client_secret_post with the right secret redeems it.
    let reply = redeem_posting_secret(SECRET).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn rfc_6749_4_1_2_reused_code_is_refused_and_revokes_its_refresh_tokens() {
    let idp = idp().await;
    let code = idp.code().await;
    let first = idp.redeem(&code).await;
    assert_eq!(first.status, 200);
    let rt = first.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_invalid_grant(&idp.redeem(&code).await);
    // The refresh token issued from the code is revoked.
    assert_invalid_grant(&idp.refresh(&rt).await);
    let reply = idp.exchange(&rt, urn::TOKEN_TYPE_REFRESH_TOKEN).await;
    assert_eq!(reply.json()["error"], "invalid_request");
}

#[tokio::test]
async fn rfc_6749_4_1_2_code_expires_after_60_seconds() {
    let idp = idp().await;
    let code = idp.code().await;
    idp.clock.advance(60);
    assert_invalid_grant(&idp.redeem(&code).await);
    let code = idp.code().await;
    idp.clock.advance(59);
    assert_eq!(idp.redeem(&code).await.status, 200);
}

#[tokio::test]
async fn rfc_9700_4_14_refresh_rotation_and_reuse_revokes_the_family() {
    let idp = idp().await;
    let code = idp.code().await;
    let rt1 = idp.redeem(&code).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = idp.refresh(&rt1).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    let claims = IdTokenVerifier::new(Issuer::new(idp.issuer.clone()).unwrap(), CLIENT)
        .verify(
            body["id_token"].as_str().unwrap(),
            &idp.signing.key_set(),
            &[Algorithm::ES256],
            None,
            &idp.clock,
        )
        .unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.nonce, None);
    // A narrower scope is allowed, a wider one is not.
    let rt3 = {
        let reply = idp
            .token(
                CLIENT,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt2),
                    ("scope", "openid"),
                ],
            )
            .await;
        assert_eq!(reply.json()["scope"], "openid");
        reply.json()["refresh_token"].as_str().unwrap().to_owned()
    };
    let reply = idp
        .token(
            CLIENT,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt3),
                ("scope", "openid profile"),
            ],
        )
        .await;
    assert_eq!(reply.json()["error"], "invalid_scope");
    // rt3 was spent by that refused request; rt1 reused: the family is revoked.
    let reply = idp
        .token(
            "other",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "unknown"),
            ],
        )
        .await;
    assert_invalid_grant(&reply);
    assert_invalid_grant(&idp.refresh(&rt1).await);

    // A fresh family: rotate once, replay the first token, and the live second one dies too.
    let code = idp.code().await;
    let a = idp.redeem(&code).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = idp.refresh(&a).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_invalid_grant(&idp.refresh(&a).await);
    assert_invalid_grant(&idp.refresh(&b).await);
    // Another client presenting a live token: refused, and the family revoked.
    let code = idp.code().await;
    let c = idp.redeem(&code).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = idp
        .token(
            "other",
            &[("grant_type", "refresh_token"), ("refresh_token", &c)],
        )
        .await;
    assert_invalid_grant(&reply);
    assert_invalid_grant(&idp.refresh(&c).await);
}

#[tokio::test]
async fn cl_01_no_refresh_token_without_offline_access() {
    let idp = idp().await;
    let reply = idp.authorize(&[("scope", "openid")]).await;
    let q = Idp::redirected(&reply, REDIRECT);
    let body = idp.redeem(&q["code"]).await.json();
    assert!(body["id_token"].is_string());
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "openid");
}

#[tokio::test]
async fn cl_02_ema_client_oidc_login_against_this_idp() {
    use ema_client::{ClientAuthMethod, ClientCredentials, OidcLogin, OidcLoginConfig};
    let idp = idp().await;
    let login = OidcLogin::new(
        OidcLoginConfig::new(
            Issuer::new(idp.issuer.clone()).unwrap(),
            format!("{}/authorize", idp.issuer).parse().unwrap(),
            format!("{}/token", idp.issuer).parse().unwrap(),
            ClientId::new(CLIENT).unwrap(),
            REDIRECT,
        )
        .with_credentials(ClientCredentials::new(
            ClientId::new(CLIENT).unwrap(),
            ClientAuthMethod::SecretBasic(Secret::new(SECRET)),
        ))
        .with_scope(ScopeSet::parse("offline_access").unwrap())
        .with_param("login_hint", "alice")
        .require_iss(true),
    );
    let (url, pending) = login.begin(&ema_types::SystemRandom).unwrap();
    // The "browser": one GET, redirects not followed.
    let target = format!("{}?{}", url.path(), url.query().unwrap());
    let reply = send(idp.addr, "GET", &target, NO_HEADERS, "").await;
    assert_eq!(reply.status, 302, "{}", reply.body);
    let callback = reply.header("location").unwrap().to_owned();
    let http = ema_metadata::ReqwestClient::builder()
        .scheme_policy(ema_metadata::SchemePolicy::AllowLoopbackHttp)
        .build()
        .unwrap();
    let ctx = ema_client::Context::new(&http, &idp.clock, &ema_types::SystemRandom);
    let result = login
        .complete(&ctx, &pending, &callback, &idp.signing.key_set())
        .await
        .unwrap();
    assert_eq!(result.claims.sub, "alice");
    assert!(result.refresh_token.is_some());
}

#[tokio::test]
async fn rfc_9700_4_14_refresh_family_expires_30_days_after_redemption_whatever_the_rotations() {
    let idp = idp().await;
    let code = idp.code().await;
    let mut rt = idp.redeem(&code).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    idp.clock.advance(29 * 86_400);
    let reply = idp.refresh(&rt).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    rt = reply.json()["refresh_token"].as_str().unwrap().to_owned();
    idp.clock.advance(86_400);
    assert_invalid_grant(&idp.refresh(&rt).await);
}
