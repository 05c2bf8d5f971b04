//! Rate limiting of token endpoints (AS-20: "rate-limit and monitor the token endpoint"),
//! opt-in.
//!
//! [`RateLimiter`] is a sans-IO token bucket per key (a peer address, a client id, …) on an
//! injected [`Clock`]: each key may send `capacity` requests in a burst, refilled continuously
//! at `capacity` per `period` seconds. A refused request gets [`Limited`], rendered as
//!
//! ```text
//! HTTP/1.1 429 Too Many Requests
//! Retry-After: <seconds>
//! Cache-Control: no-store
//! Content-Type: application/json
//!
//! {"error":"temporarily_unavailable","error_description":"rate limit exceeded"}
//! ```
//!
//! RFC 6749 §5.2 has no error code for this; `temporarily_unavailable` (RFC 6749 §4.1.2.1,
//! "unable to handle the request due to a temporary overloading") says what happened and is
//! what OAuth clients already treat as "retry later", while the status (RFC 6585 429) and
//! `Retry-After` (RFC 9110 §10.2.3) say when. Every refusal is logged through `tracing` with
//! the key.
//!
//! Which key? The limiter runs before client authentication (that is its point: a flood of
//! bad secrets or assertions must not reach the verifier), so a client id at that stage is
//! only *claimed*: limiting by it lets anyone spend a victim client's budget. Limit by peer
//! address (behind a proxy: the address the proxy vouches for), and use a claimed client id
//! only in addition. The table is bounded ([`RateLimiter::with_max_keys`]): when it is full of
//! active keys, new keys share one overflow bucket, so a flood of addresses neither grows
//! memory nor locks out every newcomer.
//!
//! Mount it with the `tower` feature's `RateLimitLayer` around the token route, or with the
//! routers of the `axum` module (`with_rate_limit`, keyed by `axum::peer_ip` for example).
//!
//! ```
//! use std::sync::Arc;
//! use ema_server::rate_limit::{RateLimit, RateLimiter};
//! use ema_types::FixedClock;
//! let clock = FixedClock::new(1_000);
//! let limiter = RateLimiter::new(RateLimit::new(2, 60)?, Arc::new(clock.clone()));
//! assert!(limiter.check("192.0.2.7").is_ok());
//! assert!(limiter.check("192.0.2.7").is_ok());
//! let limited = limiter.check("192.0.2.7").unwrap_err();
//! assert_eq!(limited.retry_after, 30); // one request per 30 s
//! assert!(limiter.check("198.51.100.1").is_ok()); // other keys are not affected
//! clock.advance(30);
//! assert!(limiter.check("192.0.2.7").is_ok());
//! # Ok::<(), ema_server::ConfigError>(())
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ema_types::{Clock, ErrorCode};
use http::StatusCode;

use crate::ConfigError;
use crate::endpoint::{HttpResponse, Rejection};

/// How many requests a key may send: `capacity` at once, refilled at `capacity` per
/// `period` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    capacity: u64,
    period: u64,
}

impl RateLimit {
    /// `capacity` requests per `period` seconds, all of them usable in a burst.
    ///
    /// # Errors
    ///
    /// When `capacity` or `period` is 0.
    pub fn new(capacity: u32, period_secs: u64) -> Result<Self, ConfigError> {
        if capacity == 0 || period_secs == 0 {
            return Err(ConfigError::new(
                "a rate limit needs a capacity and a period of at least 1",
            ));
        }
        Ok(Self {
            capacity: u64::from(capacity),
            period: period_secs,
        })
    }

    /// `n` requests per minute.
    ///
    /// # Errors
    ///
    /// When `n` is 0.
    pub fn per_minute(n: u32) -> Result<Self, ConfigError> {
        Self::new(n, 60)
    }

    /// A full bucket, in units where one request costs `period` (integer arithmetic, exact).
    fn full(self) -> u64 {
        self.capacity.saturating_mul(self.period)
    }
}

/// A refused request: retry after `retry_after` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limited {
    /// Seconds until the key has a request again (at least 1).
    pub retry_after: u64,
}

impl Limited {
    /// 429 with `Retry-After`, `temporarily_unavailable` and `Cache-Control: no-store` (see the
    /// [module documentation](self)).
    #[must_use]
    pub fn into_response(self) -> HttpResponse {
        let mut response =
            Rejection::new(ErrorCode::TemporarilyUnavailable, "rate limited (AS-20)")
                .with_status(StatusCode::TOO_MANY_REQUESTS)
                .describe("rate limit exceeded")
                .into_response();
        response.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from(self.retry_after),
        );
        response
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: u64,
    at: u64,
}

