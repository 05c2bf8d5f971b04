//! The client against fake IdP / AS / MCP servers over real HTTP on loopback.

#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::time::Duration;

use base64::Engine as _;
use ema_client::{
    ClientAuthMethod, ClientCredentials, Disposition, ErrorKind, IdentityProvider, Leg,
    OidcRefreshSource, Party, RefreshMode, StaticIdToken, TokenSource,
};
use ema_jwt::verify::{ClientAssertionVerifier, TrustAnchor};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_types::{ClientId, Clock, ErrorCode, Secret, TokenType};
use support::{AS_CLIENT, Config, IDP_CLIENT, IdpMode, NOW, PrmMode, SUBJECT, World};

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn cl_07_cl_09_cl_12_exact_form_parameters_and_encoding() {
    let w = World::start(Config::default()).await;
    let source = w.source();
    let token = source.access_token(&w.server()).await.unwrap();
    assert_eq!(token.token.expose(), "at-1");
    let shown = format!("{source:?} {token:?}");
    for secret in ["idp-secret", "as-secret", SUBJECT, "at-1"] {
        assert!(!shown.contains(secret), "CL-20: {secret} in Debug output");
    }
    assert_eq!(token.scope.as_ref().unwrap().to_string(), "tickets:read");

    let ex = w.exchanges();
    assert_eq!(ex.len(), 1);
    let expected = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
         &requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid-jag\
         &audience={}&resource={}&scope=tickets%3Aread&subject_token={}\
         &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token",
        enc(&w.as_),
        enc(w.server().as_str()),
        enc(SUBJECT)
    );
    assert_eq!(
        ex[0].body, expected,
        "CL-07/CL-08/CL-10: exact exchange body"
    );
    assert!(!ex[0].body.contains("actor_token"), "CL-10");
    assert_eq!(
        ex[0].header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    // CL-09: client_secret_basic, id and secret form-encoded before base64.
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{IDP_CLIENT}:idp-secret"));
    assert_eq!(
        ex[0].header("authorization"),
        Some(format!("Basic {basic}"))
    );

    let red = w.redemptions();
    assert_eq!(red.len(), 1);
    let form = red[0].form();
    let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "grant_type",
            "assertion",
            "resource",
            "scope",
            "client_id",
            "client_secret"
        ],
        "CL-12: exactly these parameters"
    );
    assert_eq!(form[0].1, "urn:ietf:params:oauth:grant-type:jwt-bearer");
    assert_eq!(form[2].1, w.server().as_str());
    assert_eq!(form[3].1, "tickets:read");
    assert_eq!(
        form[4].1, AS_CLIENT,
        "CL-13: the AS client id, not the IdP one"
    );
    assert_eq!(form[5].1, "as-secret");
    assert!(red[0].header("authorization").is_none());
    assert!(red[0].body.starts_with(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey"
    ));
}

#[tokio::test]
async fn cl_09_basic_header_form_encodes_special_characters() {
    let w = World::start(Config::default()).await;
    let idp = IdentityProvider::new(
        w.idp_issuer(),
        ClientCredentials::new(
            ClientId::new("desk:7f+3a").unwrap(),
            ClientAuthMethod::SecretBasic(Secret::new("p@ss:w+rd&=%/é ")),
        ),
    );
    let source = TokenSource::builder(World::http(), StaticIdToken::new(Secret::new(SUBJECT)), idp)
        .authorization_server(w.as_issuer(), World::as_secret_post())
        .clock(w.clock.clone())
        .config(World::config())
        .build();
    source.access_token(&w.server()).await.unwrap();
    let header = w.exchanges()[0].header("authorization").unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(header.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(raw).unwrap(),
        "desk%3A7f%2B3a:p%40ss%3Aw%2Brd%26%3D%25%2F%C3%A9+"
    );
    assert!(!w.exchanges()[0].body.contains("client_secret"));
}

