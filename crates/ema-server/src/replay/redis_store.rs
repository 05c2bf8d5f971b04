//! The Redis replay store (feature `redis`): one replay set shared by several server instances.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::{ReplayError, ReplayKey, ReplayStore};

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
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisReplayStore {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "ema:replay:";

    /// Connect to `url` (`redis://host:port/db`, `rediss://…`), with the default prefix.
    pub async fn connect(url: &str) -> Result<Self, ReplayError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let connection = ConnectionManager::new(client).await.map_err(unavailable)?;
        Ok(Self::new(connection))
    }

    /// A store over a connection manager. Private: no `redis` type is part of the public API,
    /// so a `redis` major release never forces one of ours.
    fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Duration::from_secs(1),
        }
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
        self.timeout = timeout;
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

fn unavailable(e: impl fmt::Display) -> ReplayError {
    ReplayError::Unavailable(e.to_string())
}

#[async_trait]
impl ReplayStore for RedisReplayStore {
    async fn reserve(
        &self,
        key: ReplayKey<'_>,
        now: u64,
        expires_at: u64,
    ) -> Result<bool, ReplayError> {
        if expires_at <= now {
            return Ok(true);
        }
        let ttl_ms = (expires_at - now).saturating_mul(1000);
        let mut connection = self.connection.clone();
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms);
        let reply = tokio::time::timeout(
            self.timeout,
            cmd.query_async::<Option<String>>(&mut connection),
        )
        .await
        .map_err(|_| ReplayError::Unavailable("timed out".to_owned()))?
        .map_err(unavailable)?;
        match reply.as_deref() {
            Some("OK") => Ok(true),
            None => Ok(false),
            Some(other) => Err(ReplayError::Unavailable(format!(
                "unexpected reply {other:?}"
            ))),
        }
    }
}
