//! IdP rules IDP-01..IDP-24 through the axum `IdpRouter`, served on loopback (one server per
//! fixture) and driven by real HTTP requests.
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::mint::{DpopProofMinter, sign_jws};
use ema_jwt::verify::{IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::axum::IdpRouter;
use ema_server::client_auth::{ClientAuthContext, RegisteredClient, StaticClientRegistry};
use ema_server::endpoint::{HttpResponse, TokenEndpoint};
use ema_server::idp::{
    Decision, IdpConfig, Policy, PolicyRequest, PolicyRule, RefreshTokenValidator, StaticPolicy,
    StepUp, SubjectContext, SubjectMapper, SubjectTokenError, TokenExchangeGrant, TrustedAudience,
};
use ema_server::keys::{KeySource, KeySourceError};
use ema_server::replay::MemoryReplayStore;
use ema_server::signing::SigningKeys;
use ema_types::claims::IdTokenClaims;
use ema_types::{
    ClientId, FixedClock, Issuer, Resource, ScopeSet, Secret, SystemRandom, basic_auth, urn,
};
use serde_json::{Value, json};

const NOW: u64 = 1_793_000_000;
const IDP: &str = "https://login.acme-idp.test";
const AS: &str = "https://as.toolhub.test";
const AS2: &str = "https://as.other.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const ADMIN: &str = "https://tools.toolhub.test/admin";
const MCP2: &str = "https://tools.other.test/mcp";
const CLIENT: &str = "desk-7f3a";
const SECRET: &str = "s4pr-example-secret";
const TE: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange";
const ID_JAG: &str = "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid-jag";
const ID_TOKEN: &str = "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token";

struct OwnKeys(Arc<KeySet>);

#[async_trait]
impl KeySource for OwnKeys {
    async fn keys(
        &self,
        issuer: &Issuer,
        _kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        if issuer.as_str() == IDP {
            Ok(self.0.clone())
        } else {
            Err(KeySourceError::UnknownIssuer)
        }
    }
}

struct Refresh;

#[async_trait]
impl RefreshTokenValidator for Refresh {
    async fn validate(
        &self,
        token: &Secret,
        client_id: &ClientId,
    ) -> Result<SubjectContext, SubjectTokenError> {
        if token.expose() == "rt-good" && client_id.as_str() == CLIENT {
            Ok(SubjectContext::new("00u8k2p9xq"))
        } else {
            Err(SubjectTokenError::new("unknown refresh token"))
        }
    }
}

struct Pairwise;

impl SubjectMapper for Pairwise {
    fn subject_for(&self, user: &SubjectContext, audience: &Issuer) -> Option<String> {
        Some(format!("{}@{}", user.subject, audience.as_str().len()))
    }
}

struct AlwaysStepUp;

#[async_trait]
impl Policy for AlwaysStepUp {
    async fn decide(&self, _: &PolicyRequest<'_>) -> Decision {
        Decision::StepUp(StepUp::max_age(0).describe("MFA required"))
    }
}

fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

struct Idp {
    key: SigningKey,
    signing: SigningKeys,
    clock: FixedClock,
    /// `http://127.0.0.1:{port}`, where the IdP router is served.
    base: String,
    http: reqwest::Client,
}

const AUTHORIZE_URL: &str = "https://login.acme-idp.test/oauth2/v1/authorize";
const TOKEN_URL: &str = "https://login.acme-idp.test/oauth2/v1/token";
const JWKS_URL: &str = "https://login.acme-idp.test/oauth2/v1/keys";

/// Serve `router` on a free loopback port (needs a Tokio runtime); the base URL.
fn serve(router: axum::Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

enum Variant {
    Plain,
    Refresh,
    Pairwise,
    StepUp,
    PublicAllowed,
}

fn idp(variant: Variant) -> Idp {
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-2026");
    let clock = FixedClock::new(NOW);
    let config = IdpConfig::builder(Issuer::new(IDP).unwrap())
        .token_endpoint(TOKEN_URL)
        .audience(
            TrustedAudience::new(Issuer::new(AS).unwrap())
                .alias("urn:toolhub:as")
                .resource(Resource::new(MCP).unwrap())
                .resource(Resource::new(ADMIN).unwrap()),
        )
        .audience(
            TrustedAudience::new(Issuer::new(AS2).unwrap())
                .resource(Resource::new(MCP2).unwrap())
                .include_email(true)
                .tenant("acme")
                .aud_tenant("other-tenant-7"),
        )
        .build()
        .unwrap();
    let registry = StaticClientRegistry::new()
        .with_client(
            RegisteredClient::confidential(ClientId::new(CLIENT).unwrap())
                .with_secret(Secret::new(SECRET))
                .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE),
        )
        .with_client(
            RegisteredClient::public(ClientId::new("pub-cli").unwrap())
                .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE),
        )
        .with_client(
            RegisteredClient::confidential(ClientId::new("sso-only").unwrap())
                .with_secret(Secret::new(SECRET))
                .with_grant_type("authorization_code"),
        );
    let policy = StaticPolicy::new()
        .with_rule(PolicyRule::new(
            ClientId::new(CLIENT).unwrap(),
            Issuer::new(AS).unwrap(),
            Resource::new(MCP).unwrap(),
            scopes("tickets:read tickets:write"),
            ClientId::new("cli_42b19c").unwrap(),
        ))
        .with_rule(
            PolicyRule::new(
                ClientId::new(CLIENT).unwrap(),
                Issuer::new(AS).unwrap(),
                Resource::new(ADMIN).unwrap(),
                scopes("tickets:read admin"),
                ClientId::new("cli_42b19c").unwrap(),
            )
            .for_users(["admin-user"]),
        )
        .with_rule(PolicyRule::new(
            ClientId::new(CLIENT).unwrap(),
            Issuer::new(AS2).unwrap(),
            Resource::new(MCP2).unwrap(),
            scopes("files:read"),
            ClientId::new("other-cli").unwrap(),
        ));
    let policy: Arc<dyn Policy> = match variant {
        Variant::StepUp => Arc::new(AlwaysStepUp),
        _ => Arc::new(policy),
    };
    let ctx = ClientAuthContext::new(
        Issuer::new(IDP).unwrap(),
        Arc::new(MemoryReplayStore::new(1000)),
        Arc::new(clock.clone()),
    )
    .allow_public_clients(matches!(variant, Variant::PublicAllowed));
    let metadata = config
        .metadata(AUTHORIZE_URL, TOKEN_URL, JWKS_URL, false)
        .unwrap();
    let signing = SigningKeys::new(key.clone());
    let mut grant = TokenExchangeGrant::new(
        config,
        signing.clone(),
        Arc::new(OwnKeys(Arc::new(KeySet::from_keys(vec![
            key.verifying_key().clone(),
        ])))),
        Arc::new(registry),
        ctx,
        policy,
    )
    .unwrap();
    match variant {
        Variant::Refresh => grant = grant.with_refresh_tokens(Arc::new(Refresh)),
        Variant::Pairwise => grant = grant.with_subject_mapper(Arc::new(Pairwise)),
        _ => {}
    }
    let endpoint = TokenEndpoint::new().with_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE, Arc::new(grant));
    let router = IdpRouter::new(endpoint, signing.clone(), metadata)
        .build()
        .unwrap();
    Idp {
        key,
        signing,
        clock,
        base: serve(router),
        http: reqwest::Client::new(),
    }
}

