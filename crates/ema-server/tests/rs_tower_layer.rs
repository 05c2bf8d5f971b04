//! The tower layer over a hand-rolled service with `Vec<u8>` bodies (no axum): the principal
//! reaches the inner service on success, and the inner service is never called on failure.
#![cfg(all(feature = "tower", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::convert::Infallible;
use std::future::{Ready, poll_fn, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use async_trait::async_trait;
use ema_jwt::mint::{AccessTokenGrant, AccessTokenMinter};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::keys::{KeySource, KeySourceError};
use ema_server::resource_server::{AccessTokenGuard, Principal, ResourceServerConfig};
use ema_server::tower::AccessTokenLayer;
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, SystemRandom};
use tower_layer::Layer;
use tower_service::Service;

const NOW: u64 = 1_793_000_000;
const AS: &str = "https://as.toolhub.test";
const MCP: &str = "https://tools.toolhub.test/mcp";

struct Keys(Arc<KeySet>);

#[async_trait]
impl KeySource for Keys {
    async fn keys(&self, _: &Issuer, _: Option<&str>) -> Result<Arc<KeySet>, KeySourceError> {
        Ok(self.0.clone())
    }
}

/// Echoes the principal's subject; counts its calls.
#[derive(Clone)]
struct Echo(Arc<AtomicUsize>);

impl Service<http::Request<Vec<u8>>> for Echo {
    type Response = http::Response<Vec<u8>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Vec<u8>>) -> Self::Future {
        self.0.fetch_add(1, Ordering::SeqCst);
        let subject = req
            .extensions()
            .get::<Principal>()
            .map(|p| p.subject.clone())
            .unwrap_or_default();
        ready(Ok(http::Response::new(subject.into_bytes())))
    }
}

#[tokio::test]
async fn rs_tower_layer_guards_a_plain_service() {
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("as-1");
    let clock = FixedClock::new(NOW);
    let guard = Arc::new(
        AccessTokenGuard::new(
            ResourceServerConfig::builder(Resource::new(MCP).unwrap(), Issuer::new(AS).unwrap())
                .build()
                .unwrap(),
            Arc::new(Keys(Arc::new(KeySet::from_keys(vec![
                key.verifying_key().clone(),
            ])))),
            Arc::new(clock.clone()),
        )
        .unwrap(),
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let mut service = AccessTokenLayer::new(guard, ScopeSet::parse("tickets:read").unwrap())
        .layer(Echo(calls.clone()));

    let token = AccessTokenMinter::new(Issuer::new(AS).unwrap(), key)
        .mint(
            AccessTokenGrant::new(
                "u_7781",
                Resource::new(MCP).unwrap(),
                ClientId::new("cli_42b19c").unwrap(),
                ScopeSet::parse("tickets:read").unwrap(),
            ),
            &clock,
            &SystemRandom,
        )
        .unwrap();

    poll_fn(|cx| service.poll_ready(cx)).await.unwrap();
    let ok = service
        .call(
            http::Request::get("/mcp")
                .header("authorization", format!("Bearer {}", token.token.expose()))
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.body(), b"u_7781");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    poll_fn(|cx| service.poll_ready(cx)).await.unwrap();
    let denied = service
        .call(http::Request::get("/mcp").body(Vec::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.headers()["www-authenticate"],
        r#"Bearer resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", scope="tickets:read""#
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "inner service not called");
}
