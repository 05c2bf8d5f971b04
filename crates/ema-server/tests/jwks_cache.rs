//! The JWKS cache over real HTTP on loopback (AS-18, OQ-18): an axum "IdP" serving its JWKS,
//! fetched through ema-metadata's `ReqwestClient`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]

mod as_support;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::axum::Router;
use ::axum::response::IntoResponse;
use ::axum::routing::get;
use ema_jwt::{Algorithm, SigningKey};
use ema_metadata::{ReqwestClient, SchemePolicy};
use ema_server::keys::{JwksCache, JwksCacheConfig, KeySource, KeySourceError};
use ema_types::Issuer;
use serde_json::json;

#[derive(Default)]
struct IdpState {
    jwks: Mutex<String>,
    cache_control: Mutex<String>,
    fetches: AtomicUsize,
    down: AtomicBool,
    delay_ms: AtomicU64,
}

struct Idp {
    url: String,
    state: Arc<IdpState>,
}

fn jwks_of(keys: &[&SigningKey]) -> String {
    let set: ema_jwt::JwkSet = keys.iter().map(|k| k.verifying_key().to_jwk()).collect();
    serde_json::to_string(&set).unwrap()
}

async fn idp(keys: &[&SigningKey]) -> Idp {
    let state = Arc::new(IdpState::default());
    *state.jwks.lock().unwrap() = jwks_of(keys);
    *state.cache_control.lock().unwrap() = "max-age=3600".to_owned();
    let st = Arc::clone(&state);
    let router = Router::new().route(
        "/jwks",
        get(move || {
            let st = Arc::clone(&st);
            async move {
                st.fetches.fetch_add(1, Ordering::SeqCst);
                let delay = st.delay_ms.load(Ordering::SeqCst);
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                if st.down.load(Ordering::SeqCst) {
                    return http::StatusCode::SERVICE_UNAVAILABLE.into_response();
                }
                let cc = st.cache_control.lock().unwrap().clone();
                let body = st.jwks.lock().unwrap().clone();
                (
                    [
                        ("content-type", "application/json"),
                        ("cache-control", cc.as_str()),
                    ],
                    body,
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { ::axum::serve(listener, router).await.unwrap() });
    Idp {
        url: format!("http://{addr}/jwks"),
        state,
    }
}

fn issuer() -> Issuer {
    Issuer::new("https://login.acme-idp.test").unwrap()
}

fn config() -> JwksCacheConfig {
    JwksCacheConfig::default()
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .timeout(Duration::from_millis(400))
        .failure_cooldown(Duration::from_millis(150))
}

fn cache(url: &str, config: JwksCacheConfig) -> JwksCache {
    let http = ReqwestClient::builder()
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .build()
        .unwrap();
    JwksCache::new(Arc::new(http), config)
        .with_issuer(&issuer(), url)
        .unwrap()
}

fn key(kid: &str) -> SigningKey {
    SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid(kid)
}

#[tokio::test]
async fn as_18_rotation_picked_up_after_one_unknown_kid_refetch() {
    let (k1, k2) = (key("k1"), key("k2"));
    let idp = idp(&[&k1]).await;
    let cache = cache(&idp.url, config());
    assert!(
        cache
            .keys(&issuer(), Some("k1"))
            .await
            .unwrap()
            .get("k1")
            .is_some()
    );
    assert!(
        cache
            .keys(&issuer(), Some("k1"))
            .await
            .unwrap()
            .get("k1")
            .is_some()
    );
    assert_eq!(
        idp.state.fetches.load(Ordering::SeqCst),
        1,
        "max-age honoured"
    );
    // The IdP rotates: the first unknown kid triggers one refetch.
    *idp.state.jwks.lock().unwrap() = jwks_of(&[&k2, &k1]);
    assert!(
        cache
            .keys(&issuer(), Some("k2"))
            .await
            .unwrap()
            .get("k2")
            .is_some()
    );
    assert_eq!(idp.state.fetches.load(Ordering::SeqCst), 2);
    // Further unknown kids within the interval do not fetch (rate limit).
    let set = cache.keys(&issuer(), Some("k-unknown")).await.unwrap();
    assert!(set.get("k-unknown").is_none());
    assert_eq!(idp.state.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn as_18_only_configured_issuers_are_fetched_and_https_is_required() {
    let idp = idp(&[&key("k1")]).await;
    let cache = cache(&idp.url, config());
    let other = Issuer::new("https://evil.test").unwrap();
    assert_eq!(
        cache.keys(&other, Some("k1")).await.unwrap_err(),
        KeySourceError::UnknownIssuer
    );
    assert_eq!(idp.state.fetches.load(Ordering::SeqCst), 0);
    let http = ReqwestClient::new().unwrap();
    let strict = JwksCache::new(Arc::new(http), JwksCacheConfig::default());
    assert!(
        strict.with_issuer(&issuer(), &idp.url).is_err(),
        "http jwks_uri refused by default"
    );
}

#[tokio::test]
async fn oq_18_idp_down_is_bounded_then_recovers() {
    let k1 = key("k1");
    let idp = idp(&[&k1]).await;
    idp.state.delay_ms.store(5_000, Ordering::SeqCst);
    let cache = cache(&idp.url, config());
    let started = Instant::now();
    assert!(matches!(
        cache.keys(&issuer(), Some("k1")).await,
        Err(KeySourceError::Unavailable(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "bounded by the timeout"
    );
    // Cooldown: no new fetch right away.
    idp.state.delay_ms.store(0, Ordering::SeqCst);
    idp.state.down.store(true, Ordering::SeqCst);
    let before = idp.state.fetches.load(Ordering::SeqCst);
    assert!(cache.keys(&issuer(), Some("k1")).await.is_err());
    assert_eq!(idp.state.fetches.load(Ordering::SeqCst), before);
    // Still down after the cooldown: an error, quickly.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(cache.keys(&issuer(), Some("k1")).await.is_err());
    // Back up: recovers after the cooldown.
    idp.state.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        cache
            .keys(&issuer(), Some("k1"))
            .await
            .unwrap()
            .get("k1")
            .is_some()
    );
}

#[tokio::test]
async fn as_18_stale_keys_served_when_refresh_fails() {
    let k1 = key("k1");
    let idp = idp(&[&k1]).await;
    *idp.state.cache_control.lock().unwrap() = "max-age=0".to_owned();
    let cache = cache(&idp.url, config().min_ttl(Duration::ZERO));
    assert!(cache.keys(&issuer(), Some("k1")).await.is_ok());
    idp.state.down.store(true, Ordering::SeqCst);
    let set = cache.keys(&issuer(), Some("k1")).await.unwrap();
    assert!(set.get("k1").is_some(), "stale-if-error");
    assert_eq!(idp.state.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn as_18_single_flight_32_concurrent_callers_one_fetch() {
    let k1 = key("k1");
    let idp = idp(&[&k1]).await;
    idp.state.delay_ms.store(150, Ordering::SeqCst);
    let cache = Arc::new(cache(&idp.url, config()));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let cache = Arc::clone(&cache);
        tasks.push(tokio::spawn(async move {
            cache.keys(&issuer(), Some("k1")).await
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap().get("k1").is_some());
    }
    assert_eq!(idp.state.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn oq_18_as_with_unreachable_idp_answers_invalid_grant_in_bounded_time() {
    // A port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/jwks");
    let keys: Arc<dyn KeySource> = Arc::new(cache(&url, config()));
    let s = as_support::start(as_support::Options {
        keys: Some(keys),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    s.redeem(&s.id_jag(json!({})), &[])
        .await
        .assert_invalid_grant();
    assert!(started.elapsed() < Duration::from_secs(2));
}