fn enc(s: &str) -> String {
    let mut f = ema_types::Form::new();
    f.push("v", s);
    f.encode().trim_start_matches("v=").to_owned()
}

impl Idp {
    fn id_token_with(&self, edit: impl FnOnce(&mut IdTokenClaims)) -> String {
        let mut claims = IdTokenClaims::new(IDP, "00u8k2p9xq", CLIENT, NOW - 10, NOW + 3600);
        claims.auth_time = Some(NOW - 500);
        claims.amr = Some(vec!["pwd".into(), "otp".into()]);
        claims.email = Some("ada@acme.test".into());
        edit(&mut claims);
        sign_jws(&self.key, None, &claims).unwrap()
    }

    fn id_token(&self) -> String {
        self.id_token_with(|_| {})
    }

    /// The §7.3 request body, with `extra` appended.
    fn body(&self, extra: &str) -> String {
        self.body_for(&self.id_token(), extra)
    }

    /// The §7.3 request body with `subject_token`, with `extra` appended.
    fn body_for(&self, subject_token: &str, extra: &str) -> String {
        format!(
            "grant_type={TE}&requested_token_type={ID_JAG}&audience={}&resource={}&scope=tickets%3Aread&subject_token={}&subject_token_type={ID_TOKEN}{extra}",
            enc(AS),
            enc(MCP),
            subject_token
        )
    }

    async fn post(&self, body: String) -> HttpResponse {
        self.post_with(body, &[basic()]).await
    }

