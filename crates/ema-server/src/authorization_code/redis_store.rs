//! The Redis grant store (feature `redis`): codes and refresh tokens shared by several server
//! instances.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use super::store::{GrantKey, GrantStore, GrantStoreError, MAX_GRANT_VALUE_BYTES};
use crate::redis_connection::RedisConnection;

/// A [`GrantStore`] on Redis: `SET <key> <value> NX PX <ms>` to insert, `GETDEL` (Redis 6.2 or
/// newer) to take — both atomic on the server, so of concurrent redemptions of one code
/// exactly one wins — and `GET`. Time to live comes from the caller's clock, as in
/// [`RedisReplayStore`](crate::replay::RedisReplayStore); keys are
/// `<prefix><kind>:<id>`. Every failure is [`GrantStoreError::Unavailable`] (fail closed);
/// each command is bounded by a timeout (default 1 s).
#[derive(Clone)]
pub struct RedisGrantStore {
    redis: RedisConnection,
    prefix: String,
}

impl fmt::Debug for RedisGrantStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisGrantStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.redis.timeout())
            .finish_non_exhaustive()
    }
}

impl RedisGrantStore {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "ema:grant:";

    /// Connect to `url` (`redis://host:port/db`, `rediss://…`), with the default prefix.
    pub async fn connect(url: &str) -> Result<Self, GrantStoreError> {
        // No `redis` type is part of the public API, so a `redis` major release never
        // forces one of ours.
        let redis = RedisConnection::connect(url)
            .await
            .map_err(GrantStoreError::Unavailable)?;
        Ok(Self {
            redis,
            prefix: Self::DEFAULT_PREFIX.to_owned(),
        })
    }

    /// Set the key prefix.
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

    fn key(&self, key: &GrantKey<'_>) -> String {
        format!("{}{}:{}", self.prefix, key.kind.as_str(), key.id)
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, GrantStoreError> {
        self.redis
            .run(cmd)
            .await
            .map_err(GrantStoreError::Unavailable)
    }

    fn bounded(value: Option<Vec<u8>>) -> Result<Option<Vec<u8>>, GrantStoreError> {
        match value {
            Some(v) if v.len() > MAX_GRANT_VALUE_BYTES => Err(GrantStoreError::TooLarge),
            v => Ok(v),
        }
    }
}

#[async_trait]
impl GrantStore for RedisGrantStore {
    async fn insert(
        &self,
        key: GrantKey<'_>,
        value: &[u8],
        now: u64,
        expires_at: u64,
    ) -> Result<bool, GrantStoreError> {
        if value.len() > MAX_GRANT_VALUE_BYTES {
            return Err(GrantStoreError::TooLarge);
        }
        self.redis
            .set_new_until(self.key(&key), value, now, expires_at)
            .await
            .map_err(GrantStoreError::Unavailable)
    }

    async fn take(&self, key: GrantKey<'_>, _now: u64) -> Result<Option<Vec<u8>>, GrantStoreError> {
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(self.key(&key));
        Self::bounded(self.run(cmd).await?)
    }

    async fn get(&self, key: GrantKey<'_>, _now: u64) -> Result<Option<Vec<u8>>, GrantStoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key(&key));
        Self::bounded(self.run(cmd).await?)
    }
}
