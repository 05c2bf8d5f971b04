//! [`TokenSource`]: the whole flow with caching, single-flight, renewal and step-up.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ema_metadata::challenge::{Challenge, parse_www_authenticate_headers};
use ema_metadata::discovery::{Discovery, DiscoveryConfig};
use ema_types::transport::{HttpClient, HttpRequest, HttpResponse};
use ema_types::{
    Clock, ErrorCode, Issuer, Resource, ScopeSet, SecureRandom, SystemClock, SystemRandom,
};
use url::Url;

use crate::auth::ClientCredentials;
use crate::error::{Disposition, Error, ErrorKind, Leg};
use crate::legs::{
    AccessToken, Context, IdJagRequest, IdpEndpoints, Party, ResourceTarget, discover_idp,
    exchange_token, redeem_id_jag,
};
use crate::subject::SubjectTokenSource;

/// Whether the client verifies each ID-JAG against the IdP's JWKS before redeeming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdJagVerification {
    /// Verify when the IdP publishes a `jwks_uri` (the default).
    #[default]
    WhenPublished,
    /// Always verify; fail when the IdP publishes no `jwks_uri`.
    Required,
    /// Never verify (the AS verifies anyway).
    Disabled,
}

/// The enterprise IdP: where the client exchanges subject tokens for ID-JAGs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdentityProvider {
    /// The IdP issuer. Its metadata is fetched in the META-04 order unless both endpoints
    /// below are set.
    pub issuer: Issuer,
    /// The client's credentials at the IdP (CL-09, CL-13).
    pub credentials: ClientCredentials,
    /// The token endpoint, overriding the metadata.
    pub token_endpoint: Option<Url>,
    /// The JWKS URL, overriding the metadata.
    pub jwks_uri: Option<Url>,
    /// ID-JAG verification policy.
    pub verification: IdJagVerification,
}

impl IdentityProvider {
    /// The IdP `issuer` with the client's `credentials` there.
    #[must_use]
    pub fn new(issuer: Issuer, credentials: ClientCredentials) -> Self {
        Self {
            issuer,
            credentials,
            token_endpoint: None,
            jwks_uri: None,
            verification: IdJagVerification::default(),
        }
    }

    /// Use `token_endpoint` instead of the metadata's.
    #[must_use]
    pub fn with_token_endpoint(mut self, token_endpoint: Url) -> Self {
        self.token_endpoint = Some(token_endpoint);
        self
    }

    /// Use `jwks_uri` instead of the metadata's.
    #[must_use]
    pub fn with_jwks_uri(mut self, jwks_uri: Url) -> Self {
        self.jwks_uri = Some(jwks_uri);
        self
    }

    /// Set the ID-JAG verification policy.
    #[must_use]
    pub fn with_verification(mut self, verification: IdJagVerification) -> Self {
        self.verification = verification;
        self
    }
}

/// Tuning of a [`TokenSource`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenSourceConfig {
    /// Renew an access token this long before it expires (default 60 s).
    pub renew_margin: Duration,
    /// Lifetime assumed for an access token without `expires_in` (default 5 minutes).
    pub default_lifetime: Duration,
    /// Most step-ups per MCP server over the token source's life (CL-17; default 3). The
    /// scopes gained are kept for later tokens of that server.
    pub max_step_ups: u32,
    /// Retries of discovery after a network error or 5xx (default 2); nothing else is retried.
    pub discovery_retries: u32,
    /// First backoff delay; doubles on each retry (default 200 ms).
    pub backoff: Duration,
    /// How long fetched IdP keys are used before refetching (default 1 hour, META-09).
    pub jwks_ttl: Duration,
    /// Least time between two JWKS refetches caused by an ID-JAG signed with a key the
    /// cached set does not have (JWT-05; default 30 s). Within it, such an ID-JAG fails
    /// verification without a fetch, so that a misbehaving IdP cannot make the client fetch
    /// its JWKS on every exchange.
    pub jwks_refetch_interval: Duration,
    /// Discovery settings (default: strict, https only).
    pub discovery: DiscoveryConfig,
    /// CL-06: only redeem at an authorization server whose metadata lists the ID-JAG grant
    /// profile (default `true`). With `false`, one that lists the JWT-bearer grant without
    /// the profile is used too (for example the MCP conformance suite's).
    pub require_id_jag_profile: bool,
}