#[tokio::test]
async fn cl_13_jwt_10_private_key_jwt_at_both_parties_with_their_own_audience() {
    let w = World::start(Config::default()).await;
    let idp_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("c-idp");
    let as_key = SigningKey::generate(Algorithm::EdDSA)
        .unwrap()
        .with_kid("c-as");
    let idp = IdentityProvider::new(
        w.idp_issuer(),
        ClientCredentials::new(
            ClientId::new(IDP_CLIENT).unwrap(),
            ClientAuthMethod::PrivateKeyJwt(idp_key.clone()),
        ),
    );
    let source = TokenSource::builder(World::http(), StaticIdToken::new(Secret::new(SUBJECT)), idp)
        .authorization_server(
            w.as_issuer(),
            ClientCredentials::new(
                ClientId::new(AS_CLIENT).unwrap(),
                ClientAuthMethod::PrivateKeyJwt(as_key.clone()),
            ),
        )
        .clock(w.clock.clone())
        .config(World::config())
        .build();
    source.access_token(&w.server()).await.unwrap();

    let check = |seen: &support::Seen, audience: ema_types::Issuer, key: &SigningKey, id: &str| {
        assert_eq!(
            seen.param("client_assertion_type").as_deref(),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        assert_eq!(seen.param("client_id").as_deref(), Some(id));
        assert!(seen.param("client_secret").is_none());
        assert!(seen.header("authorization").is_none());
        let assertion = seen.param("client_assertion").unwrap();
        let keys = KeySet::from_keys(vec![key.verifying_key().clone()]);
        let verifier = ClientAssertionVerifier::new(audience);
        let jws = verifier.decode(&assertion).unwrap();
        let claims = verifier
            .verify(jws, &TrustAnchor::new(id, &keys, &Algorithm::ALL), &w.clock)
            .unwrap();
        assert_eq!(claims.iat, Some(NOW));
    };
    check(&w.exchanges()[0], w.idp_issuer(), &idp_key, IDP_CLIENT);
    check(&w.redemptions()[0], w.as_issuer(), &as_key, AS_CLIENT);
    // The IdP's assertion does not verify for the AS audience (JWT-10).
    let assertion = w.exchanges()[0].param("client_assertion").unwrap();
    let keys = KeySet::from_keys(vec![idp_key.verifying_key().clone()]);
    let verifier = ClientAssertionVerifier::new(w.as_issuer());
    let jws = verifier.decode(&assertion).unwrap();
    assert!(
        verifier
            .verify(
                jws,
                &TrustAnchor::new(IDP_CLIENT, &keys, &Algorithm::ALL),
                &w.clock
            )
            .is_err()
    );
}

#[tokio::test]
async fn cl_03_meta_02_discovery_from_the_header_url() {
    let w = World::start(Config::default()).await;
    w.source().access_token(&w.server()).await.unwrap();
    assert_eq!(
        w.rs_paths(),
        ["/mcp", "/.well-known/oauth-protected-resource/mcp"]
    );
}

#[tokio::test]
async fn meta_02_discovery_falls_back_to_the_path_inserted_url() {
    let w = World::start(Config {
        prm_mode: PrmMode::PathInserted,
        ..Config::default()
    })
    .await;
    w.source().access_token(&w.server()).await.unwrap();
    assert_eq!(
        w.rs_paths(),
        ["/mcp", "/.well-known/oauth-protected-resource/mcp"]
    );
}

#[tokio::test]
async fn meta_02_discovery_falls_back_to_the_root_url() {
    let w = World::start(Config {
        prm_mode: PrmMode::Root,
        ..Config::default()
    })
    .await;
    let result = w.source().access_token(&w.server()).await;
    assert_eq!(
        w.rs_paths(),
        [
            "/mcp",
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-protected-resource"
        ]
    );
    result.unwrap();
}

#[tokio::test]
async fn cl_05_refuses_as_metadata_with_another_issuer() {
    let w = World::start(Config::default()).await;
    w.state().config.as_issuer_override = Some(format!("{}/", w.as_));
    let e = w.source().access_token(&w.server()).await.unwrap_err();
    assert_eq!(e.leg(), Leg::Discovery);
    assert!(matches!(e.kind(), ErrorKind::Discovery(_)), "{e}");
    assert_eq!(e.disposition(), Disposition::FixConfiguration);
    assert!(
        w.exchanges().is_empty(),
        "no exchange after a META-05 failure"
    );
}

#[tokio::test]
async fn cl_06_refuses_an_as_without_the_id_jag_profile() {
    let w = World::start(Config {
        as_profiles: Vec::new(),
        ..Config::default()
    })
    .await;
    let e = w.source().access_token(&w.server()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::ProfileUnsupported(_)), "{e}");
    assert!(e.interactive_fallback_permitted(), "CL-06 permits fallback");
    assert!(w.exchanges().is_empty());
}

