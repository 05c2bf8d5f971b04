//! The resource AS's authorization-code grant (the interactive fallback, CL-06; AS-09, AS-12,
//! AS-13, AS-15; RFC 6749 §4.1, RFC 7636, RFC 8707, RFC 9207, RFC 9700 §4.14) over real HTTP on
//! loopback, at the same token endpoint as the jwt-bearer grant.
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "code_flow_support/mod.rs"]
mod code_flow_support;
#[path = "http_support/mod.rs"]
mod http_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use code_flow_support::{
    assert_invalid_grant, bind_loopback, redeem_form, redirect_query, token_request, with_overrides,
};
use ema_jwt::verify::AccessTokenVerifier;
use ema_jwt::{Algorithm, SigningKey};
use ema_server::authorization_code::{
    AuthenticatedUser, AuthenticationOutcome, AuthorizationGrants, AuthorizationRequest,
    MemoryGrantStore, UserAuthenticator, s256_challenge,
};
use ema_server::authorization_server::code_grant::CodeFlow;
use ema_server::authorization_server::{
    AuthorizationServerConfig, JwtBearerGrant, ResourceConfig, TrustedIssuer,
};
use ema_server::axum::AuthorizationServerRouter;
use ema_server::client_auth::{
    ClientAuthContext, ClientAuthMethod, RegisteredClient, StaticClientRegistry,
};
use ema_server::endpoint::{HttpRequest, HttpResponse, TokenEndpoint};
use ema_server::keys::StaticKeySource;
use ema_server::replay::MemoryReplayStore;
use ema_server::signing::SigningKeys;
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, Secret, urn};
use http_support::{NO_HEADERS, Reply, send};
use serde_json::Value;

const NOW: u64 = 1_793_000_000;
const IDP: &str = "https://login.acme-idp.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const ADMIN: &str = "https://tools.toolhub.test/admin";
const CLIENT: &str = "desk-7f3a";
const SECRET: &str = "desk-secret-0123456789";
const REDIRECT: &str = "http://127.0.0.1:53100/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Signs in the user named by a `session` cookie; without one, answers with a login page.
struct CookieSession;

