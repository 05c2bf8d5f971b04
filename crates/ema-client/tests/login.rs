//! CL-01 / CL-02: the OIDC authorization-code + PKCE login through the loopback listener,
//! against the fake IdP over real HTTP.

#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use ema_client::{ErrorKind, Leg, LoopbackListener, OidcLogin, OidcLoginConfig};
use ema_types::transport::HttpClient as _;
use ema_types::{ClientId, SystemRandom};
use sha2::Digest as _;
use support::{Config, IDP_CLIENT, World};

async fn browser_redirect(uri: String) -> (u16, String) {
    let res = World::http()
        .send(http::Request::get(uri).body(Vec::new()).unwrap())
        .await
        .unwrap();
    (
        res.status().as_u16(),
        String::from_utf8_lossy(res.body()).into_owned(),
    )
}

async fn login(
    w: &World,
    nonce_override: Option<&str>,
) -> Result<ema_client::LoginResult, ema_client::Error> {
    let listener = LoopbackListener::bind(0, "/callback").await.unwrap();
    let redirect_uri = listener.redirect_uri().to_owned();
    assert!(redirect_uri.starts_with("http://127.0.0.1:"));
    let login = OidcLogin::new(
        OidcLoginConfig::new(
            w.idp_issuer(),
            format!("{}/authorize", w.idp).parse().unwrap(),
            format!("{}/token", w.idp).parse().unwrap(),
            ClientId::new(IDP_CLIENT).unwrap(),
            redirect_uri.clone(),
        )
        .with_scope("offline_access".parse().unwrap()),
    );
    let (url, pending) = login.begin(&SystemRandom).unwrap();
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["scope"], "offline_access openid");
    assert_eq!(q["code_challenge_method"], "S256");
    {
        let mut s = w.state();
        s.nonce = Some(nonce_override.map_or_else(|| q["nonce"].clone(), str::to_owned));
        s.code_challenge = Some(q["code_challenge"].clone());
    }
    // The "browser": first a stray request, then the redirect with code, state and iss.
    let base = redirect_uri.trim_end_matches("/callback").to_owned();
    let state = q["state"].clone();
    let iss: String = url::form_urlencoded::byte_serialize(w.idp.as_bytes()).collect();
    let browser = tokio::spawn(async move {
        let (status, _) = browser_redirect(format!("{base}/favicon.ico")).await;
        assert_eq!(status, 404);
        browser_redirect(format!(
            "{base}/callback?code=code-123&state={state}&iss={iss}"
        ))
        .await
    });
    let query = listener.accept(Duration::from_secs(5)).await.unwrap();
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("close this window"));

    let http = World::http();
    let ctx = ema_client::Context::new(&http, &w.clock, &SystemRandom);
    let keys = ema_client::fetch_jwks(&http, &format!("{}/jwks", w.idp).parse().unwrap())
        .await
        .unwrap();
    let result = login.complete(&ctx, &pending, &query, &keys).await;

    let token_request = w
        .state()
        .seen_idp
        .iter()
        .rfind(|s| s.path == "/token")
        .cloned()
        .unwrap();
    let form: HashMap<String, String> = token_request.form().into_iter().collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "code-123");
    assert_eq!(form["redirect_uri"], redirect_uri);
    assert_eq!(
        form["client_id"], IDP_CLIENT,
        "public client: client_id in the body"
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(form["code_verifier"].as_bytes()));
    assert_eq!(Some(challenge), w.state().code_challenge, "PKCE S256");
    result
}

#[tokio::test]
async fn cl_01_cl_02_login_with_pkce_state_nonce_over_loopback() {
    let w = World::start(Config::default()).await;
    let result = login(&w, None).await.unwrap();
    assert_eq!(result.claims.sub, "00u8k2p9xq");
    assert_eq!(result.refresh_token.unwrap().expose(), "idp-refresh-token");
    assert!(!format!("{:?}", result.id_token).contains("eyJ"));
}

#[tokio::test]
async fn cl_02_refuses_an_id_token_with_another_nonce() {
    let w = World::start(Config::default()).await;
    let e = login(&w, Some("replayed-nonce")).await.unwrap_err();
    assert_eq!(e.leg(), Leg::Login);
    assert!(
        matches!(e.kind(), ErrorKind::Jwt(j) if j.kind() == &ema_jwt::ErrorKind::NonceMismatch),
        "{e}"
    );
}

#[tokio::test]
async fn loopback_listener_gives_up_after_its_deadline() {
    let listener = LoopbackListener::bind(0, "/cb").await.unwrap();
    let e = listener
        .accept(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!(e.leg(), Leg::Login);
    assert!(LoopbackListener::bind(0, "no-slash").await.is_err());
}
