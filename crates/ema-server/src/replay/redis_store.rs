//! The Redis replay store (feature `redis`): one replay set shared by several server instances.

use std::fmt;
use std::time::Duration;

use super::{ReplayError, ReplayKey, ReplayStore, Reservation};
use crate::redis_connection::RedisConnection;

/// A [`ReplayStore`] on Redis: `SET <key> 1 NX PX <ms until expiry>`, atomic on the server,
/// so any number of AS instances share one replay set (AS-11).
///
/// The time to live is computed from the caller's time (its injected clock, the one the
/// verifiers use), not from the Redis server's clock, so clock drift between the AS and Redis cannot drop a
/// reservation early. A reservation whose expiry has already passed is not stored (the
/// verifier refuses such tokens), as in [`MemoryReplayStore`](super::MemoryReplayStore).
///
/// Keys are `<prefix><kind>:<issuer length>:<issuer>:<jti>` (length-prefixed, so no two
/// reservations share a key). Every failure (connection, timeout, unexpected reply) is
/// [`ReplayError::Unavailable`], and the caller refuses the request (fail closed). Each
/// command is bounded by a timeout (default 1 s).
#[derive(Clone)]
pub struct RedisReplayStore {
    redis: RedisConnection,
    prefix: String,
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.redis.timeout())
            .finish_non_exhaustive()
    }
}

impl RedisReplayStore {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "ema:replay:";

    /// Connect to `url` (`redis://host:port/db`, `rediss://…`), with the default prefix.
    pub async fn connect(url: &str) -> Result<Self, ReplayError> {
        // No `redis` type is part of the public API, so a `redis` major release never
        // forces one of ours.
        let redis = RedisConnection::connect(url)
            .await
            .map_err(ReplayError::Unavailable)?;
        Ok(Self {
            redis,
            prefix: Self::DEFAULT_PREFIX.to_owned(),
        })
    }

    /// Set the key prefix (to share one Redis database between deployments).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Set the per-command timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.redis.set_timeout(timeout);
        self
    }

    fn key(&self, key: &ReplayKey<'_>) -> String {
        format!(
            "{}{}:{}:{}:{}",
            self.prefix,
            key.kind,
            key.issuer.len(),
            key.issuer,
            key.jti
        )
    }
}

impl ReplayStore for RedisReplayStore {
    fn reserve<'a>(&'a self, key: ReplayKey<'a>, now: u64, expires_at: u64) -> Reservation<'a> {
        let name = self.key(&key);
        Reservation::waiting(async move {
            self.redis
                .set_new_until(name, 1, now, expires_at)
                .await
                .map_err(ReplayError::Unavailable)
        })
    }
}