#[async_trait]
impl UserAuthenticator for CookieSession {
    async fn authenticate(
        &self,
        _request: &AuthorizationRequest,
        http: &HttpRequest,
    ) -> AuthenticationOutcome {
        let cookie = http
            .headers()
            .get("cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("session="));
        match cookie {
            Some("denied") => AuthenticationOutcome::Denied,
            Some(user) => AuthenticationOutcome::Authenticated(
                AuthenticatedUser::new(user).with_auth_time(NOW - 5),
            ),
            None => {
                let mut page = HttpResponse::new(b"<form>sign in</form>".to_vec());
                page.headers_mut()
                    .insert("content-type", http::HeaderValue::from_static("text/html"));
                AuthenticationOutcome::Respond(page)
            }
        }
    }
}

struct As {
    addr: SocketAddr,
    issuer: String,
    clock: FixedClock,
    signing: SigningKeys,
}

async fn authorization_server() -> As {
    let (listener, addr, issuer) = bind_loopback().await;
    let clock = FixedClock::new(NOW);
    let signing = SigningKeys::new(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("as-1"),
    );
    let config = AuthorizationServerConfig::builder(Issuer::new(issuer.clone()).unwrap())
        .trusted_issuer(TrustedIssuer::new(Issuer::new(IDP).unwrap()))
        .resource(
            ResourceConfig::new(
                Resource::new(MCP).unwrap(),
                ScopeSet::parse("tickets:read tickets:write").unwrap(),
            )
            .with_default_scopes(ScopeSet::parse("tickets:read").unwrap()),
        )
        .resource(ResourceConfig::new(
            Resource::new(ADMIN).unwrap(),
            ScopeSet::parse("admin").unwrap(),
        ))
        .token_endpoint(format!("{issuer}/token"))
        .build()
        .unwrap();
    let registry = Arc::new(
        StaticClientRegistry::new()
            .with_client(
                RegisteredClient::confidential(ClientId::new(CLIENT).unwrap())
                    .with_secret(Secret::new(SECRET))
                    .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE)
                    .with_grant_type(urn::GRANT_TYPE_REFRESH_TOKEN)
                    .with_grant_type(urn::GRANT_TYPE_JWT_BEARER)
                    .with_redirect_uri("http://127.0.0.1/callback"),
            )
            .with_client(
                RegisteredClient::confidential(ClientId::new("no-refresh").unwrap())
                    .with_secret(Secret::new(SECRET))
                    .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE)
                    .with_redirect_uri("http://127.0.0.1/callback"),
            ),
    );
    let replay = Arc::new(MemoryReplayStore::new(1000));
    let client_auth = ClientAuthContext::new(
        Issuer::new(issuer.clone()).unwrap(),
        replay.clone(),
        Arc::new(clock.clone()),
    );
    let grants = AuthorizationGrants::new(Arc::new(MemoryGrantStore::new(1000)));
    let flow = CodeFlow::new(
        config.clone(),
        signing.clone(),
        registry.clone(),
        client_auth,
        grants,
    )
    .unwrap();
    let jwt_bearer = JwtBearerGrant::new(
        config.clone(),
        registry,
        Arc::new(StaticKeySource::new()),
        replay,
        signing.clone(),
    )
    .unwrap()
    .with_clock(Arc::new(clock.clone()));
    let endpoint = flow
        .mount(TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(jwt_bearer)));
    let metadata = CodeFlow::advertise(
        config
            .metadata_builder(
                &format!("{issuer}/token"),
                &format!("{issuer}/jwks"),
                &[
                    ClientAuthMethod::ClientSecretBasic,
                    ClientAuthMethod::ClientSecretPost,
                ],
            )
            .unwrap(),
        &format!("{issuer}/authorize"),
    )
    .unwrap()
    .scheme_policy(ema_metadata::SchemePolicy::AllowLoopbackHttp)
    .build()
    .unwrap();
    let router = AuthorizationServerRouter::new(endpoint, signing.clone(), metadata)
        .with_authorization_endpoint(flow.authorization_endpoint(Arc::new(CookieSession)))
        .build()
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    As {
        addr,
        issuer,
        clock,
        signing,
    }
}

fn authorize_query(overrides: &[(&str, &str)]) -> String {
    let params: Vec<(&str, String)> = vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT.into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "tickets:read tickets:write".into()),
        ("state", "st-9".into()),
        ("resource", MCP.into()),
        ("code_challenge", s256_challenge(VERIFIER)),
        ("code_challenge_method", "S256".into()),
    ];
    with_overrides(params, overrides)
}

fn redirected(reply: &Reply) -> HashMap<String, String> {
    redirect_query(reply, &format!("{REDIRECT}?"))
}

impl As {
    async fn authorize_as(&self, user: Option<&str>, overrides: &[(&str, &str)]) -> Reply {
        let cookie: Vec<String> = user
            .map(|u| format!("Cookie: session={u}"))
            .into_iter()
            .collect();
        send(
            self.addr,
            "GET",
            &format!("/authorize?{}", authorize_query(overrides)),
            cookie,
            "",
        )
        .await
    }

    async fn code(&self, client: &str) -> String {
        let reply = self
            .authorize_as(Some("alice"), &[("client_id", client)])
            .await;
        redirected(&reply)["code"].clone()
    }

    async fn token(&self, client: &str, body: &[(&str, &str)]) -> Reply {
        token_request(self.addr, client, SECRET, body).await
    }

    async fn redeem_with(&self, client: &str, code: &str, verifier: &str, redirect: &str) -> Reply {
        self.token(client, &redeem_form(code, redirect, verifier))
            .await
    }