#[tokio::test]
async fn cl_11_refuses_a_wrong_issued_token_type() {
    let w = World::start(Config {
        idp_mode: IdpMode::WrongIssuedTokenType,
        ..Config::default()
    })
    .await;
    let e = w.source().access_token(&w.server()).await.unwrap_err();
    assert_eq!(e.leg(), Leg::TokenExchange);
    assert!(
        matches!(e.kind(), ErrorKind::WrongIssuedTokenType(_)),
        "{e}"
    );
    assert!(w.redemptions().is_empty());
}

#[tokio::test]
async fn cl_11_token_type_n_a_is_case_insensitive() {
    let w = World::start(Config {
        idp_mode: IdpMode::LowercaseNa,
        ..Config::default()
    })
    .await;
    w.source().access_token(&w.server()).await.unwrap();
}

#[tokio::test]
async fn cl_23_refuses_an_id_jag_whose_signature_does_not_verify() {
    let w = World::start(Config {
        idp_mode: IdpMode::ForeignKey,
        ..Config::default()
    })
    .await;
    let e = w.source().access_token(&w.server()).await.unwrap_err();
    assert_eq!(e.leg(), Leg::IdJagVerification);
    assert!(matches!(e.kind(), ErrorKind::Jwt(_)), "{e}");
    assert!(w.redemptions().is_empty(), "never redeemed");
}

#[tokio::test]
async fn cl_22_oq_15_policy_denial_is_not_retried_and_keeps_the_oauth_error() {
    let body = r#"{"error":"invalid_target","error_description":"resource not permitted for this client"}"#;
    let w = World::start(Config {
        idp_mode: IdpMode::Error(400, body.into()),
        ..Config::default()
    })
    .await;
    let e = w.source().access_token(&w.server()).await.unwrap_err();
    assert_eq!(e.leg(), Leg::TokenExchange);
    let oauth = e.oauth_error().unwrap();
    assert_eq!(oauth.error, ErrorCode::InvalidTarget);
    assert_eq!(
        oauth.error_description.as_deref(),
        Some("resource not permitted for this client")
    );
    assert_eq!(e.disposition(), Disposition::FixConfiguration);
    assert!(!e.interactive_fallback_permitted());
    assert_eq!(w.exchanges().len(), 1);
}

#[tokio::test]
async fn cl_18_insufficient_user_authentication_asks_for_reauthentication() {
    let body = r#"{"error":"insufficient_user_authentication","error_description":"MFA required","max_age":0}"#;
    let w = World::start(Config {
        idp_mode: IdpMode::Error(400, body.into()),
        ..Config::default()
    })
    .await;
    let e = w.source().access_token(&w.server()).await.unwrap_err();
    assert_eq!(e.disposition(), Disposition::ReauthenticateUser);
    assert_eq!(e.oauth_error().unwrap().extra["max_age"], 0);
    let required = e.required_authentication().unwrap();
    assert_eq!(required.max_age, Some(0));
    assert_eq!(required.acr_values, None);
}

#[tokio::test]
async fn oq_09_invalid_grant_from_a_static_token_is_not_retried() {
    let w = World::start(Config {
        idp_mode: IdpMode::OnlySubject("something-else".into()),
        ..Config::default()
    })
    .await;
    let e = w.source().access_token(&w.server()).await.unwrap_err();
    assert_eq!(e.disposition(), Disposition::ReauthenticateUser);
    assert_eq!(w.exchanges().len(), 1, "never retried on invalid_grant");
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(SUBJECT), "CL-20: no token in errors");
    assert!(!shown.contains("idp-secret"));
}

fn idp_party(w: &World) -> Party {
    Party::new(
        w.idp_issuer(),
        format!("{}/token", w.idp).parse().unwrap(),
        ClientCredentials::new(
            ClientId::new(IDP_CLIENT).unwrap(),
            ClientAuthMethod::SecretPost(Secret::new("idp-secret")),
        ),
    )
}