/// Token buckets per key; see the [module documentation](self). Share it behind an [`Arc`].
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    clock: Arc<dyn Clock>,
    max_keys: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
    overflow: Mutex<Option<Bucket>>,
}

impl RateLimiter {
    /// At most this many keys are tracked by default.
    pub const DEFAULT_MAX_KEYS: usize = 100_000;

    /// A limiter applying `limit` to each key, on `clock`.
    #[must_use]
    pub fn new(limit: RateLimit, clock: Arc<dyn Clock>) -> Self {
        Self {
            limit,
            clock,
            max_keys: Self::DEFAULT_MAX_KEYS,
            buckets: Mutex::new(HashMap::new()),
            overflow: Mutex::new(None),
        }
    }

    /// Track at most `n` keys (at least 1); beyond, new keys share one overflow bucket.
    #[must_use]
    pub fn with_max_keys(mut self, n: usize) -> Self {
        self.max_keys = n.max(1);
        self
    }

    /// The limit applied.
    #[must_use]
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Take one request from `key`'s bucket, or say when to retry.
    ///
    /// # Errors
    ///
    /// [`Limited`] when the bucket is empty.
    pub fn check(&self, key: &str) -> Result<(), Limited> {
        let now = self.clock.now_unix();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = buckets.get_mut(key) {
            return self.take(bucket, now, key);
        }
        if buckets.len() >= self.max_keys {
            // Idle keys are full again: forget them.
            buckets.retain(|_, b| self.refilled(*b, now).units < self.limit.full());
        }
        if buckets.len() < self.max_keys {
            let mut bucket = Bucket {
                units: self.limit.full(),
                at: now,
            };
            let taken = self.take(&mut bucket, now, key);
            buckets.insert(key.to_owned(), bucket);
            return taken;
        }
        drop(buckets);
        let mut overflow = self.overflow.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = overflow.get_or_insert(Bucket {
            units: self.limit.full(),
            at: now,
        });
        self.take(bucket, now, "(overflow)")
    }

    fn refilled(&self, bucket: Bucket, now: u64) -> Bucket {
        if now <= bucket.at {
            return bucket;
        }
        let gained = (now - bucket.at).saturating_mul(self.limit.capacity);
        Bucket {
            units: bucket.units.saturating_add(gained).min(self.limit.full()),
            at: now,
        }
    }

    fn take(&self, bucket: &mut Bucket, now: u64, key: &str) -> Result<(), Limited> {
        *bucket = self.refilled(*bucket, now);
        let cost = self.limit.period;
        if bucket.units >= cost {
            bucket.units -= cost;
            return Ok(());
        }
        let retry_after = (cost - bucket.units).div_ceil(self.limit.capacity).max(1);
        tracing::warn!(key, retry_after, "token endpoint rate limit hit (AS-20)");
        Err(Limited { retry_after })
    }
}

#[cfg(feature = "tower")]
pub use layer::{KeyFn, RateLimitKey, RateLimitLayer, RateLimitService};

#[cfg(feature = "tower")]
mod layer {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use http::{Request, Response};
    use tower_layer::Layer;
    use tower_service::Service;

    use super::RateLimiter;

