//! `[as]` → ema-server's resource authorization server: the jwt-bearer grant (ID-JAG →
//! access token), its JWKS and RFC 8414 metadata.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use ema_jwt::{Algorithm, KeySet};
use ema_metadata::SchemePolicy;
use ema_server::authorization_server::{AuthorizationServerConfig, JwtBearerGrant, TrustedIssuer};
use ema_server::axum::AuthorizationServerRouter;
use ema_server::client_auth::{ClientAuthMethod, RegisteredClient, StaticClientRegistry};
use ema_server::endpoint::TokenEndpoint;
use ema_server::keys::{JwksCache, JwksCacheConfig, KeySource, StaticKeySource};
use ema_server::replay::{MemoryReplayStore, RedisReplayStore, ReplayStore};
use ema_types::transport::HttpClient;
use ema_types::{Clock, Issuer, urn};

use super::keys::{IssuerKeys, SubjectAllowList};
use super::{RoleError, signing_keys};
use crate::config::{AsClientAuth, AsSpec, KeysSpec, ReplaySpec};

/// How long start-up waits for Redis (`replay = "redis://..."`).
const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Single-use `jti` markers kept in memory (`replay = "memory"`).
const REPLAY_CAPACITY: usize = 100_000;

/// The AS's routes, and the key source its readiness is judged by.
pub(crate) struct AsParts {
    pub(crate) router: Router,
    pub(crate) keys: Arc<dyn KeySource>,
    pub(crate) trusted: Vec<Issuer>,
    pub(crate) signing: ema_server::signing::SigningKeys,
}

/// A loopback-aware HTTP client for JWKS fetches.
pub(crate) fn jwks_http(dev_allow_http: bool) -> Result<Arc<dyn HttpClient>, RoleError> {
    let policy = if dev_allow_http {
        SchemePolicy::AllowLoopbackHttp
    } else {
        SchemePolicy::HttpsOnly
    };
    ema_metadata::ReqwestClient::builder()
        .scheme_policy(policy)
        .timeout(Duration::from_secs(10))
        .build()
        .map(|c| Arc::new(c) as Arc<dyn HttpClient>)
        .map_err(|e| RoleError::new("server", format!("HTTP client: {e}")))
}

/// A JWKS cache honouring `dev_allow_http`.
pub(crate) fn jwks_cache(http: Arc<dyn HttpClient>, dev_allow_http: bool) -> JwksCache {
    let mut config = JwksCacheConfig::default();
    if dev_allow_http {
        config = config.scheme_policy(SchemePolicy::AllowLoopbackHttp);
    }
    JwksCache::new(http, config)
}