#[tokio::test]
async fn cl_16_oq_09_rejected_id_token_is_renewed_with_the_refresh_token_once() {
    let w = World::start(Config::default()).await;
    let stale = w.id_token(None, 3600);
    w.state().config.idp_mode = IdpMode::RejectSubject(stale.clone());
    let source = OidcRefreshSource::new(
        idp_party(&w),
        Secret::new("idp-refresh-token"),
        RefreshMode::RenewIdToken,
    )
    .with_id_token(Secret::new(stale.clone()));
    let tokens = w.builder(source).build();
    tokens.access_token(&w.server()).await.unwrap();

    assert_eq!(w.state().refreshes, 1);
    let ex = w.exchanges();
    assert_eq!(ex.len(), 2, "one retry after renewing the subject token");
    assert_eq!(ex[0].param("subject_token"), Some(stale.clone()));
    assert_ne!(ex[1].param("subject_token"), Some(stale));
    let refresh = w
        .state()
        .seen_idp
        .iter()
        .find(|s| s.body.starts_with("grant_type=refresh_token"))
        .cloned()
        .unwrap();
    assert_eq!(
        refresh.body,
        format!(
            "grant_type=refresh_token&refresh_token=idp-refresh-token&client_id={IDP_CLIENT}&client_secret=idp-secret"
        )
    );
}

#[tokio::test]
async fn cl_16_id_token_near_expiry_is_renewed_before_the_exchange() {
    let w = World::start(Config::default()).await;
    let short = w.id_token(None, 10);
    let source = OidcRefreshSource::new(
        idp_party(&w),
        Secret::new("idp-refresh-token"),
        RefreshMode::RenewIdToken,
    )
    .with_id_token(Secret::new(short.clone()));
    w.builder(source)
        .build()
        .access_token(&w.server())
        .await
        .unwrap();
    assert_eq!(w.state().refreshes, 1);
    assert_ne!(w.exchanges()[0].param("subject_token"), Some(short));
}

#[tokio::test]
async fn cl_16_refresh_token_as_subject_token() {
    let w = World::start(Config::default()).await;
    let source = OidcRefreshSource::new(
        idp_party(&w),
        Secret::new("idp-refresh-token"),
        RefreshMode::PresentRefreshToken,
    );
    w.builder(source)
        .build()
        .access_token(&w.server())
        .await
        .unwrap();
    let ex = &w.exchanges()[0];
    assert_eq!(
        ex.param("subject_token").as_deref(),
        Some("idp-refresh-token")
    );
    assert_eq!(
        ex.param("subject_token_type").as_deref(),
        Some(TokenType::RefreshToken.as_str())
    );
    assert_eq!(w.state().refreshes, 0);
}

#[tokio::test]
async fn cl_15_renews_before_expiry_with_a_fresh_id_jag() {
    let w = World::start(Config {
        as_expires_in: 600,
        ..Config::default()
    })
    .await;
    let source = w.source(); // renew margin 60 s
    let first = source.access_token(&w.server()).await.unwrap();
    assert_eq!(first.expires_at, Some(NOW + 600));
    w.clock.advance(500);
    let cached = source.access_token(&w.server()).await.unwrap();
    assert_eq!(cached.token, first.token, "cached while outside the margin");
    assert_eq!(w.exchanges().len(), 1);
    w.clock.advance(41); // 59 s left: inside the margin
    let renewed = source.access_token(&w.server()).await.unwrap();
    assert_ne!(renewed.token, first.token);
    assert_eq!(
        w.exchanges().len(),
        2,
        "a new exchange, not a re-sent ID-JAG"
    );
    let red = w.redemptions();
    assert_ne!(red[0].param("assertion"), red[1].param("assertion"));
    assert_eq!(w.state().used_jtis.len(), 2);
}

#[tokio::test]
async fn single_flight_50_concurrent_callers_share_one_exchange() {
    let w = World::start(Config {
        idp_delay: Duration::from_millis(200),
        ..Config::default()
    })
    .await;
    let source = w.source();
    let server = w.server();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let source = source.clone();
            let server = server.clone();
            tokio::spawn(async move { source.access_token(&server).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().token.expose(), "at-1");
    }
    assert_eq!(w.state().exchanges, 1, "exactly one exchange");
    assert_eq!(w.state().redemptions, 1);
}