    async fn post_with(&self, body: String, headers: &[(&str, String)]) -> HttpResponse {
        let mut b = self
            .http
            .post(self.url("/oauth2/v1/token"))
            .header("content-type", "application/x-www-form-urlencoded");
        for (n, v) in headers {
            b = b.header(*n, v);
        }
        self.send(b.body(body)).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Send over HTTP; the answer as an `http::Response` for the assertions.
    async fn send(&self, request: reqwest::RequestBuilder) -> HttpResponse {
        let r = request.send().await.unwrap();
        let mut response = http::Response::builder().status(r.status().as_u16());
        for (name, value) in r.headers() {
            response = response.header(name.as_str(), value.as_bytes());
        }
        let body = r.bytes().await.unwrap().to_vec();
        response.body(body).unwrap()
    }
}

fn basic() -> (&'static str, String) {
    basic_as(CLIENT, SECRET)
}

fn basic_as(id: &str, secret: &str) -> (&'static str, String) {
    (
        "authorization",
        basic_auth::encode(&ClientId::new(id).unwrap(), &Secret::new(secret)),
    )
}

fn json_body(r: &HttpResponse) -> Value {
    serde_json::from_slice(r.body()).unwrap()
}

#[track_caller]
fn assert_error(r: &HttpResponse, status: u16, code: &str) {
    assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(r.body()));
    assert_eq!(json_body(r)["error"], code);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["cache-control"], "no-store");
}

fn id_jag_claims(r: &HttpResponse) -> serde_json::Map<String, Value> {
    let token = json_body(r)["access_token"].as_str().unwrap().to_owned();
    ema_jwt::compact::UnverifiedJws::decode(&token, 16 * 1024)
        .unwrap()
        .into_claims()
        .into_map()
}

#[tokio::test]
async fn idp_01_unknown_grant_type_is_unsupported_grant_type() {
    let idp = idp(Variant::Plain);
    let r = idp.post("grant_type=password&username=a".into()).await;
    assert_error(&r, 400, "unsupported_grant_type");
    let get = idp.send(idp.http.get(idp.url("/oauth2/v1/token"))).await;
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    assert_eq!(get.headers()["cache-control"], "no-store");
    let json = idp
        .send(
            idp.http
                .post(idp.url("/oauth2/v1/token"))
                .header("content-type", "application/json")
                .body("{}"),
        )
        .await;
    assert_error(&json, 415, "invalid_request");
    let big = idp
        .post(format!("grant_type={TE}&pad={}", "a".repeat(64 * 1024)))
        .await;
    assert_error(&big, 413, "invalid_request");
}

#[tokio::test]
async fn idp_02_wrong_basic_secret_is_401_invalid_client_with_basic_challenge() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post_with(idp.body(""), &[basic_as(CLIENT, "wrong")])
        .await;
    assert_error(&r, 401, "invalid_client");
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Basic realm="https://login.acme-idp.test""#
    );
}

#[tokio::test]
async fn idp_02_body_auth_failure_and_no_auth_are_400_invalid_client() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post_with(
            idp.body(&format!("&client_id={CLIENT}&client_secret=wrong")),
            &[],
        )
        .await;
    assert_error(&r, 400, "invalid_client");
    assert!(r.headers().get("www-authenticate").is_none());
    let r = idp.post_with(idp.body(""), &[]).await;
    assert_error(&r, 400, "invalid_client");
    // client_secret_post with the right secret works.
    let r = idp
        .post_with(
            idp.body(&format!("&client_id={CLIENT}&client_secret={SECRET}")),
            &[],
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn idp_02_public_clients_are_refused_even_when_the_context_allows_them() {
    for variant in [Variant::Plain, Variant::PublicAllowed] {
        let idp = idp(variant);
        let r = idp.post_with(idp.body("&client_id=pub-cli"), &[]).await;
        assert_error(&r, 400, "invalid_client");
    }
}

#[tokio::test]
async fn idp_02_client_without_the_grant_is_unauthorized_client() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post_with(idp.body(""), &[basic_as("sso-only", SECRET)])
        .await;
    assert_error(&r, 400, "unauthorized_client");
}

#[tokio::test]
async fn idp_03_missing_parameters_are_invalid_request() {
    let idp = idp(Variant::Plain);
    let full = idp.body("");
    for param in [
        "subject_token=",
        "subject_token_type=",
        "requested_token_type=",
        "audience=",
    ] {
        let body: Vec<&str> = full.split('&').filter(|p| !p.starts_with(param)).collect();
        let r = idp.post(body.join("&")).await;
        assert_error(&r, 400, "invalid_request");
    }
}