impl Default for TokenSourceConfig {
    fn default() -> Self {
        Self {
            renew_margin: Duration::from_secs(60),
            default_lifetime: Duration::from_secs(300),
            max_step_ups: 3,
            discovery_retries: 2,
            backoff: Duration::from_millis(200),
            jwks_ttl: Duration::from_secs(3600),
            jwks_refetch_interval: Duration::from_secs(30),
            discovery: DiscoveryConfig::default(),
            require_id_jag_profile: true,
        }
    }
}

impl TokenSourceConfig {
    /// Set [`Self::renew_margin`].
    #[must_use]
    pub fn with_renew_margin(mut self, margin: Duration) -> Self {
        self.renew_margin = margin;
        self
    }

    /// Set [`Self::max_step_ups`].
    #[must_use]
    pub fn with_max_step_ups(mut self, n: u32) -> Self {
        self.max_step_ups = n;
        self
    }

    /// Set [`Self::discovery_retries`] and [`Self::backoff`].
    #[must_use]
    pub fn with_discovery_retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.discovery_retries = retries;
        self.backoff = backoff;
        self
    }

    /// Set [`Self::jwks_refetch_interval`].
    #[must_use]
    pub fn with_jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.jwks_refetch_interval = interval;
        self
    }

    /// Set [`Self::discovery`] (for example [`DiscoveryConfig::development`] for loopback
    /// `http` in tests).
    #[must_use]
    pub fn with_discovery(mut self, discovery: DiscoveryConfig) -> Self {
        self.discovery = discovery;
        self
    }

    /// Set [`Self::require_id_jag_profile`].
    #[must_use]
    pub fn with_require_id_jag_profile(mut self, require: bool) -> Self {
        self.require_id_jag_profile = require;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    server: Resource,
    scope: Option<ScopeSet>,
}

type Slot = Arc<tokio::sync::Mutex<Option<AccessToken>>>;

#[derive(Debug, Default)]
struct StepUp {
    scope: Option<ScopeSet>,
    attempts: u32,
}

#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
struct CachedKeys {
    keys: ema_jwt::KeySet,
    fetched_at: u64,
    /// When an unknown key last caused a refetch (rate limit, JWT-05).
    refetched_at: Option<u64>,
}

struct Inner {
    http: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn SecureRandom>,
    subject: Arc<dyn SubjectTokenSource>,
    discovery: Discovery,
    idp: IdentityProvider,
    authorization_servers: HashMap<Issuer, ClientCredentials>,
    config: TokenSourceConfig,
    idp_endpoints: tokio::sync::Mutex<Option<IdpEndpoints>>,
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    keys: tokio::sync::Mutex<Option<CachedKeys>>,
    slots: Mutex<HashMap<CacheKey, Slot>>,
    targets: Mutex<HashMap<Resource, (ResourceTarget, u64)>>,
    step_ups: Mutex<HashMap<Resource, StepUp>>,
}