    /// Which bucket a request is counted in (`None`: not limited).
    pub trait RateLimitKey<B>: Send + Sync + 'static {
        /// The key of `request`.
        fn key(&self, request: &Request<B>) -> Option<String>;
    }

    /// A key computed by a closure.
    #[derive(Clone, Copy)]
    pub struct KeyFn<F>(pub F);

    impl<F> std::fmt::Debug for KeyFn<F> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("KeyFn(..)")
        }
    }

    impl<B, F> RateLimitKey<B> for KeyFn<F>
    where
        F: Fn(&Request<B>) -> Option<String> + Send + Sync + 'static,
    {
        fn key(&self, request: &Request<B>) -> Option<String> {
            (self.0)(request)
        }
    }

    /// A tower layer answering 429 (see [`super::Limited`]) to requests over their key's
    /// limit, without calling the inner service. Put it around the token route only.
    #[derive(Debug)]
    pub struct RateLimitLayer<K> {
        limiter: Arc<RateLimiter>,
        key: Arc<K>,
    }

    impl<K> Clone for RateLimitLayer<K> {
        fn clone(&self) -> Self {
            Self {
                limiter: Arc::clone(&self.limiter),
                key: Arc::clone(&self.key),
            }
        }
    }

    impl<K> RateLimitLayer<K> {
        /// Limit with `limiter`, counting each request under `key`.
        #[must_use]
        pub fn new(limiter: Arc<RateLimiter>, key: K) -> Self {
            Self {
                limiter,
                key: Arc::new(key),
            }
        }
    }

    impl<S, K> Layer<S> for RateLimitLayer<K> {
        type Service = RateLimitService<S, K>;

        fn layer(&self, inner: S) -> Self::Service {
            RateLimitService {
                inner,
                limiter: Arc::clone(&self.limiter),
                key: Arc::clone(&self.key),
            }
        }
    }

    /// The service [`RateLimitLayer`] produces.
    #[derive(Debug)]
    pub struct RateLimitService<S, K> {
        inner: S,
        limiter: Arc<RateLimiter>,
        key: Arc<K>,
    }

    impl<S: Clone, K> Clone for RateLimitService<S, K> {
        fn clone(&self) -> Self {
            Self {
                inner: self.inner.clone(),
                limiter: Arc::clone(&self.limiter),
                key: Arc::clone(&self.key),
            }
        }
    }

    impl<S, K, ReqB, ResB> Service<Request<ReqB>> for RateLimitService<S, K>
    where
        S: Service<Request<ReqB>, Response = Response<ResB>>,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        K: RateLimitKey<ReqB>,
        ResB: From<Vec<u8>> + Send + 'static,
    {
        type Response = Response<ResB>;
        type Error = S::Error;
        type Future = Pin<Box<dyn Future<Output = Result<Response<ResB>, S::Error>> + Send>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            self.inner.poll_ready(cx)
        }

        fn call(&mut self, request: Request<ReqB>) -> Self::Future {
            if let Some(key) = self.key.key(&request)
                && let Err(limited) = self.limiter.check(&key)
            {
                let response = limited.into_response().map(ResB::from);
                return Box::pin(std::future::ready(Ok(response)));
            }
            Box::pin(self.inner.call(request))
        }
    }
}

#[cfg(test)]
mod tests {
    use ema_types::FixedClock;

    use super::*;

    fn limiter(capacity: u32, period: u64) -> (RateLimiter, FixedClock) {
        let clock = FixedClock::new(1_000);
        let l = RateLimiter::new(
            RateLimit::new(capacity, period).unwrap(),
            Arc::new(clock.clone()),
        );
        (l, clock)
    }

    #[test]
    fn as_20_bucket_refills_continuously() {
        let (l, clock) = limiter(10, 1);
        for _ in 0..10 {
            l.check("a").unwrap();
        }
        assert_eq!(l.check("a"), Err(Limited { retry_after: 1 }));
        clock.advance(1);
        for _ in 0..10 {
            l.check("a").unwrap();
        }
        assert!(l.check("a").is_err());
        // Never more than the capacity, however long the key was idle.
        clock.advance(3600);
        for _ in 0..10 {
            l.check("a").unwrap();
        }
        assert!(l.check("a").is_err());
    }

    #[test]
    fn as_20_retry_after_counts_down() {
        let (l, clock) = limiter(1, 60);
        l.check("a").unwrap();
        assert_eq!(l.check("a"), Err(Limited { retry_after: 60 }));
        clock.advance(45);
        assert_eq!(l.check("a"), Err(Limited { retry_after: 15 }));
        clock.advance(15);
        l.check("a").unwrap();
        // A clock going backwards neither refills nor panics.
        clock.set(900);
        assert!(l.check("a").is_err());
    }

    #[test]
    fn as_20_full_table_shares_an_overflow_bucket_and_forgets_idle_keys() {
        let (l, clock) = limiter(1, 10);
        let l = l.with_max_keys(2);
        l.check("a").unwrap();
        l.check("b").unwrap();
        l.check("c").unwrap(); // overflow bucket
        assert!(l.check("d").is_err(), "overflow bucket is shared");
        assert!(l.check("a").is_err());
        clock.advance(10);
        // a and b are full again: forgotten, so d gets its own bucket.
        l.check("d").unwrap();
        assert_eq!(l.buckets.lock().unwrap().len(), 1);
    }

    #[test]
    fn as_20_limited_response_shape() {
        let r = Limited { retry_after: 7 }.into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "7");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(
            r.body(),
            br#"{"error":"temporarily_unavailable","error_description":"rate limit exceeded"}"#
        );
        assert!(RateLimit::new(0, 1).is_err() && RateLimit::new(1, 0).is_err());
        assert_eq!(
            RateLimit::per_minute(5).unwrap(),
            RateLimit::new(5, 60).unwrap()
        );
    }
}
