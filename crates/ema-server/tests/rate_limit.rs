//! AS-20: opt-in rate limiting of the token endpoint, through the axum router on loopback and
//! through the tower layer around a plain service.
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::convert::Infallible;
use std::future::{Ready, poll_fn, ready};
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use ema_jwt::{Algorithm, SigningKey};
use ema_server::authorization_server::{AuthorizationServerConfig, ResourceConfig, TrustedIssuer};
use ema_server::axum::{AuthorizationServerRouter, peer_ip};
use ema_server::client_auth::ClientAuthMethod;
use ema_server::endpoint::{GrantHandler, HttpRequest, HttpResponse, TokenEndpoint, json_response};
use ema_server::rate_limit::{KeyFn, RateLimit, RateLimitLayer, RateLimiter};
use ema_server::signing::SigningKeys;
use ema_types::{FixedClock, Form, Issuer, Resource, ScopeSet};
use tower_layer::Layer;
use tower_service::Service;

struct Ok200;

/// Answers `inner`.
struct Inner;

impl Service<http::Request<Vec<u8>>> for Inner {
    type Response = http::Response<Vec<u8>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<Vec<u8>>) -> Self::Future {
        ready(Ok(http::Response::new(b"inner".to_vec())))
    }
}

#[async_trait]
impl GrantHandler for Ok200 {
    async fn handle(&self, _: &HttpRequest, _: &Form) -> HttpResponse {
        json_response(http::StatusCode::OK, &serde_json::json!({"ok": true}))
    }
}

async fn serve_limited(clock: &FixedClock) -> String {
    let config =
        AuthorizationServerConfig::builder(Issuer::new("https://as.toolhub.test").unwrap())
            .trusted_issuer(TrustedIssuer::new(
                Issuer::new("https://login.acme-idp.test").unwrap(),
            ))
            .resource(ResourceConfig::new(
                Resource::new("https://tools.toolhub.test/mcp").unwrap(),
                ScopeSet::parse("tickets:read").unwrap(),
            ))
            .build()
            .unwrap();
    let metadata = config
        .metadata(
            "https://as.toolhub.test/oauth/token",
            "https://as.toolhub.test/oauth/jwks",
            &[ClientAuthMethod::ClientSecretBasic],
            false,
        )
        .unwrap();
    let limiter = Arc::new(RateLimiter::new(
        RateLimit::new(2, 60).unwrap(),
        Arc::new(clock.clone()),
    ));
    let router = AuthorizationServerRouter::new(
        TokenEndpoint::new().with_grant("test", Arc::new(Ok200)),
        SigningKeys::new(SigningKey::generate(Algorithm::ES256).unwrap()),
        metadata,
    )
    .with_rate_limit(limiter, peer_ip)
    .build()
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn as_20_token_endpoint_answers_429_with_retry_after_per_peer() {
    let clock = FixedClock::new(1_000);
    let base = serve_limited(&clock).await;
    let http = reqwest::Client::new();
    let token = || {
        http.post(format!("{base}/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=test")
            .send()
    };
    for _ in 0..2 {
        assert_eq!(token().await.unwrap().status(), 200);
    }
    let r = token().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"error":"temporarily_unavailable","error_description":"rate limit exceeded"}"#
    );
    // JWKS and metadata are not limited.
    for path in ["/oauth/jwks", "/.well-known/oauth-authorization-server"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // Any request to the token endpoint counts, whatever its method.
    let r = http
        .get(format!("{base}/oauth/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    clock.advance(30);
    assert_eq!(token().await.unwrap().status(), 200);
    assert_eq!(token().await.unwrap().status(), 429);
}

#[tokio::test]
async fn as_20_tower_layer_limits_by_key_and_passes_unkeyed_requests() {
    let clock = FixedClock::new(1_000);
    let limiter = Arc::new(RateLimiter::new(
        RateLimit::per_minute(1).unwrap(),
        Arc::new(clock.clone()),
    ));
    let layer = RateLimitLayer::new(
        limiter,
        KeyFn(|r: &http::Request<Vec<u8>>| {
            r.headers()
                .get("x-client")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        }),
    );
    let mut service = layer.layer(Inner);
    let request = |client: Option<&str>| {
        let mut b = http::Request::post("/token");
        if let Some(c) = client {
            b = b.header("x-client", c);
        }
        b.body(Vec::new()).unwrap()
    };
    let mut call = async |r| {
        poll_fn(|cx| service.poll_ready(cx)).await.unwrap();
        service.call(r).await.unwrap()
    };
    assert_eq!(call(request(Some("a"))).await.status(), 200);
    let limited = call(request(Some("a"))).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "60");
    assert_eq!(call(request(Some("b"))).await.status(), 200);
    for _ in 0..3 {
        assert_eq!(call(request(None)).await.body(), b"inner");
    }
}