#[tokio::test]
async fn cl_14_cl_17_step_up_requests_the_union_of_scopes() {
    let w = World::start(Config {
        required_scope: Some("tickets:read tickets:write".into()),
        ..Config::default()
    })
    .await;
    let source = w.source();
    let req = http::Request::post(w.server().as_str())
        .body(b"{}".to_vec())
        .unwrap();
    let res = source.execute(&w.server(), req).await.unwrap();
    assert_eq!(res.status(), 200);
    let ex = w.exchanges();
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0].param("scope").as_deref(), Some("tickets:read"));
    assert_eq!(
        ex[1].param("scope").as_deref(),
        Some("tickets:read tickets:write")
    );
    let calls: Vec<_> = w
        .state()
        .seen_rs
        .iter()
        .filter(|s| s.path == "/mcp")
        .map(|s| s.header("authorization"))
        .collect();
    assert_eq!(
        calls,
        [
            None,
            Some("Bearer at-1".to_owned()),
            Some("Bearer at-2".to_owned())
        ],
        "CL-14: Bearer header on each call"
    );
    // The stepped-up scope sticks for later calls.
    assert_eq!(
        w.redemptions()[1].param("scope").as_deref(),
        Some("tickets:read tickets:write")
    );
    let again = source.access_token(&w.server()).await.unwrap();
    assert_eq!(again.token.expose(), "at-2");
}

#[tokio::test]
async fn cl_17_step_up_is_bounded() {
    let w = World::start(Config {
        required_scope: Some("tickets:read admin".into()),
        as_withheld: vec!["admin".into()],
        ..Config::default()
    })
    .await;
    let source = w.source();
    let req = http::Request::get(w.server().as_str())
        .body(Vec::new())
        .unwrap();
    let e = source.execute(&w.server(), req).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::StepUpExhausted { .. }), "{e}");
    assert_eq!(e.leg(), Leg::ResourceCall);
    assert_eq!(
        w.exchanges().len(),
        2,
        "one step-up; the AS declined `admin`, so no more"
    );
    assert_eq!(e.disposition(), Disposition::FixConfiguration);
}

#[tokio::test]
async fn cl_14_a_401_drops_the_token_and_reruns_the_flow_once() {
    let w = World::start(Config {
        rs_reject_first: 1,
        ..Config::default()
    })
    .await;
    let source = w.source();
    let req = http::Request::get(w.server().as_str())
        .body(Vec::new())
        .unwrap();
    let res = source.execute(&w.server(), req).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(w.exchanges().len(), 2);

    // A token the server keeps refusing ends with TokenRejected, not a loop.
    w.state().rs_rejects_left = 10;
    let req = http::Request::get(w.server().as_str())
        .body(Vec::new())
        .unwrap();
    let e = source.execute(&w.server(), req).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TokenRejected);
}

#[tokio::test]
async fn discovery_retries_5xx_with_backoff() {
    let w = World::start(Config {
        prm_failures: 2,
        ..Config::default()
    })
    .await;
    w.source().access_token(&w.server()).await.unwrap();
    let prm = w
        .rs_paths()
        .iter()
        .filter(|p| p.starts_with("/.well-known"))
        .count();
    assert_eq!(prm, 3);

    let w = World::start(Config {
        prm_failures: 5,
        ..Config::default()
    })
    .await;
    let e = w.source().access_token(&w.server()).await.unwrap_err();
    assert_eq!(e.leg(), Leg::Discovery);
    assert_eq!(e.disposition(), Disposition::Retry);
}

#[tokio::test]
async fn cl_13_no_credentials_for_the_discovered_as() {
    let w = World::start(Config::default()).await;
    let source = TokenSource::builder(
        World::http(),
        StaticIdToken::new(Secret::new(SUBJECT)),
        w.idp_secret_basic(),
    )
    .authorization_server(
        ema_types::Issuer::new("https://as.other.test").unwrap(),
        World::as_secret_post(),
    )
    .config(World::config())
    .clock(w.clock.clone())
    .build();
    let e = source.access_token(&w.server()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NoCredentials { .. }), "{e}");
    assert!(w.exchanges().is_empty());
}