#[tokio::test]
async fn idp_03_repeated_parameter_is_invalid_request() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("&scope=tickets%3Awrite")).await;
    assert_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn idp_03_actor_token_is_invalid_request() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post(idp.body(&format!("&actor_token=abc&actor_token_type={ID_TOKEN}")))
        .await;
    assert_error(&r, 400, "invalid_request");
    let r = idp.post(idp.body("&actor_token=abc")).await;
    assert_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn idp_03_two_audiences_are_invalid_target() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body(&format!("&audience={}", enc(AS2)))).await;
    assert_error(&r, 400, "invalid_target");
}

#[tokio::test]
async fn idp_03_repeated_resource_is_valid() {
    let idp = idp(Variant::Plain);
    let body = idp.body(&format!("&resource={}", enc(ADMIN)));
    // The admin row is for admin-user only: the ID token's user gets invalid_target ...
    let r = idp.post(body).await;
    assert_error(&r, 400, "invalid_target");
    // ... and admin-user gets both resources in one ID-JAG.
    let token = idp.id_token_with(|c| c.sub = "admin-user".into());
    let body = format!(
        "grant_type={TE}&requested_token_type={ID_JAG}&audience={}&resource={}&resource={}&scope=tickets%3Aread&subject_token={token}&subject_token_type={ID_TOKEN}",
        enc(AS),
        enc(MCP),
        enc(ADMIN)
    );
    let r = idp.post(body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(id_jag_claims(&r)["resource"], json!([MCP, ADMIN]));
}

#[tokio::test]
async fn idp_04_requested_token_type_other_than_id_jag_is_invalid_request() {
    let idp = idp(Variant::Plain);
    for other in [
        "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token",
        "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Arefresh_token",
    ] {
        let r = idp.post(idp.body("").replace(ID_JAG, other)).await;
        assert_error(&r, 400, "invalid_request");
    }
}

#[tokio::test]
async fn idp_05_unsupported_subject_token_types_are_invalid_request() {
    let idp = idp(Variant::Plain);
    for t in [
        "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Asaml2",
        "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Arefresh_token",
        "urn%3Aexample%3Aother",
    ] {
        let r = idp.post(idp.body("").replace(ID_TOKEN, t)).await;
        assert_error(&r, 400, "invalid_request");
    }
}

#[tokio::test]
async fn idp_06_id_token_failures_are_invalid_request() {
    let idp = idp(Variant::Plain);
    let other_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-2026");
    let claims = IdTokenClaims::new(IDP, "00u8k2p9xq", CLIENT, NOW - 10, NOW + 3600);
    let bad_signature = sign_jws(&other_key, None, &claims).unwrap();
    let cases = [
        idp.id_token_with(|c| c.iss = "https://evil.test".into()),
        idp.id_token_with(|c| c.iss = format!("{IDP}/")),
        idp.id_token_with(|c| c.aud = ema_types::OneOrMany::One("another-client".into())),
        idp.id_token_with(|c| {
            c.iat = NOW - 7200;
            c.exp = NOW - 3600;
        }),
        idp.id_token_with(|c| {
            c.aud = ema_types::OneOrMany::Many(vec!["x".into(), CLIENT.into()]);
            c.azp = Some("x".into());
        }),
        bad_signature,
        "not-a-jwt".to_owned(),
    ];
    for token in cases {
        let r = idp.post(idp.body_for(&token, "")).await;
        assert_error(&r, 400, "invalid_request");
    }
    // An aud array containing the client is fine.
    let token = idp.id_token_with(|c| {
        c.aud = ema_types::OneOrMany::Many(vec!["x".into(), CLIENT.into()]);
    });
    let r = idp.post(idp.body_for(&token, "")).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn idp_06_expiry_follows_the_clock() {
    let idp = idp(Variant::Plain);
    let body = idp.body("");
    idp.clock.advance(3600 + 61);
    let r = idp.post(body).await;
    assert_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn idp_08_refresh_token_subject_through_the_validator() {
    let idp = idp(Variant::Refresh);
    let rt = "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Arefresh_token";
    let body = idp.body_for("rt-good", "").replace(ID_TOKEN, rt);
    let r = idp.post(body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(id_jag_claims(&r)["sub"], "00u8k2p9xq");
    let body = idp.body_for("rt-bad", "").replace(ID_TOKEN, rt);
    assert_error(&idp.post(body).await, 400, "invalid_request");
}

#[tokio::test]
async fn idp_09_alias_resolves_to_the_issuer() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post(idp.body("").replace(&enc(AS), &enc("urn:toolhub:as")))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(id_jag_claims(&r)["aud"], AS);
}

#[tokio::test]
async fn idp_09_unknown_or_slash_variant_audience_is_invalid_target() {
    let idp = idp(Variant::Plain);
    for aud in [
        "https://unknown.test",
        "https://as.toolhub.test/",
        "https://as.toolhub.test/oauth/token",
    ] {
        let r = idp.post(idp.body("").replace(&enc(AS), &enc(aud))).await;
        assert_error(&r, 400, "invalid_target");
    }
}

#[tokio::test]
async fn idp_10_audience_resource_pair_not_allowed_is_invalid_target() {
    let idp = idp(Variant::Plain);
    // MCP2 belongs to the other AS.
    let r = idp.post(idp.body("").replace(&enc(MCP), &enc(MCP2))).await;
    assert_error(&r, 400, "invalid_target");
    assert_eq!(
        json_body(&r)["error_description"],
        "resource not permitted for this audience"
    );
}

#[tokio::test]
async fn idp_oq02_missing_resource_is_invalid_request() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post(idp.body("").replace(&format!("&resource={}", enc(MCP)), ""))
        .await;
    assert_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn idp_11_scopes_are_narrowed_to_the_policy() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post(
            idp.body("")
                .replace("scope=tickets%3Aread", "scope=tickets%3Aread+admin%3Aall"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(json_body(&r)["scope"], "tickets:read");
    assert_eq!(id_jag_claims(&r)["scope"], "tickets:read");
}

#[tokio::test]
async fn idp_11_nothing_grantable_is_invalid_scope() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post(
            idp.body("")
                .replace("scope=tickets%3Aread", "scope=admin%3Aall"),
        )
        .await;
    assert_error(&r, 400, "invalid_scope");
}

#[tokio::test]
async fn idp_11_user_not_permitted_is_invalid_target() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("").replace(&enc(MCP), &enc(ADMIN))).await;
    assert_error(&r, 400, "invalid_target");
}

#[tokio::test]
async fn idp_11_absent_scope_grants_the_allowed_set() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post(idp.body("").replace("&scope=tickets%3Aread", ""))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(json_body(&r)["scope"], "tickets:read tickets:write");
}

