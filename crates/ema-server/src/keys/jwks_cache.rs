//! The JWKS cache: a [`KeySource`] that fetches each configured issuer's `jwks_uri`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ema_jwt::KeySet;
use ema_metadata::SchemePolicy;
use ema_types::Issuer;
use ema_types::transport::HttpClient;
use tokio::time::Instant;

use super::{KeySource, KeySourceError};
use crate::ConfigError;

/// Timings of a [`JwksCache`]. Defaults: TTL 300 s when the response has no `max-age`,
/// `max-age` honoured between 60 s and 3600 s (META-09), at most one unknown-`kid` refetch per
/// 30 s per issuer, 30 s cooldown after a failed fetch, stale keys served for up to 1 h after
/// their freshness ended when refreshing fails, 5 s fetch timeout.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JwksCacheConfig {
    /// Freshness when the response gives no `max-age`.
    pub default_ttl: Duration,
    /// Lower bound on freshness (also applied to `no-store`/`no-cache`), protecting the IdP.
    pub min_ttl: Duration,
    /// Upper bound on freshness (META-09: 1 h).
    pub max_ttl: Duration,
    /// Least time between two refetches caused by an unknown `kid` (AS-18 rate limit).
    pub unknown_kid_interval: Duration,
    /// No new fetch for this long after a failed one.
    pub failure_cooldown: Duration,
    /// How long after its freshness ended a cached set is still served when refreshing fails.
    pub stale_if_error: Duration,
    /// Bound on one fetch.
    pub timeout: Duration,
    /// Which `jwks_uri` schemes are accepted (`https` only by default; loopback `http` for
    /// development).
    pub scheme_policy: SchemePolicy,
}

impl Default for JwksCacheConfig {
    fn default() -> Self {
        Self {
            default_ttl: Duration::from_secs(300),
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(3600),
            unknown_kid_interval: Duration::from_secs(30),
            failure_cooldown: Duration::from_secs(30),
            stale_if_error: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
            scheme_policy: SchemePolicy::HttpsOnly,
        }
    }
}

impl JwksCacheConfig {
    /// Set [`JwksCacheConfig::default_ttl`].
    #[must_use]
    pub fn default_ttl(mut self, d: Duration) -> Self {
        self.default_ttl = d;
        self
    }
    /// Set [`JwksCacheConfig::min_ttl`].
    #[must_use]
    pub fn min_ttl(mut self, d: Duration) -> Self {
        self.min_ttl = d;
        self
    }
    /// Set [`JwksCacheConfig::max_ttl`] (capped at 1 h).
    #[must_use]
    pub fn max_ttl(mut self, d: Duration) -> Self {
        self.max_ttl = d.min(Duration::from_secs(3600));
        self
    }
    /// Set [`JwksCacheConfig::unknown_kid_interval`].
    #[must_use]
    pub fn unknown_kid_interval(mut self, d: Duration) -> Self {
        self.unknown_kid_interval = d;
        self
    }
    /// Set [`JwksCacheConfig::failure_cooldown`].
    #[must_use]
    pub fn failure_cooldown(mut self, d: Duration) -> Self {
        self.failure_cooldown = d;
        self
    }
    /// Set [`JwksCacheConfig::stale_if_error`].
    #[must_use]
    pub fn stale_if_error(mut self, d: Duration) -> Self {
        self.stale_if_error = d;
        self
    }
    /// Set [`JwksCacheConfig::timeout`].
    #[must_use]
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// Set [`JwksCacheConfig::scheme_policy`].
    #[must_use]
    pub fn scheme_policy(mut self, p: SchemePolicy) -> Self {
        self.scheme_policy = p;
        self
    }
}

#[derive(Clone)]
struct Cached {
    keys: Arc<KeySet>,
    fresh_until: Instant,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// Bumped by every completed fetch (success or failure).
    generation: u64,
    cooldown_until: Option<Instant>,
    last_unknown_kid_fetch: Option<Instant>,
}

struct IssuerEntry {
    jwks_uri: String,
    state: Mutex<State>,
    /// Held while a fetch is in flight: single flight per issuer.
    fetch: tokio::sync::Mutex<()>,
}

impl IssuerEntry {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A [`KeySource`] fetching the JWKS of each configured issuer from its `jwks_uri` (AS-18).
///
/// - Fetches **only for configured issuers** ([`KeySourceError::UnknownIssuer`] otherwise),
///   over `https` only (loopback `http` with [`SchemePolicy::AllowLoopbackHttp`]).
/// - **TTL cache**: `Cache-Control: max-age` honoured within `[min_ttl, max_ttl ≤ 1 h]`.
/// - **One refetch on an unknown `kid`**, at most once per `unknown_kid_interval` per issuer.
/// - **Single flight**: one fetch in flight per issuer; concurrent callers wait for it and use
///   its result instead of fetching again.
/// - **Cooldown** after a failure, and **stale-if-error**: the previous set keeps being served
///   for `stale_if_error` when a refresh fails.
/// - **Bounded**: each fetch has a timeout; the body is parsed by [`KeySet::from_json`] (256 KiB
///   cap); the transport should also cap the body (ema-metadata's `ReqwestClient` does).
pub struct JwksCache {
    http: Arc<dyn HttpClient>,
    issuers: HashMap<String, IssuerEntry>,
    config: JwksCacheConfig,
}

impl fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut issuers: Vec<(&String, &String)> =
            self.issuers.iter().map(|(k, v)| (k, &v.jwks_uri)).collect();
        issuers.sort();
        f.debug_struct("JwksCache")
            .field("issuers", &issuers)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    /// A cache fetching through `http`, with no issuer yet.
    #[must_use]
    pub fn new(http: Arc<dyn HttpClient>, config: JwksCacheConfig) -> Self {
        Self {
            http,
            issuers: HashMap::new(),
            config,
        }
    }