#[tokio::test]
async fn legs_are_usable_one_by_one() {
    let w = World::start(Config::default()).await;
    let http = World::http();
    let discovery = ema_metadata::discovery::Discovery::new(World::http())
        .with_config(ema_metadata::discovery::DiscoveryConfig::development());
    let target = ema_client::discover_resource(&discovery, &w.server())
        .await
        .unwrap();
    assert_eq!(target.as_issuer, w.as_issuer());
    assert_eq!(
        target.challenged_scope().unwrap().to_string(),
        "tickets:read"
    );
    let idp = ema_client::discover_idp(&discovery, &w.idp_issuer())
        .await
        .unwrap();
    assert!(idp.advertises_id_jag);
    let ctx = ema_client::Context::new(&http, &w.clock, &ema_types::SystemRandom);
    let request = ema_client::IdJagRequest::for_target(&target, target.challenged_scope());
    let party = Party::new(
        idp.issuer.clone(),
        idp.token_endpoint.clone(),
        w.idp_secret_basic().credentials,
    );
    let subject = ema_client::SubjectToken::id_token(Secret::new(SUBJECT));
    let id_jag = ema_client::exchange_token(&ctx, &party, &request, &subject)
        .await
        .unwrap();
    assert!(!format!("{id_jag:?}").contains(id_jag.token.expose()));
    let keys = ema_client::fetch_jwks(&http, idp.jwks_uri.as_ref().unwrap())
        .await
        .unwrap();
    let expect = ema_client::IdJagExpectations::new(idp.issuer.clone(), &request, AS_CLIENT);
    let claims = ema_client::verify_id_jag(&id_jag.token, &expect, &keys, &w.clock).unwrap();
    assert_eq!(
        claims.aud.iter().next().map(String::as_str),
        Some(w.as_.as_str())
    );
    // The client checks client_id against its AS registration.
    let wrong = ema_client::IdJagExpectations::new(idp.issuer.clone(), &request, "someone-else");
    assert!(ema_client::verify_id_jag(&id_jag.token, &wrong, &keys, &w.clock).is_err());
    let as_party = Party::new(
        target.as_issuer.clone(),
        target.as_token_endpoint.clone(),
        World::as_secret_post(),
    );
    let token = ema_client::redeem_id_jag(
        &ctx,
        &as_party,
        &id_jag.token,
        &target.resource,
        request.scope.as_ref(),
    )
    .await
    .unwrap();
    assert_eq!(token.expires_at, Some(w.clock.now_unix() + 3600));
    // CL-15: the same ID-JAG is refused a second time by the AS (single use).
    let e = ema_client::redeem_id_jag(&ctx, &as_party, &id_jag.token, &target.resource, None)
        .await
        .unwrap_err();
    assert_eq!(e.leg(), Leg::Redemption);
    assert_eq!(e.oauth_error().unwrap().error, ErrorCode::InvalidGrant);
    assert_eq!(e.disposition(), Disposition::FixConfiguration);
}

#[tokio::test]
async fn cl_19_saml_assertion_to_refresh_token_to_id_jag() {
    let w = World::start(Config::default()).await;
    let http = World::http();
    let ctx = ema_client::Context::new(&http, &w.clock, &ema_types::SystemRandom);
    let rt = ema_client::exchange_saml_for_refresh_token(
        &ctx,
        &idp_party(&w),
        &Secret::new("PHNhbWw6QXNzZXJ0aW9uPg"),
    )
    .await
    .unwrap();
    assert_eq!(rt.expose(), "idp-rt-from-saml");
    let seen = w.exchanges();
    assert_eq!(
        seen[0].body,
        format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
             &requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Arefresh_token\
             &scope=openid+offline_access&subject_token=PHNhbWw6QXNzZXJ0aW9uPg\
             &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Asaml2\
             &client_id={IDP_CLIENT}&client_secret=idp-secret"
        )
    );
    let source = OidcRefreshSource::new(idp_party(&w), rt, RefreshMode::PresentRefreshToken);
    w.builder(source)
        .build()
        .access_token(&w.server())
        .await
        .unwrap();
    assert_eq!(
        w.exchanges()[1].param("subject_token").as_deref(),
        Some("idp-rt-from-saml")
    );
}

#[test]
fn cl_21_extension_capability() {
    assert_eq!(
        ema_client::mcp_extension_capability().to_string(),
        r#"{"io.modelcontextprotocol/enterprise-managed-authorization":{}}"#
    );
}

#[tokio::test]
async fn cl_17_concurrent_403s_share_one_step_up() {
    let w = World::start(Config {
        required_scope: Some("tickets:read tickets:write".into()),
        ..Config::default()
    })
    .await;
    let source = w.source();
    let server = w.server();
    let first = source.access_token(&server).await.unwrap();
    let challenge = ema_metadata::challenge::parse_www_authenticate(
        r#"Bearer error="insufficient_scope", scope="tickets:read tickets:write""#,
    )
    .unwrap()
    .remove(0);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (source, server, first, challenge) = (
                source.clone(),
                server.clone(),
                first.clone(),
                challenge.clone(),
            );
            tokio::spawn(async move {
                source
                    .on_insufficient_scope(&server, &first, &challenge)
                    .await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().token.expose(), "at-2");
    }
    assert_eq!(w.state().exchanges, 2);
}