#[tokio::test]
async fn idp_12_client_id_is_the_id_at_the_as() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("")).await;
    assert_eq!(id_jag_claims(&r)["client_id"], "cli_42b19c");
}

#[tokio::test]
async fn idp_13_subject_defaults_to_the_id_token_sub_and_can_be_mapped() {
    let idp_plain = idp(Variant::Plain);
    let r = idp_plain.post(idp_plain.body("")).await;
    assert_eq!(id_jag_claims(&r)["sub"], "00u8k2p9xq");
    let idp_pairwise = idp(Variant::Pairwise);
    let r = idp_pairwise.post(idp_pairwise.body("")).await;
    assert_eq!(id_jag_claims(&r)["sub"], format!("00u8k2p9xq@{}", AS.len()));
}

#[tokio::test]
async fn idp_15_id_jag_verifies_at_the_as_with_header_and_claims() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("")).await;
    assert_eq!(r.status(), 200);
    let token = json_body(&r)["access_token"].as_str().unwrap().to_owned();
    let jws = ema_jwt::compact::UnverifiedJws::decode(&token, 16 * 1024).unwrap();
    assert_eq!(jws.header().typ.as_deref(), Some("oauth-id-jag+jwt"));
    assert_eq!(jws.header().alg, Algorithm::ES256);
    assert_eq!(jws.header().kid.as_deref(), Some("idp-2026"));
    let claims = jws.claims().to_map();
    assert_eq!(claims["iss"], IDP);
    assert_eq!(claims["aud"], AS, "aud is a single string");
    assert_eq!(claims["resource"], MCP);
    assert_eq!(claims["auth_time"], NOW - 500);
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert!(claims["jti"].as_str().unwrap().len() >= 22, "128-bit jti");
    // The resource AS's verifier accepts it.
    let keys = KeySet::from_keys(vec![idp.key.verifying_key().clone()]);
    let verifier = IdJagVerifier::new(Issuer::new(AS).unwrap(), [Resource::new(MCP).unwrap()]);
    let jws = verifier.decode(&token).unwrap();
    let anchor = TrustAnchor::new(IDP, &keys, &[Algorithm::ES256]);
    let verified = verifier
        .verify(jws, &anchor, "cli_42b19c", &idp.clock)
        .unwrap();
    assert_eq!(verified.sub, "00u8k2p9xq");
}