/// Access tokens for MCP servers, from nothing but the server URL and the enterprise IdP
/// configuration.
///
/// - Caches access tokens per (MCP server, scope set) and renews them
///   [`TokenSourceConfig::renew_margin`] before they expire.
/// - Every renewal runs a new token exchange: an ID-JAG is used once (CL-15).
/// - Concurrent requests for the same key share one exchange and redemption (single-flight).
/// - [`TokenSource::on_unauthorized`] drops a rejected token and runs the flow again;
///   [`TokenSource::on_insufficient_scope`] asks for the union of scopes, a bounded number of
///   times (CL-17). [`TokenSource::execute`] does both around one request.
/// - Discovery is retried with backoff after network errors and 5xx only; a rejected
///   subject token (`invalid_request`/`invalid_grant`, OQ-09) is renewed once through the
///   [`SubjectTokenSource`]; nothing else is retried.
///
/// Clones share the caches.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("idp", &self.inner.idp)
            .field(
                "authorization_servers",
                &self.inner.authorization_servers.keys().collect::<Vec<_>>(),
            )
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TokenSource`].
#[must_use]
pub struct TokenSourceBuilder {
    http: Arc<dyn HttpClient>,
    subject: Arc<dyn SubjectTokenSource>,
    idp: IdentityProvider,
    authorization_servers: HashMap<Issuer, ClientCredentials>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn SecureRandom>,
    config: TokenSourceConfig,
}

impl fmt::Debug for TokenSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSourceBuilder")
            .field("idp", &self.idp)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TokenSourceBuilder {
    /// Register the client's credentials at the authorization server `issuer` (CL-13). A
    /// server whose AS has no credentials here is refused.
    pub fn authorization_server(mut self, issuer: Issuer, credentials: ClientCredentials) -> Self {
        self.authorization_servers.insert(issuer, credentials);
        self
    }

    /// Use `clock` (default: the system clock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Use `rng` (default: the system CSPRNG).
    pub fn rng(mut self, rng: impl SecureRandom + 'static) -> Self {
        self.rng = Arc::new(rng);
        self
    }

    /// Use `config`.
    pub fn config(mut self, config: TokenSourceConfig) -> Self {
        self.config = config;
        self
    }

    /// Build.
    pub fn build(self) -> TokenSource {
        let discovery = Discovery::new(Arc::clone(&self.http))
            .with_config(self.config.discovery.clone())
            .with_clock(Arc::clone(&self.clock));
        TokenSource {
            inner: Arc::new(Inner {
                http: self.http,
                clock: self.clock,
                rng: self.rng,
                subject: self.subject,
                discovery,
                idp: self.idp,
                authorization_servers: self.authorization_servers,
                config: self.config,
                idp_endpoints: tokio::sync::Mutex::new(None),
                #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
                keys: tokio::sync::Mutex::new(None),
                slots: Mutex::new(HashMap::new()),
                targets: Mutex::new(HashMap::new()),
                step_ups: Mutex::new(HashMap::new()),
            }),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TokenSource {
    /// Start building a token source over `http`, with subject tokens from `subject` and the
    /// enterprise `idp`.
    pub fn builder(
        http: impl HttpClient + 'static,
        subject: impl SubjectTokenSource + 'static,
        idp: IdentityProvider,
    ) -> TokenSourceBuilder {
        TokenSourceBuilder {
            http: Arc::new(http),
            subject: Arc::new(subject),
            idp,
            authorization_servers: HashMap::new(),
            clock: Arc::new(SystemClock),
            rng: Arc::new(SystemRandom),
            config: TokenSourceConfig::default(),
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context::new(&*self.inner.http, &*self.inner.clock, &*self.inner.rng)
    }

    /// Forget every cached access token, discovered server and step-up scope (for example
    /// when the user signs out). Flows in progress finish but their results are not kept.
    pub fn clear(&self) {
        lock(&self.inner.slots).clear();
        lock(&self.inner.targets).clear();
        lock(&self.inner.step_ups).clear();
    }

    /// The discovery instance (shared document cache).
    #[must_use]
    pub fn discovery(&self) -> &Discovery {
        &self.inner.discovery
    }

    /// An access token for the MCP server `server`, with the scopes of earlier step-ups, or
    /// else the scope its challenge names, or else no `scope`.
    pub async fn access_token(&self, server: &Resource) -> Result<AccessToken, Error> {
        self.access_token_for(server, None).await
    }

    /// An access token for `server` with at least `scope` (joined with the scopes of
    /// earlier step-ups).
    pub async fn access_token_for(
        &self,
        server: &Resource,
        scope: Option<&ScopeSet>,
    ) -> Result<AccessToken, Error> {
        let stepped = lock(&self.inner.step_ups)
            .get(server)
            .and_then(|s| s.scope.clone());
        let scope = match (scope, stepped) {
            (Some(a), Some(b)) => Some(a.union(&b)),
            (Some(a), None) => Some(a.clone()),
            (None, b) => b,
        };
        let key = CacheKey {
            server: server.clone(),
            scope,
        };
        let slot = Arc::clone(lock(&self.inner.slots).entry(key.clone()).or_default());
        let mut cached = slot.lock().await;
        let margin = self.inner.config.renew_margin.as_secs();
        let now = self.inner.clock.now_unix();
        if let Some(token) = cached.as_ref()
            && token.is_fresh(now, margin)
        {
            return Ok(token.clone());
        }
        *cached = None;
        let token = self.run(&key.server, key.scope.as_ref()).await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// The MCP server answered `401` to `rejected`: drop it (unless another caller already
    /// replaced it) and get a new token.
    pub async fn on_unauthorized(
        &self,
        server: &Resource,
        rejected: &AccessToken,
    ) -> Result<AccessToken, Error> {
        self.invalidate(server, rejected).await;
        self.access_token(server).await
    }

    /// The MCP server answered `403 insufficient_scope` to `rejected` with `challenge`:
    /// request the union of the scopes asked for before and the challenged scopes (CL-17).
    ///
    /// Fails with [`ErrorKind::StepUpExhausted`] when the step-up cannot help: the challenge
    /// names no scope beyond what `rejected` was granted, the AS already declined to grant
    /// the challenged scopes when they were requested, or
    /// [`TokenSourceConfig::max_step_ups`] step-ups were made for this server. Concurrent
    /// callers holding the same rejected token share one step-up.
    pub async fn on_insufficient_scope(
        &self,
        server: &Resource,
        rejected: &AccessToken,
        challenge: &Challenge,
    ) -> Result<AccessToken, Error> {
        let wanted = challenge.scopes().and_then(Result::ok).unwrap_or_default();
        let granted = rejected.scope.clone().unwrap_or_default();
        {
            let mut step_ups = lock(&self.inner.step_ups);
            let entry = step_ups.entry(server.clone()).or_default();
            let exhausted = || {
                Error::new(
                    Leg::ResourceCall,
                    ErrorKind::StepUpExhausted {
                        attempts: entry.attempts,
                    },
                )
            };
            let declined = rejected
                .requested_scope
                .as_ref()
                .is_some_and(|asked| wanted.is_subset(asked));
            if wanted.is_empty() || wanted.is_subset(&granted) || declined {
                return Err(exhausted());
            }
            let held = entry.scope.clone().unwrap_or_default();
            if !wanted.is_subset(&held) {
                if entry.attempts >= self.inner.config.max_step_ups {
                    return Err(exhausted());
                }
                let mut union = held.union(&granted).union(&wanted);
                if let Some(asked) = &rejected.requested_scope {
                    union = union.union(asked);
                }
                tracing::debug!(server = %server, scope = %union, "CL-17 step-up");
                entry.attempts = entry.attempts.saturating_add(1);
                entry.scope = Some(union);
            }
        }
        self.access_token(server).await
    }

    async fn invalidate(&self, server: &Resource, rejected: &AccessToken) {
        lock(&self.inner.targets).remove(server);
        let slots: Vec<Slot> = lock(&self.inner.slots)
            .iter()
            .filter(|(k, _)| &k.server == server)
            .map(|(_, v)| Arc::clone(v))
            .collect();
        for slot in slots {
            let mut cached = slot.lock().await;
            if cached.as_ref().is_some_and(|t| t.token == rejected.token) {
                *cached = None;
            }
        }
    }

    /// Send `request` to the MCP server `server` with its access token (CL-14), handling a
    /// `401` (one new token) and `403 insufficient_scope` (step-up, CL-17). Returns the
    /// final response, whatever its status.
    pub async fn execute(
        &self,
        server: &Resource,
        request: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        let leg = Leg::ResourceCall;
        let (parts, body) = request.into_parts();
        let mut token = self.access_token(server).await?;
        let mut reauthorized = false;
        let mut step_ups = 0u32;
        loop {
            let mut req = http::Request::from_parts(parts.clone(), body.clone());
            req.headers_mut()
                .insert(http::header::AUTHORIZATION, token.authorization_header()?);
            let response = self
                .inner
                .http
                .send(req)
                .await
                .map_err(|e| Error::new(leg, ErrorKind::Transport(e)))?;
            let status = response.status();
            let challenges = parse_www_authenticate_headers(response.headers()).unwrap_or_default();
            let insufficient = challenges
                .iter()
                .find(|c| c.error() == Some(ErrorCode::InsufficientScope));
            if status == http::StatusCode::UNAUTHORIZED {
                if reauthorized {
                    return Err(Error::new(leg, ErrorKind::TokenRejected));
                }
                reauthorized = true;
                token = self.on_unauthorized(server, &token).await?;
            } else if status == http::StatusCode::FORBIDDEN
                && let Some(challenge) = insufficient
            {
                step_ups = step_ups.saturating_add(1);
                if step_ups > self.inner.config.max_step_ups {
                    return Err(Error::new(
                        leg,
                        ErrorKind::StepUpExhausted { attempts: step_ups },
                    ));
                }
                token = self
                    .on_insufficient_scope(server, &token, challenge)
                    .await?;
            } else {
                return Ok(response);
            }
        }
    }

    /// The full flow for one key: discovery, exchange (renewing the subject token once if
    /// the IdP rejects it), verification, redemption.
    async fn run(&self, server: &Resource, scope: Option<&ScopeSet>) -> Result<AccessToken, Error> {
        let ctx = self.ctx();
        let target = self.discover(server).await?;
        let credentials = self
            .inner
            .authorization_servers
            .get(&target.as_issuer)
            .ok_or_else(|| {
                Error::new(
                    Leg::Redemption,
                    ErrorKind::NoCredentials {
                        issuer: target.as_issuer.to_string(),
                    },
                )
            })?;
        let idp = self.idp_endpoints().await?;
        let idp_party = Party::new(
            idp.issuer.clone(),
            idp.token_endpoint.clone(),
            self.inner.idp.credentials.clone(),
        );
        let scope = scope.cloned().or_else(|| target.challenged_scope());
        let request = IdJagRequest::for_target(&target, scope);
        let subject = self.inner.subject.subject_token(&ctx).await?;
        let id_jag = match exchange_token(&ctx, &idp_party, &request, &subject).await {
            Err(e) if subject_rejected(&e) && self.inner.subject.refresh(&ctx).await? => {
                tracing::debug!("the IdP rejected the subject token; retrying once with a new one");
                let subject = self.inner.subject.subject_token(&ctx).await?;
                exchange_token(&ctx, &idp_party, &request, &subject).await?
            }
            other => other?,
        };
        self.verify(&idp, &request, &credentials.client_id, &id_jag.token)
            .await?;
        let as_party = Party::new(
            target.as_issuer.clone(),
            target.as_token_endpoint.clone(),
            credentials.clone(),
        );
        // Ask the AS for what the ID-JAG grants (CL-11: the IdP may have narrowed the request);
        // an AS refuses a scope beyond the ID-JAG (OQ-04).
        let mut token = redeem_id_jag(
            &ctx,
            &as_party,
            &id_jag.token,
            &target.resource,
            id_jag.scope.as_ref(),
        )
        .await?;
        drop(id_jag); // single use (CL-15)
        // What this flow asked for, so that a step-up the IdP or the AS declined is not
        // asked again (CL-17).
        token.requested_scope = request.scope;
        if token.expires_at.is_none() {
            token.expires_at = Some(
                ctx.clock
                    .now_unix()
                    .saturating_add(self.inner.config.default_lifetime.as_secs()),
            );
        }
        Ok(token)
    }

    /// The discovered target of `server`, kept for [`DiscoveryConfig::default_ttl`] so that
    /// renewals do not probe the MCP server again; dropped on a `401`.
    async fn discover(&self, server: &Resource) -> Result<ResourceTarget, Error> {
        let now = self.inner.clock.now_unix();
        let ttl = self.inner.config.discovery.default_ttl.as_secs();
        if let Some((target, at)) = lock(&self.inner.targets).get(server)
            && now < at.saturating_add(ttl)
        {
            return Ok(target.clone());
        }
        let target = self.discover_with_retries(server).await?;
        lock(&self.inner.targets).insert(server.clone(), (target.clone(), now));
        Ok(target)
    }

    async fn discover_with_retries(&self, server: &Resource) -> Result<ResourceTarget, Error> {
        let mut attempt = 0u32;
        loop {
            let require_profile = self.inner.config.require_id_jag_profile;
            match crate::legs::discover_resource_with(
                &self.inner.discovery,
                server,
                require_profile,
            )
            .await
            {
                Err(e)
                    if e.disposition() == Disposition::Retry
                        && attempt < self.inner.config.discovery_retries =>
                {
                    let delay = self
                        .inner
                        .config
                        .backoff
                        .saturating_mul(2u32.saturating_pow(attempt));
                    tracing::debug!(error = %e, ?delay, "discovery failed; retrying");
                    attempt = attempt.saturating_add(1);
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    async fn idp_endpoints(&self) -> Result<IdpEndpoints, Error> {
        let mut cached = self.inner.idp_endpoints.lock().await;
        if let Some(e) = cached.as_ref() {
            return Ok(e.clone());
        }
        let idp = &self.inner.idp;
        let endpoints = match (&idp.token_endpoint, &idp.jwks_uri, idp.verification) {
            (Some(token_endpoint), jwks_uri, v)
                if jwks_uri.is_some() || v == IdJagVerification::Disabled =>
            {
                IdpEndpoints {
                    issuer: idp.issuer.clone(),
                    token_endpoint: token_endpoint.clone(),
                    authorization_endpoint: None,
                    jwks_uri: jwks_uri.clone(),
                    advertises_id_jag: true,
                }
            }
            _ => {
                let mut found = discover_idp(&self.inner.discovery, &idp.issuer).await?;
                if let Some(t) = &idp.token_endpoint {
                    found.token_endpoint = t.clone();
                }
                if let Some(j) = &idp.jwks_uri {
                    found.jwks_uri = Some(j.clone());
                }
                found
            }
        };
        *cached = Some(endpoints.clone());
        Ok(endpoints)
    }

    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    async fn verify(
        &self,
        idp: &IdpEndpoints,
        request: &IdJagRequest,
        as_client_id: &ema_types::ClientId,
        id_jag: &ema_types::Secret,
    ) -> Result<(), Error> {
        let leg = Leg::IdJagVerification;
        let jwks_uri = match (&idp.jwks_uri, self.inner.idp.verification) {
            (_, IdJagVerification::Disabled) => return Ok(()),
            (Some(uri), _) => uri,
            (None, IdJagVerification::WhenPublished) => return Ok(()),
            (None, _) => {
                return Err(Error::new(
                    leg,
                    ErrorKind::Config(
                        "ID-JAG verification is required but the IdP has no jwks_uri",
                    ),
                ));
            }
        };
        let expect =
            crate::legs::IdJagExpectations::new(idp.issuer.clone(), request, as_client_id.as_str());
        let now = self.inner.clock.now_unix();
        let ttl = self.inner.config.jwks_ttl.as_secs();
        let interval = self.inner.config.jwks_refetch_interval.as_secs();
        let mut keys = self.inner.keys.lock().await;
        let mut fetched_now = false;
        if keys
            .as_ref()
            .is_none_or(|k| now >= k.fetched_at.saturating_add(ttl))
        {
            let refetched_at = keys.as_ref().and_then(|k| k.refetched_at);
            *keys = Some(CachedKeys {
                keys: crate::legs::fetch_jwks(&*self.inner.http, jwks_uri).await?,
                fetched_at: now,
                refetched_at,
            });
            fetched_now = true;
        }
        let check = |k: &Option<CachedKeys>| match k {
            Some(k) => {
                crate::legs::verify_id_jag(id_jag, &expect, &k.keys, &*self.inner.clock).map(|_| ())
            }
            None => Err(Error::new(leg, ErrorKind::Config("no IdP keys"))),
        };
        match check(&keys) {
            // A key rotated since the last fetch: fetch once more (JWT-05), at most once per
            // `jwks_refetch_interval`.
            Err(e) if !fetched_now && unknown_key(&e) => {
                let allowed = keys
                    .as_ref()
                    .and_then(|k| k.refetched_at)
                    .is_none_or(|at| now >= at.saturating_add(interval));
                if !allowed {
                    tracing::debug!("unknown IdP key; JWKS refetched recently, not fetching again");
                    return Err(e);
                }
                // Counted before the fetch, so that a failing JWKS endpoint is not hammered.
                if let Some(k) = keys.as_mut() {
                    k.refetched_at = Some(now);
                }
                *keys = Some(CachedKeys {
                    keys: crate::legs::fetch_jwks(&*self.inner.http, jwks_uri).await?,
                    fetched_at: now,
                    refetched_at: Some(now),
                });
                check(&keys)
            }
            other => other,
        }
    }

    #[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
    async fn verify(
        &self,
        _idp: &IdpEndpoints,
        _request: &IdJagRequest,
        _as_client_id: &ema_types::ClientId,
        _id_jag: &ema_types::Secret,
    ) -> Result<(), Error> {
        match self.inner.idp.verification {
            IdJagVerification::Required => Err(Error::new(
                Leg::IdJagVerification,
                ErrorKind::Config("ID-JAG verification needs a crypto backend feature"),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
fn unknown_key(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Jwt(j) if matches!(
            j.kind(),
            ema_jwt::ErrorKind::UnknownKeyId(_) | ema_jwt::ErrorKind::NoKeyForAlgorithm(_)
        )
    )
}

/// OQ-09: the exchange failed because of the subject token.
fn subject_rejected(e: &Error) -> bool {
    e.leg() == Leg::TokenExchange
        && matches!(
            e.oauth_error().map(|r| &r.error),
            Some(ErrorCode::InvalidGrant | ErrorCode::InvalidRequest)
        )
}