    async fn redeem(&self, code: &str) -> Reply {
        self.redeem_with(CLIENT, code, VERIFIER, REDIRECT).await
    }

    async fn refresh(&self, rt: &str) -> Reply {
        self.token(
            CLIENT,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await
    }
}

#[tokio::test]
async fn as_09_code_flow_issues_the_same_rfc_9068_access_tokens() {
    let at = authorization_server().await;
    // No session: the application's login page, as is.
    let reply = at.authorize_as(None, &[]).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("sign in"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    // Signed in: code, state and iss (RFC 9207).
    let q = redirected(&at.authorize_as(Some("alice"), &[]).await);
    assert_eq!(q["state"], "st-9");
    assert_eq!(q["iss"], at.issuer);
    let reply = at.redeem(&q["code"]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "tickets:read tickets:write");
    assert_eq!(body["resource"], MCP);
    assert!(body.get("id_token").is_none());
    let claims = AccessTokenVerifier::new(
        Issuer::new(at.issuer.clone()).unwrap(),
        Resource::new(MCP).unwrap(),
    )
    .verify(
        body["access_token"].as_str().unwrap(),
        &at.signing.key_set(),
        &[Algorithm::ES256],
        &at.clock,
    )
    .unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.client_id, CLIENT);
    assert_eq!(claims.auth_time, Some(NOW - 5));
    assert!(body["refresh_token"].is_string());

    // Without `resource` while several are served: invalid_request.
    let q = redirected(&at.authorize_as(Some("alice"), &[("resource", "")]).await);
    assert_eq!(q["error"], "invalid_request");
    // No scope asked: the resource's default scopes.
    let q = redirected(&at.authorize_as(Some("alice"), &[("scope", "")]).await);
    let body = at.redeem(&q["code"]).await.json();
    assert_eq!(body["scope"], "tickets:read");
    // Scopes of another resource only: nothing grantable.
    let q = redirected(&at.authorize_as(Some("alice"), &[("scope", "admin")]).await);
    assert_eq!(at.redeem(&q["code"]).await.json()["error"], "invalid_scope");
}

#[tokio::test]
async fn as_15_metadata_advertises_the_code_flow_beside_jwt_bearer() {
    let at = authorization_server().await;
    let md = send(
        at.addr,
        "GET",
        "/.well-known/oauth-authorization-server",
        NO_HEADERS,
        "",
    )
    .await
    .json();
    assert_eq!(
        md["authorization_endpoint"],
        format!("{}/authorize", at.issuer)
    );
    assert_eq!(md["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        md["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(md["authorization_response_iss_parameter_supported"], true);
    let grants = md["grant_types_supported"].as_array().unwrap();
    for g in [
        "authorization_code",
        "refresh_token",
        urn::GRANT_TYPE_JWT_BEARER,
    ] {
        assert!(grants.contains(&Value::from(g)), "{g}");
    }
    assert_eq!(
        md["authorization_grant_profiles_supported"],
        serde_json::json!([urn::GRANT_PROFILE_ID_JAG])
    );
    // The jwt-bearer grant answers at the same endpoint.
    let reply = at
        .token(
            CLIENT,
            &[
                ("grant_type", urn::GRANT_TYPE_JWT_BEARER),
                ("assertion", "not.a.jwt"),
            ],
        )
        .await;
    assert_invalid_grant(&reply);
}

#[tokio::test]
async fn rfc_6749_4_1_2_1_unknown_client_and_redirect_mismatch_are_never_redirected() {
    let at = authorization_server().await;
    for overrides in [
        vec![("client_id", "nobody")],
        vec![("redirect_uri", "https://evil.example/cb")],
        vec![("redirect_uri", "http://127.0.0.1:53100/other")],
        vec![("redirect_uri", "")],
    ] {
        let reply = at.authorize_as(Some("alice"), &overrides).await;
        assert_eq!(reply.status, 400, "{overrides:?}");
        assert!(reply.header("location").is_none());
    }
}

#[tokio::test]
async fn rfc_8707_pkce_and_denial_errors_are_redirected_with_state_and_iss() {
    let at = authorization_server().await;
    for (overrides, error) in [
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge", "")], "invalid_request"),
        (
            vec![("resource", "https://elsewhere.example/mcp")],
            "invalid_target",
        ),
        (vec![("resource", "not a url")], "invalid_target"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
    ] {
        let q = redirected(&at.authorize_as(Some("alice"), &overrides).await);
        assert_eq!(q["error"], error, "{overrides:?}");
        assert_eq!(q["state"], "st-9");
        assert_eq!(q["iss"], at.issuer);
    }
    // Two resources in one request.
    let reply = send(
        at.addr,
        "GET",
        &format!(
            "/authorize?{}&resource={}",
            authorize_query(&[]),
            "https%3A%2F%2Ftools.toolhub.test%2Fadmin"
        ),
        ["Cookie: session=alice"],
        "",
    )
    .await;
    assert_eq!(redirected(&reply)["error"], "invalid_target");
    let q = redirected(&at.authorize_as(Some("denied"), &[]).await);
    assert_eq!(q["error"], "access_denied");
}

#[tokio::test]
async fn rfc_7636_wrong_verifier_redirect_mismatch_and_expired_code_are_invalid_grant() {
    let at = authorization_server().await;
    let code = at.code(CLIENT).await;
    assert_invalid_grant(
        &at.redeem_with(CLIENT, &code, &"y".repeat(43), REDIRECT)
            .await,
    );
    let code = at.code(CLIENT).await;
    assert_invalid_grant(
        &at.redeem_with(CLIENT, &code, VERIFIER, "http://127.0.0.1:53101/callback")
            .await,
    );
    let code = at.code(CLIENT).await;
    assert_invalid_grant(
        &at.redeem_with("no-refresh", &code, VERIFIER, REDIRECT)
            .await,
    );
    let code = at.code(CLIENT).await;
    at.clock.advance(60);
    assert_invalid_grant(&at.redeem(&code).await);
}

#[tokio::test]
async fn rfc_9700_4_14_refresh_tokens_only_for_registered_clients_rotated_and_reuse_revokes() {
    let at = authorization_server().await;
    // A client not registered for refresh tokens gets none.
    let code = at.code("no-refresh").await;
    let body = at
        .redeem_with("no-refresh", &code, VERIFIER, REDIRECT)
        .await
        .json();
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none());

    let code = at.code(CLIENT).await;
    let rt1 = at.redeem(&code).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = at.refresh(&rt1).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["resource"], MCP);
    assert_eq!(body["scope"], "tickets:read tickets:write");
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    // Narrowing on refresh.
    let reply = at
        .token(
            CLIENT,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt2),
                ("scope", "tickets:read"),
            ],
        )
        .await;
    assert_eq!(reply.json()["scope"], "tickets:read");
    let rt3 = reply.json()["refresh_token"].as_str().unwrap().to_owned();
    // rt1 presented again: refused and the family revoked, so the live rt3 dies too.
    assert_invalid_grant(&at.refresh(&rt1).await);
    assert_invalid_grant(&at.refresh(&rt3).await);
}

#[tokio::test]
async fn rfc_6749_4_1_2_reused_code_refused_and_its_refresh_tokens_revoked() {
    let at = authorization_server().await;
    let code = at.code(CLIENT).await;
    let rt = at.redeem(&code).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_invalid_grant(&at.redeem(&code).await);
    assert_invalid_grant(&at.refresh(&rt).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rfc_6749_4_1_2_concurrent_redemptions_of_one_code_exactly_one_wins() {
    let at = Arc::new(authorization_server().await);
    let code = at.code(CLIENT).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let at = Arc::clone(&at);
        let code = code.clone();
        tasks.push(tokio::spawn(async move { at.redeem(&code).await.status }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            400 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 1);
}