    /// Trust `issuer`, whose keys are at `jwks_uri`.
    ///
    /// # Errors
    ///
    /// When `jwks_uri` is not permitted by the scheme policy (`https` required).
    pub fn with_issuer(mut self, issuer: &Issuer, jwks_uri: &str) -> Result<Self, ConfigError> {
        if !self.config.scheme_policy.permits_str(jwks_uri) {
            return Err(ConfigError::new(format!(
                "jwks_uri of {} must be an https URL",
                issuer.as_str()
            )));
        }
        if jwks_uri.parse::<http::Uri>().is_err() {
            return Err(ConfigError::new("jwks_uri is not a valid URI"));
        }
        self.issuers.insert(
            issuer.as_str().to_owned(),
            IssuerEntry {
                jwks_uri: jwks_uri.to_owned(),
                state: Mutex::new(State::default()),
                fetch: tokio::sync::Mutex::new(()),
            },
        );
        Ok(self)
    }

    fn ttl_of(&self, headers: &http::HeaderMap) -> Duration {
        let mut ttl = None;
        let mut no_store = false;
        for value in headers.get_all(http::header::CACHE_CONTROL) {
            let Ok(value) = value.to_str() else {
                no_store = true;
                continue;
            };
            for directive in value.split(',') {
                let directive = directive.trim();
                if directive.eq_ignore_ascii_case("no-store")
                    || directive.eq_ignore_ascii_case("no-cache")
                {
                    no_store = true;
                } else if let Some((name, arg)) = directive.split_once('=')
                    && name.trim().eq_ignore_ascii_case("max-age")
                {
                    match arg.trim().trim_matches('"').parse::<u64>() {
                        Ok(secs) => ttl = Some(Duration::from_secs(secs)),
                        Err(_) => no_store = true,
                    }
                }
            }
        }
        let ttl = if no_store {
            Duration::ZERO
        } else {
            ttl.unwrap_or(self.config.default_ttl)
        };
        ttl.max(self.config.min_ttl).min(self.config.max_ttl)
    }

    async fn fetch(&self, entry: &IssuerEntry) -> Result<Cached, String> {
        let request = http::Request::get(entry.jwks_uri.as_str())
            .header(
                http::header::ACCEPT,
                "application/json, application/jwk-set+json",
            )
            .body(Vec::new())
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(self.config.timeout, self.http.send(request))
            .await
            .map_err(|_| "JWKS fetch timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        if response.status() != http::StatusCode::OK {
            return Err(format!("JWKS fetch returned {}", response.status()));
        }
        let keys = KeySet::from_json(response.body()).map_err(|e| e.to_string())?;
        Ok(Cached {
            keys: Arc::new(keys),
            fresh_until: Instant::now() + self.ttl_of(response.headers()),
        })
    }

    fn stale_ok(&self, cached: &Cached, now: Instant) -> bool {
        now < cached.fresh_until + self.config.stale_if_error
    }
}

fn has_kid(keys: &KeySet, kid: Option<&str>) -> bool {
    kid.is_none_or(|kid| keys.get(kid).is_some())
}

#[async_trait]
impl KeySource for JwksCache {
    async fn keys(
        &self,
        issuer: &Issuer,
        kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        let entry = self
            .issuers
            .get(issuer.as_str())
            .ok_or(KeySourceError::UnknownIssuer)?;
        let observed = {
            let state = entry.state();
            let now = Instant::now();
            if let Some(c) = &state.cached
                && now < c.fresh_until
            {
                if has_kid(&c.keys, kid) {
                    return Ok(Arc::clone(&c.keys));
                }
                // Unknown kid on a fresh set: refetch, rate-limited (AS-18).
                let recently = state
                    .last_unknown_kid_fetch
                    .is_some_and(|t| now < t + self.config.unknown_kid_interval);
                if recently {
                    return Ok(Arc::clone(&c.keys));
                }
            }
            state.generation
        };
        let _flight = entry.fetch.lock().await;
        let now = Instant::now();
        {
            let mut state = entry.state();
            if state.generation != observed {
                // Another caller fetched while we waited: use its outcome.
                return match &state.cached {
                    Some(c) if self.stale_ok(c, now) => Ok(Arc::clone(&c.keys)),
                    _ => Err(KeySourceError::Unavailable(
                        "JWKS fetch failed (shared)".to_owned(),
                    )),
                };
            }
            if state.cooldown_until.is_some_and(|t| now < t) {
                return match &state.cached {
                    Some(c) if self.stale_ok(c, now) => Ok(Arc::clone(&c.keys)),
                    _ => Err(KeySourceError::Unavailable(
                        "JWKS fetch in cooldown after a failure".to_owned(),
                    )),
                };
            }
            if state.cached.is_some() {
                state.last_unknown_kid_fetch = Some(now);
            }
        }
        let outcome = self.fetch(entry).await;
        let mut state = entry.state();
        state.generation = state.generation.wrapping_add(1);
        match outcome {
            Ok(cached) => {
                tracing::debug!(
                    issuer = issuer.as_str(),
                    keys = cached.keys.len(),
                    "JWKS fetched"
                );
                state.cooldown_until = None;
                let keys = Arc::clone(&cached.keys);
                state.cached = Some(cached);
                Ok(keys)
            }
            Err(reason) => {
                tracing::warn!(issuer = issuer.as_str(), %reason, "JWKS fetch failed");
                let now = Instant::now();
                state.cooldown_until = Some(now + self.config.failure_cooldown);
                match &state.cached {
                    Some(c) if self.stale_ok(c, now) => Ok(Arc::clone(&c.keys)),
                    _ => Err(KeySourceError::Unavailable(reason)),
                }
            }
        }
    }
}