#[tokio::test]
async fn idp_16_lifetime_is_300_by_default_and_capped_at_600() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("")).await;
    let claims = id_jag_claims(&r);
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 300);
    assert_eq!(json_body(&r)["expires_in"], 300);
    let builder = IdpConfig::builder(Issuer::new(IDP).unwrap());
    assert!(builder.clone().ttl(601).build().is_err());
    assert!(builder.clone().ttl(0).build().is_err());
    assert!(builder.ttl(600).build().is_ok());
}

#[tokio::test]
async fn idp_17_success_response_shape_and_headers() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["pragma"], "no-cache");
    let body = json_body(&r);
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "issued_token_type",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(body["issued_token_type"], urn::TOKEN_TYPE_ID_JAG);
    assert_eq!(body["token_type"], "N_A");
    assert_eq!(body["scope"], "tickets:read");
}

#[tokio::test]
async fn idp_18_errors_are_rfc6749_json_without_token_material() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("").replace(&enc(MCP), &enc(MCP2))).await;
    assert_error(&r, 400, "invalid_target");
    assert_eq!(r.headers()["pragma"], "no-cache");
    let text = String::from_utf8_lossy(r.body()).into_owned();
    assert!(!text.contains("eyJ"));
}

#[tokio::test]
async fn idp_19_step_up_is_insufficient_user_authentication_with_max_age() {
    let idp = idp(Variant::StepUp);
    let r = idp.post(idp.body("")).await;
    assert_error(&r, 400, "insufficient_user_authentication");
    assert_eq!(
        json_body(&r),
        json!({"error":"insufficient_user_authentication","error_description":"MFA required","max_age":0})
    );
}

fn dpop_client() -> DpopProofMinter {
    DpopProofMinter::new(SigningKey::generate(Algorithm::ES256).unwrap())
}

fn dpop_proof_at(client: &DpopProofMinter, method: &str, url: &str, now: u64) -> String {
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

#[tokio::test]
async fn idp_20_valid_dpop_proof_binds_the_id_jag_to_its_key() {
    let idp = idp(Variant::Plain);
    let client = dpop_client();
    let proof = dpop_proof_at(&client, "POST", TOKEN_URL, NOW);
    let r = idp
        .post_with(idp.body(""), &[basic(), ("dpop", proof)])
        .await;
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    // The response is unchanged (an ID-JAG is still `N_A`); the binding is in the claims.
    assert_eq!(json_body(&r)["token_type"], "N_A");
    assert_eq!(id_jag_claims(&r)["cnf"], json!({"jkt": client.jkt()}));
}

#[tokio::test]
async fn idp_20_without_dpop_the_id_jag_is_unbound() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("")).await;
    assert_eq!(r.status(), 200);
    assert!(!id_jag_claims(&r).contains_key("cnf"));
}

#[tokio::test]
async fn idp_20_invalid_dpop_proofs_are_invalid_dpop_proof() {
    let idp = idp(Variant::Plain);
    let client = dpop_client();
    for (label, proof) in [
        ("garbage", "eyJ.eyJ.sig".to_owned()),
        ("htm GET", dpop_proof_at(&client, "GET", TOKEN_URL, NOW)),
        (
            "htu of another endpoint",
            dpop_proof_at(&client, "POST", "https://login.acme-idp.test/token", NOW),
        ),
        (
            "htu of the loopback address",
            dpop_proof_at(&client, "POST", &idp.url("/oauth2/v1/token"), NOW),
        ),
        (
            "too old",
            dpop_proof_at(&client, "POST", TOKEN_URL, NOW - 400),
        ),
        (
            "future",
            dpop_proof_at(&client, "POST", TOKEN_URL, NOW + 120),
        ),
    ] {
        let r = idp
            .post_with(idp.body(""), &[basic(), ("dpop", proof)])
            .await;
        assert_error(&r, 400, "invalid_dpop_proof");
        assert_eq!(
            json_body(&r),
            json!({"error": "invalid_dpop_proof", "error_description": "invalid DPoP proof"}),
            "{label}"
        );
    }
}

