//! The in-memory replay store: bounded, fails closed when full.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{ReplayError, ReplayKey, ReplayStore};

/// A bounded in-memory [`ReplayStore`] for a single server instance.
///
/// - **Bounded, fails closed.** At most `capacity` live reservations. When every slot holds an
///   unexpired reservation, [`ReplayStore::reserve`] returns [`ReplayError::Full`] and the
///   caller refuses the request: an attacker flooding the store can deny service but never
///   get a replay accepted.
/// - **Expiry** by the caller's time: expired reservations are dropped (oldest expiry
///   first) before each reservation.
/// - **Atomic**: one mutex guards the check and the insert.
/// - **Small entries.** A reservation is stored as a 128-bit keyed hash of
///   `(kind, issuer, jti)` plus its expiry, not as the strings: two SipHash-1-3 evaluations
///   (domain-separated) under one random 128-bit key drawn per store by std's `RandomState`.
///   The key is secret and the tags are never exposed, so an attacker cannot aim for
///   collisions; a chance collision (probability ≈ n²/2¹²⁹) can only make a *fresh* token look
///   replayed, which fails closed (one refused request), never the reverse.
///
/// Several server instances behind a load balancer need a shared store:
/// `RedisReplayStore` (feature `redis`).
#[derive(Debug, Clone)]
pub struct MemoryReplayStore {
    inner: Arc<Mutex<Inner>>,
    hasher: RandomState,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    /// tag → expiry (Unix seconds).
    live: HashMap<u128, u64>,
    /// (expiry, tag), earliest first.
    expiries: BinaryHeap<Reverse<(u64, u128)>>,
}

impl Inner {
    fn purge(&mut self, now: u64) {
        while let Some(Reverse((exp, tag))) = self.expiries.peek().copied() {
            if exp > now {
                break;
            }
            self.expiries.pop();
            if self.live.get(&tag) == Some(&exp) {
                self.live.remove(&tag);
            }
        }
    }
}

impl MemoryReplayStore {
    /// A store holding at most `capacity` live reservations (at least 1).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner::default())),
            hasher: RandomState::new(),
            capacity: capacity.max(1),
        }
    }

    /// The capacity.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Live (unexpired at the last reservation) entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    /// Whether the store holds no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // No code path panics while holding the lock; recover the data if one ever did.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn tag(&self, key: &ReplayKey<'_>) -> u128 {
        let half = |domain: u8| {
            let mut h = self.hasher.build_hasher();
            h.write_u8(domain);
            // Length-prefixed fields: no two distinct keys give the same byte stream.
            for part in [key.kind, key.issuer, key.jti] {
                h.write_usize(part.len());
                h.write(part.as_bytes());
            }
            h.finish()
        };
        (u128::from(half(0)) << 64) | u128::from(half(1))
    }
}

#[async_trait]
impl ReplayStore for MemoryReplayStore {
    async fn reserve(
        &self,
        key: ReplayKey<'_>,
        now: u64,
        expires_at: u64,
    ) -> Result<bool, ReplayError> {
        let tag = self.tag(&key);
        let mut inner = self.lock();
        inner.purge(now);
        if inner.live.get(&tag).is_some_and(|&exp| exp > now) {
            return Ok(false);
        }
        if expires_at <= now {
            // Already expired: nothing to protect (the verifier refuses such tokens), and
            // storing it would only take a slot.
            return Ok(true);
        }
        if inner.live.len() >= self.capacity {
            return Err(ReplayError::Full);
        }
        inner.live.insert(tag, expires_at);
        inner.expiries.push(Reverse((expires_at, tag)));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use ema_types::{Clock, FixedClock};

    use super::*;

    fn key(jti: &str) -> ReplayKey<'_> {
        ReplayKey {
            kind: "id-jag",
            issuer: "https://idp.example",
            jti,
        }
    }

    #[tokio::test]
    async fn as_11_second_reservation_is_a_replay_until_expiry() {
        let clock = FixedClock::new(1000);
        let store = MemoryReplayStore::new(8);
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1100).await,
            Ok(true)
        );
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1100).await,
            Ok(false)
        );
        // Another kind or issuer is another namespace.
        let other_kind = ReplayKey {
            kind: "client-assertion",
            ..key("a")
        };
        assert_eq!(
            store.reserve(other_kind, clock.now_unix(), 1100).await,
            Ok(true)
        );
        clock.set(1100);
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1200).await,
            Ok(true)
        );
    }

    #[tokio::test]
    async fn full_store_fails_closed_then_recovers_after_expiry() {
        let clock = FixedClock::new(1000);
        let store = MemoryReplayStore::new(2);
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1010).await,
            Ok(true)
        );
        assert_eq!(
            store.reserve(key("b"), clock.now_unix(), 1020).await,
            Ok(true)
        );
        assert_eq!(
            store.reserve(key("c"), clock.now_unix(), 1020).await,
            Err(ReplayError::Full)
        );
        // A replay is still detected when full.
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1010).await,
            Ok(false)
        );
        clock.set(1010);
        assert_eq!(
            store.reserve(key("c"), clock.now_unix(), 1020).await,
            Ok(true)
        );
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let store = MemoryReplayStore::new(4);
        let a = ReplayKey {
            kind: "k",
            issuer: "ab",
            jti: "c",
        };
        let b = ReplayKey {
            kind: "k",
            issuer: "a",
            jti: "bc",
        };
        assert_ne!(store.tag(&a), store.tag(&b));
        assert_eq!(store.tag(&a), store.tag(&a));
    }
}
