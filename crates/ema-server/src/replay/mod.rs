//! Replay protection: single use of `(iss, jti)` (AS-11, EMA-S §7.4.2) and of client
//! assertion `jti`s (JWT-10).

use std::sync::Arc;

mod memory;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
mod redis_store;
mod reservation;

pub use memory::MemoryReplayStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisReplayStore;
pub use reservation::Reservation;

/// What is being reserved: an identifier `jti` within the namespace of `issuer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplayKey<'a> {
    /// What kind of token the `jti` belongs to (`"id-jag"`, `"client-assertion"`), so the same
    /// `jti` in two kinds never collides.
    pub kind: &'static str,
    /// The token issuer (for a client assertion, the client id).
    pub issuer: &'a str,
    /// The token identifier.
    pub jti: &'a str,
}

/// Why a reservation could not be made. Callers fail closed: the request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The store is at capacity (memory store; fails closed).
    #[error("replay store is full")]
    Full,
    /// The reservation's expiry is too far ahead for the store to represent (memory store:
    /// 2²⁴ s, about 194 days, after its time base; any lifetime under about 97 days fits).
    /// Storing it shorter would let a replay through, so the request is refused.
    #[error("replay reservation expires beyond the store's horizon")]
    ExpiryBeyondHorizon,
    /// The backing service failed (Redis).
    #[error("replay store unavailable: {0}")]
    Unavailable(String),
}

/// Atomically reserves keys until an expiry time.
///
/// Object-safe (servers hold an `Arc<dyn ReplayStore>`) without boxing a future per call: a
/// store that answers at once returns a [ready](Reservation::ready) [`Reservation`], one that
/// waits on a service a [boxed](Reservation::waiting) one.
pub trait ReplayStore: Send + Sync {
    /// Reserve `key` until `expires_at` (Unix seconds). `Ok(true)` when the key was free and is
    /// now reserved; `Ok(false)` when it was already reserved (a replay).
    ///
    /// `now` is the caller's time, from the same injected clock its verifiers use, so the
    /// store and the token checks can never disagree about what has expired.
    fn reserve<'a>(&'a self, key: ReplayKey<'a>, now: u64, expires_at: u64) -> Reservation<'a>;
}

impl<S: ReplayStore + ?Sized> ReplayStore for Arc<S> {
    fn reserve<'a>(&'a self, key: ReplayKey<'a>, now: u64, expires_at: u64) -> Reservation<'a> {
        (**self).reserve(key, now, expires_at)
    }
}