#[tokio::test]
async fn idp_20_two_dpop_headers_are_invalid_dpop_proof() {
    let idp = idp(Variant::Plain);
    let client = dpop_client();
    let p1 = dpop_proof_at(&client, "POST", TOKEN_URL, NOW);
    let p2 = dpop_proof_at(&client, "POST", TOKEN_URL, NOW);
    let r = idp
        .post_with(idp.body(""), &[basic(), ("dpop", p1), ("dpop", p2)])
        .await;
    assert_error(&r, 400, "invalid_dpop_proof");
}

#[tokio::test]
async fn idp_20_dpop_proof_jti_is_single_use() {
    let idp = idp(Variant::Plain);
    let client = dpop_client();
    let proof = dpop_proof_at(&client, "POST", TOKEN_URL, NOW);
    let r = idp
        .post_with(idp.body(""), &[basic(), ("dpop", proof.clone())])
        .await;
    assert_eq!(r.status(), 200);
    let r = idp
        .post_with(idp.body(""), &[basic(), ("dpop", proof)])
        .await;
    assert_error(&r, 400, "invalid_dpop_proof");
}

#[tokio::test]
async fn idp_20_proof_is_checked_after_client_authentication() {
    let idp = idp(Variant::Plain);
    let r = idp
        .post_with(
            idp.body(""),
            &[
                basic_as(CLIENT, "wrong"),
                ("dpop", "eyJ.eyJ.sig".to_owned()),
            ],
        )
        .await;
    assert_error(&r, 401, "invalid_client");
}

#[test]
fn idp_20_token_endpoint_defaults_to_the_issuer_and_is_validated() {
    let config = IdpConfig::builder(Issuer::new(IDP).unwrap())
        .build()
        .unwrap();
    assert_eq!(config.token_endpoint(), "https://login.acme-idp.test/token");
    let config = IdpConfig::builder(Issuer::new(IDP).unwrap())
        .token_endpoint(TOKEN_URL)
        .build()
        .unwrap();
    assert_eq!(config.token_endpoint(), TOKEN_URL);
    assert!(
        IdpConfig::builder(Issuer::new(IDP).unwrap())
            .token_endpoint("/oauth2/v1/token")
            .build()
            .is_err()
    );
}

