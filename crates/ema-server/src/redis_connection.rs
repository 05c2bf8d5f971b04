//! What the Redis stores share (feature `redis`): one connection manager, every command
//! bounded by a timeout, and `SET NX PX` with the time to live taken from the caller's clock.
//! Failures are plain reasons; each store wraps them in its own `Unavailable` error.

use std::time::Duration;

use redis::aio::ConnectionManager;

/// A Redis connection whose commands time out (default 1 s).
#[derive(Clone)]
pub(crate) struct RedisConnection {
    connection: ConnectionManager,
    timeout: Duration,
}

impl RedisConnection {
    /// Connect to `url` (`redis://host:port/db`, `rediss://…`).
    pub(crate) async fn connect(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let connection = ConnectionManager::new(client)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self {
            connection,
            timeout: Duration::from_secs(1),
        })
    }

    /// The per-command timeout.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Set the per-command timeout.
    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Run `cmd` within the timeout.
    pub(crate) async fn run<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, String> {
        let mut connection = self.connection.clone();
        tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut connection))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| e.to_string())
    }

    /// `SET key value NX PX <ms until expires_at>`: whether it was set (`false`: the key
    /// exists). An expiry already passed at `now` stores nothing and counts as set.
    pub(crate) async fn set_new_until(
        &self,
        key: String,
        value: impl redis::ToRedisArgs,
        now: u64,
        expires_at: u64,
    ) -> Result<bool, String> {
        if expires_at <= now {
            return Ok(true);
        }
        let ttl_ms = (expires_at - now).saturating_mul(1000);
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value).arg("NX").arg("PX").arg(ttl_ms);
        let reply: Option<String> = self.run(cmd).await?;
        match reply.as_deref() {
            Some("OK") => Ok(true),
            None => Ok(false),
            Some(other) => Err(format!("unexpected reply {other:?}")),
        }
    }
}
