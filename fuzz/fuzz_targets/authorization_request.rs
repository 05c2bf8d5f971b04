//! Authorization requests (RFC 6749 §4.1.1, RFC 7636, RFC 9207) at the code-flow endpoint
//! shared by the IdP's OIDC login and the resource AS's interactive fallback, as a query
//! string (`GET`) or a form body (`POST`).
//!
//! Properties: the endpoint never panics; a redirect (302) only ever goes to a redirect URI
//! registered for the named client (RFC 6749 §4.1.2.1: never to an unvalidated URI), carries
//! `iss`, and carries a `code` only when the request asked for `response_type=code` with an
//! S256 PKCE challenge.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ema_server::authorization_code::{
    AuthorizationCodeConfig, AuthorizationEndpoint, AuthorizationGrants, DevLoginHintAuthenticator,
    DevUser, MemoryGrantStore, redirect_uri_matches,
};
use ema_server::client_auth::{RegisteredClient, StaticClientRegistry};
use ema_server::endpoint::HttpRequest;
use ema_types::{ClientId, FixedClock, Issuer, urn};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

use ema_fuzz::IDP as ISSUER;
use ema_fuzz::CLIENT;
const REGISTERED: [&str; 2] = ["http://127.0.0.1/callback", "https://app.example/cb?tenant=a"];

#[derive(Debug, Arbitrary)]
struct Input {
    post: bool,
    /// The raw query string or form body.
    parameters: Vec<u8>,
}

/// Every future here is in-memory and completes without waiting; poll until it does.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn endpoint() -> AuthorizationEndpoint {
    let mut client = RegisteredClient::confidential(ClientId::new(CLIENT).unwrap())
        .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE);
    for uri in REGISTERED {
        client = client.with_redirect_uri(uri);
    }
    let registry = Arc::new(StaticClientRegistry::new().with_client(client));
    let clock = Arc::new(FixedClock::new(1_793_000_000));
    let users = DevLoginHintAuthenticator::new([DevUser::new("alice")], clock.clone());
    AuthorizationEndpoint::new(
        AuthorizationCodeConfig::new(Issuer::new(ISSUER).unwrap()),
        registry,
        Arc::new(users),
        AuthorizationGrants::new(Arc::new(MemoryGrantStore::new(64))),
        clock,
    )
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fuzz_target!(|input: Input| {
    let Ok(parameters) = std::str::from_utf8(&input.parameters) else {
        return;
    };
    let builder = http::Request::builder();
    let request: HttpRequest = if input.post {
        match builder
            .method("POST")
            .uri("https://login.acme-idp.test/authorize")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(parameters.as_bytes().to_vec())
        {
            Ok(r) => r,
            Err(_) => return,
        }
    } else {
        match builder
            .method("GET")
            .uri(format!("https://login.acme-idp.test/authorize?{parameters}"))
            .body(Vec::new())
        {
            Ok(r) => r,
            Err(_) => return,
        }
    };
    let response = block_on(endpoint().handle(request));
    if response.status() != http::StatusCode::FOUND {
        assert!(response.headers().get(http::header::LOCATION).is_none());
        return;
    }
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a redirect has a Location");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(parameters.as_bytes())
        .into_owned()
        .collect();
    let redirect = first(&pairs, "redirect_uri").expect("a redirect names its redirect_uri");
    assert_eq!(first(&pairs, "client_id"), Some(CLIENT));
    assert!(
        REGISTERED.iter().any(|r| redirect_uri_matches(r, redirect)),
        "redirected to an unregistered URI: {redirect}"
    );
    assert!(location.starts_with(redirect), "{location} is not under {redirect}");
    let answer: Vec<(String, String)> = url::Url::parse(location)
        .expect("an absolute redirect")
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(first(&answer, "iss"), Some(ISSUER));
    if first(&answer, "code").is_some() {
        assert_eq!(first(&pairs, "response_type"), Some("code"));
        assert_eq!(first(&pairs, "code_challenge_method"), Some("S256"));
        assert!(first(&pairs, "code_challenge").is_some());
    }
});
