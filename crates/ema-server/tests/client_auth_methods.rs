//! Client authentication (IDP-02, AS-02, AS-03, JWT-10), sans-IO.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]

use std::sync::Arc;

use ema_jwt::mint::ClientAssertionMinter;
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::client_auth::{
    ClientAuthContext, ClientAuthMethod, RegisteredClient, StaticClientRegistry, authenticate,
};
use ema_server::endpoint::{HttpRequest, Rejection};
use ema_server::replay::MemoryReplayStore;
use ema_types::{
    ClientId, ErrorCode, FixedClock, Form, Issuer, Secret, SystemRandom, basic_auth, urn,
};
use http::StatusCode;

const ISSUER: &str = "https://as.toolhub.test";
const NOW: u64 = 1_793_000_000;

struct Fixture {
    registry: StaticClientRegistry,
    ctx: ClientAuthContext,
    key: SigningKey,
    clock: FixedClock,
}

fn fixture() -> Fixture {
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("cli-k1");
    let registry = StaticClientRegistry::new()
        .with_client(
            RegisteredClient::confidential(ClientId::new("cli_secret").unwrap())
                .with_secret(Secret::new("s3cret:with+special&chars")),
        )
        .with_client(
            RegisteredClient::confidential(ClientId::new("cli_42b19c").unwrap()).with_keys(
                KeySet::from_keys(vec![key.verifying_key().clone()]),
                [Algorithm::ES256],
            ),
        )
        .with_client(RegisteredClient::public(
            ClientId::new("https://app.example/cimd.json").unwrap(),
        ));
    let clock = FixedClock::new(NOW);
    let ctx = ClientAuthContext::new(
        Issuer::new(ISSUER).unwrap(),
        Arc::new(MemoryReplayStore::new(64)),
        Arc::new(clock.clone()),
    );
    Fixture {
        registry,
        ctx,
        key,
        clock,
    }
}