#[tokio::test]
async fn idp_21_metadata_advertises_token_exchange_and_id_jag() {
    let config = IdpConfig::builder(Issuer::new(IDP).unwrap())
        .build()
        .unwrap();
    let md = config
        .metadata(
            "https://login.acme-idp.test/oauth2/v1/authorize",
            "https://login.acme-idp.test/oauth2/v1/token",
            "https://login.acme-idp.test/oauth2/v1/keys",
            false,
        )
        .unwrap();
    let json: Value = serde_json::from_slice(&md.to_json().unwrap()).unwrap();
    assert_eq!(json["issuer"], IDP);
    assert_eq!(
        json["token_endpoint"],
        "https://login.acme-idp.test/oauth2/v1/token"
    );
    assert_eq!(json["response_types_supported"], json!(["code"]));
    assert!(
        json["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(urn::GRANT_TYPE_TOKEN_EXCHANGE))
    );
    assert_eq!(
        json["identity_chaining_requested_token_types_supported"],
        json!([urn::TOKEN_TYPE_ID_JAG])
    );
    // IDP-20: DPoP proofs are accepted.
    assert_eq!(
        json["dpop_signing_alg_values_supported"],
        json!(["ES256", "EdDSA"])
    );
    assert!(md.advertises_id_jag_token_exchange());
}

#[tokio::test]
async fn idp_22_an_id_jag_is_never_a_subject_token() {
    let idp = idp(Variant::Plain);
    let issued = idp.post(idp.body("")).await;
    let id_jag = json_body(&issued)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Presented as an ID token ...
    let r = idp.post(idp.body_for(&id_jag, "")).await;
    assert_error(&r, 400, "invalid_request");
    // ... or under its own type.
    let r = idp
        .post(idp.body_for(&id_jag, "").replace(ID_TOKEN, ID_JAG))
        .await;
    assert_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn idp_24_email_and_idp_14_tenant_only_when_configured_for_the_as() {
    let idp = idp(Variant::Plain);
    let r = idp.post(idp.body("")).await;
    let claims = id_jag_claims(&r);
    assert!(claims.get("email").is_none());
    // IDP-14: tenant claims only for the AS configured with them.
    assert!(claims.get("tenant").is_none());
    assert!(claims.get("aud_tenant").is_none());
    let body = idp
        .body("")
        .replace(&enc(AS), &enc(AS2))
        .replace(&enc(MCP), &enc(MCP2))
        .replace("scope=tickets%3Aread", "scope=files%3Aread");
    let r = idp.post(body).await;
    assert_eq!(r.status(), 200);
    let claims = id_jag_claims(&r);
    assert_eq!(claims["email"], "ada@acme.test");
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["aud_tenant"], "other-tenant-7");
    assert_eq!(claims["client_id"], "other-cli");
}

#[tokio::test]
async fn idp_config_is_validated() {
    let dup = IdpConfig::builder(Issuer::new(IDP).unwrap())
        .audience(
            TrustedAudience::new(Issuer::new(AS).unwrap()).resource(Resource::new(MCP).unwrap()),
        )
        .audience(
            TrustedAudience::new(Issuer::new(AS2).unwrap())
                .alias(AS)
                .resource(Resource::new(MCP2).unwrap()),
        )
        .build();
    assert!(dup.is_err());
    let empty = IdpConfig::builder(Issuer::new(IDP).unwrap())
        .audience(TrustedAudience::new(Issuer::new(AS).unwrap()))
        .build();
    assert!(empty.is_err());
}

#[tokio::test]
async fn idp_15_rotation_signs_with_the_new_key() {
    let idp = idp(Variant::Plain);
    let body = idp.body("");
    idp.signing.rotate(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("idp-2027"),
    );
    let r = idp.post(body).await;
    assert_eq!(r.status(), 200);
    let token = json_body(&r)["access_token"].as_str().unwrap().to_owned();
    let jws = ema_jwt::compact::UnverifiedJws::decode(&token, 16 * 1024).unwrap();
    assert_eq!(jws.header().kid.as_deref(), Some("idp-2027"));
    let kids: Vec<_> = idp
        .signing
        .jwks()
        .keys
        .iter()
        .filter_map(|k| k.kid.clone())
        .collect();
    assert_eq!(kids, ["idp-2027", "idp-2026"]);
}

#[tokio::test]
async fn idp_21_router_serves_metadata_at_both_well_known_urls_and_the_jwks() {
    let idp = idp(Variant::Plain);
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let r = idp.send(idp.http.get(idp.url(path))).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], "application/json");
        let json = json_body(&r);
        assert_eq!(json["issuer"], IDP);
        assert_eq!(json["token_endpoint"], TOKEN_URL);
        assert_eq!(json["jwks_uri"], JWKS_URL);
        assert_eq!(
            json["identity_chaining_requested_token_types_supported"],
            json!([urn::TOKEN_TYPE_ID_JAG])
        );
        let post = idp.send(idp.http.post(idp.url(path))).await;
        assert_eq!(post.status(), 405, "{path}");
        assert!(post.headers()["allow"].to_str().unwrap().contains("GET"));
    }
    // The JWKS publishes the active key, and the previous one after a rotation.
    let jwks = |r: &HttpResponse| -> Vec<String> {
        json_body(r)["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = idp.send(idp.http.get(idp.url("/oauth2/v1/keys"))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(jwks(&r), ["idp-2026"]);
    assert!(!String::from_utf8_lossy(r.body()).contains("\"d\""));
    idp.signing.rotate(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("idp-2027"),
    );
    let r = idp.send(idp.http.get(idp.url("/oauth2/v1/keys"))).await;
    assert_eq!(jwks(&r), ["idp-2027", "idp-2026"]);
    let r = idp.send(idp.http.delete(idp.url("/oauth2/v1/keys"))).await;
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn idp_01_router_keeps_the_applications_own_grants() {
    struct Password;
    #[async_trait]
    impl ema_server::endpoint::GrantHandler for Password {
        async fn handle(
            &self,
            _: &ema_server::endpoint::HttpRequest,
            _: &ema_types::Form,
        ) -> HttpResponse {
            ema_server::endpoint::json_response(http::StatusCode::OK, &json!({"app": true}))
        }
    }
    let config = IdpConfig::builder(Issuer::new(IDP).unwrap())
        .build()
        .unwrap();
    let metadata = config
        .metadata(AUTHORIZE_URL, TOKEN_URL, JWKS_URL, false)
        .unwrap();
    let signing = SigningKeys::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let endpoint = TokenEndpoint::new().with_grant("password", Arc::new(Password));
    let router = IdpRouter::new(endpoint, signing, metadata).build().unwrap();
    let base = serve(router);
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth2/v1/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"app":true}"#);
}
