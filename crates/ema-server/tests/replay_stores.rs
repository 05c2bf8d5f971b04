//! Replay stores (AS-11): the in-memory store and, with feature `redis`, the Redis store on a
//! real `redis-server` started on a free loopback port.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use ema_server::replay::{MemoryReplayStore, ReplayKey, ReplayStore};

/// An expiry an hour after `NOW`: outlives every test, within every store's horizon (the
/// memory store refuses expiries about 194 days or more past its time base).
const FAR: u64 = NOW + 3600;
/// The callers' time in the tests that do not depend on it.
const NOW: u64 = 1_793_000_000;

async fn exactly_one_of_32_wins(store: Arc<dyn ReplayStore>, jti: &'static str) {
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let key = ReplayKey {
                kind: "id-jag",
                issuer: "https://idp.example",
                jti,
            };
            store.reserve(key, NOW, FAR).await.unwrap()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if t.await.unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn as_11_memory_store_32_concurrent_reserves_exactly_one_wins() {
    exactly_one_of_32_wins(Arc::new(MemoryReplayStore::new(1024)), "concurrent-jti").await;
}

#[cfg(feature = "redis")]
#[path = "replay_support/redis_server.rs"]
mod redis_server;

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use ema_server::replay::RedisReplayStore;

    use super::redis_server;

    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn as_11_redis_store_single_use_and_32_concurrent_reserves() {
        let Some(server) = redis_server::RedisServer::start() else {
            return;
        };
        let store = RedisReplayStore::connect(&server.url())
            .await
            .unwrap()
            .with_prefix("test:");
        let key = ReplayKey {
            kind: "id-jag",
            issuer: "https://idp.example",
            jti: "j1",
        };
        assert_eq!(store.reserve(key, NOW, FAR).await, Ok(true));
        assert_eq!(store.reserve(key, NOW, FAR).await, Ok(false));
        let other = ReplayKey {
            kind: "client-assertion",
            ..key
        };
        assert_eq!(store.reserve(other, NOW, FAR).await, Ok(true));
        exactly_one_of_32_wins(Arc::new(store), "concurrent-jti").await;
    }

    #[tokio::test]
    async fn as_11_redis_store_expires_reservations() {
        let Some(server) = redis_server::RedisServer::start() else {
            return;
        };
        let store = RedisReplayStore::connect(&server.url()).await.unwrap();
        let key = ReplayKey {
            kind: "id-jag",
            issuer: "https://idp.example",
            jti: "short",
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // An expiry already passed is not kept.
        assert_eq!(store.reserve(key, now, now - 1).await, Ok(true));
        assert_eq!(store.reserve(key, now, now - 1).await, Ok(true));
        assert_eq!(store.reserve(key, now, now + 60).await, Ok(true));
        assert_eq!(store.reserve(key, now, now + 60).await, Ok(false));
    }

    #[tokio::test]
    async fn as_11_redis_store_down_fails_closed() {
        let Some(server) = redis_server::RedisServer::start() else {
            return;
        };
        let store = RedisReplayStore::connect(&server.url())
            .await
            .unwrap()
            .with_timeout(std::time::Duration::from_millis(500));
        drop(server);
        let key = ReplayKey {
            kind: "id-jag",
            issuer: "https://idp.example",
            jti: "down",
        };
        let started = std::time::Instant::now();
        assert!(matches!(
            store.reserve(key, NOW, FAR).await,
            Err(ema_server::replay::ReplayError::Unavailable(_))
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(3));
    }
}