fn request(authorization: Option<&str>, form: &Form) -> HttpRequest {
    let mut b = http::Request::post("/token").header("content-type", urn::MEDIA_TYPE_FORM);
    if let Some(a) = authorization {
        b = b.header("authorization", a);
    }
    b.body(form.encode().into_bytes()).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> Form {
    let mut f = Form::new();
    for (k, v) in pairs {
        f.push(*k, *v);
    }
    f
}

async fn run(
    fx: &Fixture,
    authorization: Option<&str>,
    f: &Form,
) -> Result<ClientAuthMethod, Rejection> {
    authenticate(&request(authorization, f), f, &fx.registry, &fx.ctx)
        .await
        .map(|c| c.method)
}

fn basic(id: &str, secret: &str) -> String {
    basic_auth::encode(&ClientId::new(id).unwrap(), &Secret::new(secret))
}

fn assert_basic_failure(r: Rejection) {
    assert_eq!(r.code, ErrorCode::InvalidClient);
    let response = r.into_response();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"https://as.toolhub.test\""
    );
    assert_eq!(response.body(), br#"{"error":"invalid_client"}"#);
}

#[tokio::test]
async fn as_02_client_secret_basic_form_encoded_credentials() {
    let fx = fixture();
    let auth = basic("cli_secret", "s3cret:with+special&chars");
    assert_eq!(
        run(&fx, Some(&auth), &form(&[])).await.unwrap(),
        ClientAuthMethod::ClientSecretBasic
    );
    // A client_id next to Basic naming the same client is accepted (peer SDKs send it).
    assert_eq!(
        run(&fx, Some(&auth), &form(&[("client_id", "cli_secret")]))
            .await
            .unwrap(),
        ClientAuthMethod::ClientSecretBasic
    );
}

#[tokio::test]
async fn as_02_basic_failure_is_401_with_challenge_and_unknown_client_looks_the_same() {
    let fx = fixture();
    let wrong = run(&fx, Some(&basic("cli_secret", "nope")), &form(&[]))
        .await
        .unwrap_err();
    let unknown = run(&fx, Some(&basic("cli_nobody", "nope")), &form(&[]))
        .await
        .unwrap_err();
    let wrong_r = wrong.clone().into_response();
    let unknown_r = unknown.clone().into_response();
    assert_eq!(wrong_r.status(), unknown_r.status());
    assert_eq!(wrong_r.headers(), unknown_r.headers());
    assert_eq!(wrong_r.body(), unknown_r.body());
    assert_basic_failure(wrong);
    assert_basic_failure(unknown);
    // Malformed Basic credentials.
    assert_basic_failure(run(&fx, Some("Basic !!!"), &form(&[])).await.unwrap_err());
}

#[tokio::test]
async fn as_02_client_id_next_to_basic_naming_another_client_is_rejected() {
    let fx = fixture();
    let auth = basic("cli_secret", "s3cret:with+special&chars");
    assert_basic_failure(
        run(&fx, Some(&auth), &form(&[("client_id", "cli_42b19c")]))
            .await
            .unwrap_err(),
    );
}

#[tokio::test]
async fn as_02_two_methods_in_one_request_is_invalid_request() {
    let fx = fixture();
    let auth = basic("cli_secret", "s3cret:with+special&chars");
    let r = run(
        &fx,
        Some(&auth),
        &form(&[
            ("client_id", "cli_secret"),
            ("client_secret", "s3cret:with+special&chars"),
        ]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (r.code, r.status),
        (ErrorCode::InvalidRequest, StatusCode::BAD_REQUEST)
    );
    let r = run(
        &fx,
        None,
        &form(&[
            ("client_id", "cli_secret"),
            ("client_secret", "x"),
            (
                "client_assertion_type",
                urn::CLIENT_ASSERTION_TYPE_JWT_BEARER,
            ),
            ("client_assertion", "a.b.c"),
        ]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (r.code, r.status),
        (ErrorCode::InvalidRequest, StatusCode::BAD_REQUEST)
    );
    let r = run(
        &fx,
        Some(&auth),
        &form(&[
            (
                "client_assertion_type",
                urn::CLIENT_ASSERTION_TYPE_JWT_BEARER,
            ),
            ("client_assertion", "a.b.c"),
        ]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (r.code, r.status),
        (ErrorCode::InvalidRequest, StatusCode::BAD_REQUEST)
    );
}

#[tokio::test]
async fn as_02_client_secret_post_and_its_failure_is_400() {
    let fx = fixture();
    assert_eq!(
        run(
            &fx,
            None,
            &form(&[
                ("client_id", "cli_secret"),
                ("client_secret", "s3cret:with+special&chars")
            ])
        )
        .await
        .unwrap(),
        ClientAuthMethod::ClientSecretPost
    );
    let r = run(
        &fx,
        None,
        &form(&[("client_id", "cli_secret"), ("client_secret", "s3cret")]),
    )
    .await
    .unwrap_err();
    let response = r.into_response();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("www-authenticate").is_none());
    assert_eq!(response.body(), br#"{"error":"invalid_client"}"#);
    // A client registered for private_key_jwt only has no secret to match.
    let r = run(
        &fx,
        None,
        &form(&[("client_id", "cli_42b19c"), ("client_secret", "")]),
    )
    .await
    .unwrap_err();
    assert_eq!(r.code, ErrorCode::InvalidClient);
}

fn assertion(fx: &Fixture, audience: &str) -> String {
    ClientAssertionMinter::new(ClientId::new("cli_42b19c").unwrap(), fx.key.clone())
        .mint(&Issuer::new(audience).unwrap(), &fx.clock, &SystemRandom)
        .unwrap()
        .token
        .expose()
        .to_owned()
}

fn pkjwt_form(a: &str) -> Form {
    form(&[
        (
            "client_assertion_type",
            urn::CLIENT_ASSERTION_TYPE_JWT_BEARER,
        ),
        ("client_assertion", a),
    ])
}

#[tokio::test]
async fn jwt_10_private_key_jwt_single_use() {
    let fx = fixture();
    let a = assertion(&fx, ISSUER);
    assert_eq!(
        run(&fx, None, &pkjwt_form(&a)).await.unwrap(),
        ClientAuthMethod::PrivateKeyJwt
    );
    let replay = run(&fx, None, &pkjwt_form(&a)).await.unwrap_err();
    assert_eq!(
        (replay.code, replay.status),
        (ErrorCode::InvalidClient, StatusCode::BAD_REQUEST)
    );
    assert!(replay.log_reason.contains("replayed"));
}

#[tokio::test]
async fn as_02_unsupported_client_assertion_type_is_invalid_client() {
    // RFC 6749 §5.2: an unsupported authentication method is invalid_client (found by the
    // ema-vectors corpus, `jb-client-assertion-type-unknown`).
    let fx = fixture();
    let a = assertion(&fx, ISSUER);
    let f = form(&[
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
        ),
        ("client_assertion", &a),
    ]);
    let r = run(&fx, None, &f).await.unwrap_err();
    assert_eq!(
        (r.code, r.status),
        (ErrorCode::InvalidClient, StatusCode::BAD_REQUEST)
    );
    // A missing type next to an assertion stays a malformed request.
    let r = run(&fx, None, &form(&[("client_assertion", &a)]))
        .await
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn jwt_10_private_key_jwt_audience_is_the_issuer_unless_legacy_flag() {
    let fx = fixture();
    let endpoint = "https://as.toolhub.test/oauth/token";
    let r = run(&fx, None, &pkjwt_form(&assertion(&fx, endpoint)))
        .await
        .unwrap_err();
    assert_eq!(
        (r.code, r.status),
        (ErrorCode::InvalidClient, StatusCode::BAD_REQUEST)
    );
    let legacy = Fixture {
        ctx: fx.ctx.clone().accept_token_endpoint_audience(endpoint),
        ..fixture()
    };
    let a = ClientAssertionMinter::new(ClientId::new("cli_42b19c").unwrap(), fx.key.clone())
        .mint(&Issuer::new(endpoint).unwrap(), &fx.clock, &SystemRandom)
        .unwrap();
    let legacy = Fixture {
        key: fx.key.clone(),
        registry: fx.registry.clone(),
        ..legacy
    };
    assert_eq!(
        run(&legacy, None, &pkjwt_form(a.token.expose()))
            .await
            .unwrap(),
        ClientAuthMethod::PrivateKeyJwt
    );
}

#[tokio::test]
async fn jwt_10_private_key_jwt_with_client_id_of_another_client_fails() {
    let fx = fixture();
    let mut f = pkjwt_form(&assertion(&fx, ISSUER));
    f.push("client_id", "cli_secret");
    let r = run(&fx, None, &f).await.unwrap_err();
    assert_eq!(r.code, ErrorCode::InvalidClient);
    // A key that is not registered.
    let other = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("cli-k1");
    let a = ClientAssertionMinter::new(ClientId::new("cli_42b19c").unwrap(), other)
        .mint(&Issuer::new(ISSUER).unwrap(), &fx.clock, &SystemRandom)
        .unwrap();
    let r = run(&fx, None, &pkjwt_form(a.token.expose()))
        .await
        .unwrap_err();
    assert_eq!(
        (r.code, r.status),
        (ErrorCode::InvalidClient, StatusCode::BAD_REQUEST)
    );
}

#[tokio::test]
async fn as_03_public_clients_only_with_opt_in() {
    let fx = fixture();
    let f = form(&[("client_id", "https://app.example/cimd.json")]);
    let r = run(&fx, None, &f).await.unwrap_err();
    assert_eq!(
        (r.code, r.status),
        (ErrorCode::InvalidClient, StatusCode::BAD_REQUEST)
    );
    let open = Fixture {
        ctx: fx.ctx.clone().allow_public_clients(true),
        ..fixture()
    };
    assert_eq!(run(&open, None, &f).await.unwrap(), ClientAuthMethod::None);
    // A confidential client cannot drop its credentials even with the opt-in.
    let r = run(&open, None, &form(&[("client_id", "cli_secret")]))
        .await
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::InvalidClient);
    // No client identification at all.
    let r = run(&fx, None, &form(&[])).await.unwrap_err();
    assert_eq!(
        (r.code, r.status),
        (ErrorCode::InvalidClient, StatusCode::BAD_REQUEST)
    );
}