#[tokio::test]
async fn cl_15_renewal_margin_is_capped_for_short_lived_tokens() {
    let w = World::start(Config {
        as_expires_in: 40, // shorter than the 60 s margin
        ..Config::default()
    })
    .await;
    let source = w.source();
    let first = source.access_token(&w.server()).await.unwrap();
    w.clock.advance(19);
    assert_eq!(
        source.access_token(&w.server()).await.unwrap().token,
        first.token
    );
    w.clock.advance(1);
    assert_ne!(
        source.access_token(&w.server()).await.unwrap().token,
        first.token
    );
    assert_eq!(w.exchanges().len(), 2);
}

#[tokio::test]
async fn token_source_futures_are_send_and_clear_forgets_tokens() {
    fn assert_send<T: Send>(t: T) -> T {
        t
    }
    let w = World::start(Config::default()).await;
    let source = w.source();
    let first = assert_send(source.access_token(&w.server())).await.unwrap();
    let req = http::Request::get(w.server().as_str())
        .body(Vec::new())
        .unwrap();
    let res = assert_send(source.execute(&w.server(), req)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(w.exchanges().len(), 1);
    source.clear();
    let second = source.access_token(&w.server()).await.unwrap();
    assert_ne!(first.token, second.token);
    assert_eq!(w.exchanges().len(), 2);
}

#[tokio::test]
async fn jwt_05_a_rotated_idp_key_is_fetched_once_more() {
    let w = World::start(Config::default()).await;
    let source = w.source();
    source.access_token(&w.server()).await.unwrap();
    w.state().config.rotated = true;
    source.clear();
    source.access_token(&w.server()).await.unwrap();
    let jwks_fetches = w
        .state()
        .seen_idp
        .iter()
        .filter(|s| s.path == "/jwks")
        .count();
    assert_eq!(jwks_fetches, 2, "unknown kid: one refetch");
}

#[tokio::test]
async fn id_jag_verification_policies() {
    // Disabled: a badly signed ID-JAG goes to the AS, which refuses it.
    let w = World::start(Config {
        idp_mode: IdpMode::ForeignKey,
        ..Config::default()
    })
    .await;
    let idp = w
        .idp_secret_basic()
        .with_verification(ema_client::IdJagVerification::Disabled);
    let source = TokenSource::builder(World::http(), StaticIdToken::new(Secret::new(SUBJECT)), idp)
        .authorization_server(w.as_issuer(), World::as_secret_post())
        .clock(w.clock.clone())
        .config(World::config())
        .build();
    let e = source.access_token(&w.server()).await.unwrap_err();
    assert_eq!(e.leg(), Leg::Redemption);
    assert_eq!(e.oauth_error().unwrap().error, ErrorCode::InvalidGrant);
    assert!(w.state().seen_idp.iter().all(|s| s.path != "/jwks"));

    // Required, with only the token endpoint configured: jwks_uri comes from the metadata.
    let w = World::start(Config::default()).await;
    let idp = w
        .idp_secret_basic()
        .with_token_endpoint(format!("{}/token", w.idp).parse().unwrap())
        .with_verification(ema_client::IdJagVerification::Required);
    let source = TokenSource::builder(World::http(), StaticIdToken::new(Secret::new(SUBJECT)), idp)
        .authorization_server(w.as_issuer(), World::as_secret_post())
        .clock(w.clock.clone())
        .config(World::config())
        .build();
    source.access_token(&w.server()).await.unwrap();
    // With both endpoints configured, no IdP metadata is fetched at all.
    let w = World::start(Config::default()).await;
    let idp = w
        .idp_secret_basic()
        .with_token_endpoint(format!("{}/token", w.idp).parse().unwrap())
        .with_jwks_uri(format!("{}/jwks", w.idp).parse().unwrap());
    let source = TokenSource::builder(World::http(), StaticIdToken::new(Secret::new(SUBJECT)), idp)
        .authorization_server(w.as_issuer(), World::as_secret_post())
        .clock(w.clock.clone())
        .config(World::config())
        .build();
    source.access_token(&w.server()).await.unwrap();
    assert!(
        w.state()
            .seen_idp
            .iter()
            .all(|s| !s.path.starts_with("/.well-known"))
    );
}