/// Build the AS. Connects to Redis when `replay` names it, and fetches `jwks_uri` of
/// `private_key_jwt` clients once.
pub(crate) async fn build(
    spec: &AsSpec,
    dev_allow_http: bool,
    clock: Arc<dyn Clock>,
) -> Result<AsParts, RoleError> {
    let http = jwks_http(dev_allow_http)?;
    let replay: Arc<dyn ReplayStore> = match &spec.replay {
        ReplaySpec::Memory => Arc::new(MemoryReplayStore::new(REPLAY_CAPACITY)),
        ReplaySpec::Redis(url) => Arc::new(connect_redis(url).await?),
    };
    let mut builder = AuthorizationServerConfig::builder(spec.issuer.clone())
        .skew(spec.clock_skew_secs)
        .access_token_ttl(spec.access_token_ttl_secs)
        .token_endpoint(format!("{}/token", spec.issuer));
    let mut fixed = StaticKeySource::new();
    let mut cache = jwks_cache(Arc::clone(&http), dev_allow_http);
    let mut fetches = false;
    for (i, trusted) in spec.trusted_issuers.iter().enumerate() {
        builder = builder.trusted_issuer(
            TrustedIssuer::new(trusted.issuer.clone()).with_algorithms(trusted.algorithms.clone()),
        );
        match &trusted.keys {
            KeysSpec::Static(keys) => fixed = fixed.with_issuer(&trusted.issuer, keys.clone()),
            KeysSpec::Uri(uri) => {
                cache = cache.with_issuer(&trusted.issuer, uri).map_err(|e| {
                    RoleError::new(format!("as.trusted_issuers[{i}].jwks_uri"), e.to_string())
                })?;
                fetches = true;
            }
        }
    }
    for resource in &spec.resources {
        builder = builder.resource(resource.clone());
    }
    let config = builder
        .build()
        .map_err(|e| RoleError::new("as", e.to_string()))?;

    let mut registry = StaticClientRegistry::new();
    let mut methods = Vec::new();
    for (i, client) in spec.clients.iter().enumerate() {
        let mut registered = RegisteredClient::confidential(client.client_id.clone())
            .with_grant_type(urn::GRANT_TYPE_JWT_BEARER);
        registered = match &client.auth {
            AsClientAuth::Secret(secret) => {
                methods.extend([
                    ClientAuthMethod::ClientSecretBasic,
                    ClientAuthMethod::ClientSecretPost,
                ]);
                registered.with_secret(secret.clone())
            }
            AsClientAuth::Keys(keys) => {
                methods.push(ClientAuthMethod::PrivateKeyJwt);
                let keys = match keys {
                    KeysSpec::Static(keys) => keys.clone(),
                    KeysSpec::Uri(uri) => fetch_client_keys(http.as_ref(), uri)
                        .await
                        .map_err(|e| RoleError::new(format!("as.clients[{i}].jwks_uri"), e))?,
                };
                registered.with_keys(keys, [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256])
            }
        };
        if let Some(issuers) = &client.trusted_issuers {
            registered = registered.with_trusted_issuers(issuers.iter().cloned());
        }
        registry.insert(registered);
    }
    if methods.is_empty() {
        methods.push(ClientAuthMethod::ClientSecretBasic);
    }
    let metadata = config
        .metadata(
            &format!("{}/token", spec.issuer),
            &format!("{}/jwks", spec.issuer),
            &methods,
            dev_allow_http,
        )
        .map_err(|e| RoleError::new("as", e.to_string()))?;
    let keys: Arc<dyn KeySource> = Arc::new(IssuerKeys::new(fixed, fetches.then_some(cache)));
    let signing = signing_keys("as.signing_key_files", &spec.signing.keys)?;
    let mut grant = JwtBearerGrant::new(
        config,
        Arc::new(registry),
        Arc::clone(&keys),
        replay,
        signing.clone(),
    )
    .map_err(|e| RoleError::new("as", e.to_string()))?
    .with_clock(clock);
    if let Some(subjects) = &spec.subjects {
        grant = grant.with_subject_resolver(Arc::new(SubjectAllowList::new(subjects.clone())));
    }
    let router = AuthorizationServerRouter::new(
        TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(grant)),
        signing.clone(),
        metadata,
    )
    .build()
    .map_err(|e| RoleError::new("as", e.to_string()))?;
    Ok(AsParts {
        router,
        keys,
        trusted: spec
            .trusted_issuers
            .iter()
            .map(|t| t.issuer.clone())
            .collect(),
        signing,
    })
}

async fn fetch_client_keys(http: &dyn HttpClient, uri: &str) -> Result<KeySet, String> {
    crate::flow::fetch_key_set(http, uri)
        .await
        .map_err(|e| format!("cannot fetch the client's JWKS at start: {e}"))
}

/// Connect to the Redis replay store, or name `as.replay` in the error.
async fn connect_redis(url: &str) -> Result<RedisReplayStore, RoleError> {
    let fail = |why: String| RoleError::new("as.replay", format!("cannot connect to Redis: {why}"));
    match tokio::time::timeout(REDIS_CONNECT_TIMEOUT, RedisReplayStore::connect(url)).await {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(e)) => Err(fail(e.to_string())),
        Err(_) => Err(fail(format!(
            "no connection within {} s",
            REDIS_CONNECT_TIMEOUT.as_secs()
        ))),
    }
}
