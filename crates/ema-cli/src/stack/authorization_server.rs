//! `[as]` → ema-server's resource authorization server: the jwt-bearer grant (ID-JAG →
//! access token), its JWKS and RFC 8414 metadata; with `[as.login]`, also the
//! authorization-code grant with PKCE (CL-06), users signed in at the IdP
//! ([`super::as_login`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use ema_jwt::{Algorithm, KeySet};
use ema_metadata::SchemePolicy;
use ema_server::audit::AuditSink;
use ema_server::authorization_code::{
    AuthorizationGrants, GrantStore, MemoryGrantStore, RedisGrantStore,
};
use ema_server::authorization_server::code_grant::CodeFlow;
use ema_server::authorization_server::{AuthorizationServerConfig, JwtBearerGrant, TrustedIssuer};
use ema_server::axum::AuthorizationServerRouter;
use ema_server::client_auth::{
    ClientAuthContext, ClientAuthMethod, RegisteredClient, StaticClientRegistry,
};
use ema_server::endpoint::TokenEndpoint;
use ema_server::keys::{JwksCache, JwksCacheConfig, KeySource, StaticKeySource};
use ema_server::replay::{MemoryReplayStore, RedisReplayStore, ReplayStore};
use ema_types::transport::HttpClient;
use ema_types::{Clock, Issuer, SystemRandom, urn};

use super::as_login::FederatedLogin;
use super::keys::{IssuerKeys, SubjectAllowList};
use super::{RoleError, signing_keys};
use crate::config::{AsClientAuth, AsSpec, KeysSpec, ReplaySpec};

/// How long start-up waits for Redis (`replay = "redis://..."`).
const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Single-use `jti` markers kept in memory (`replay = "memory"`).
const REPLAY_CAPACITY: usize = 100_000;
/// Codes and refresh tokens of the code flow kept in memory (`replay = "memory"`).
const GRANT_CAPACITY: usize = 100_000;

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

/// Build the AS, its decisions recorded in `audit`. Connects to Redis when `replay` names it, and fetches `jwks_uri` of
/// `private_key_jwt` clients once.
pub(crate) async fn build(
    spec: &AsSpec,
    dev_allow_http: bool,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditSink>,
) -> Result<AsParts, RoleError> {
    let http = jwks_http(dev_allow_http)?;
    let replay: Arc<dyn ReplayStore> = match &spec.replay {
        ReplaySpec::Memory => Arc::new(MemoryReplayStore::new(REPLAY_CAPACITY)),
        ReplaySpec::Redis(url) => Arc::new(connect_redis(url).await?),
    };
    let mut builder = AuthorizationServerConfig::builder(spec.issuer.clone())
        .skew(spec.clock_skew_secs)
        .access_token_ttl(spec.access_token_ttl_secs)
        .token_endpoint(format!("{}/token", spec.issuer))
        .allow_public_clients(
            spec.clients
                .iter()
                .any(|c| matches!(c.auth, AsClientAuth::Public)),
        );
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
        let mut registered = if matches!(client.auth, AsClientAuth::Public) {
            RegisteredClient::public(client.client_id.clone())
        } else {
            RegisteredClient::confidential(client.client_id.clone())
                .with_grant_type(urn::GRANT_TYPE_JWT_BEARER)
        };
        if !client.redirect_uris.is_empty() {
            registered = registered
                .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE)
                .with_grant_type(urn::GRANT_TYPE_REFRESH_TOKEN);
            for uri in &client.redirect_uris {
                registered = registered.with_redirect_uri(uri.clone());
            }
        }
        registered = match &client.auth {
            AsClientAuth::Public => registered,
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
    let as_err = |e: &dyn std::fmt::Display| RoleError::new("as", e.to_string());
    let token_url = format!("{}/token", spec.issuer);
    let jwks_url = format!("{}/jwks", spec.issuer);
    let metadata = match &spec.login {
        None => config
            .metadata(&token_url, &jwks_url, &methods, dev_allow_http)
            .map_err(|e| as_err(&e))?,
        Some(_) => {
            let policy = if dev_allow_http {
                SchemePolicy::AllowLoopbackHttp
            } else {
                SchemePolicy::HttpsOnly
            };
            CodeFlow::advertise(
                config
                    .metadata_builder(&token_url, &jwks_url, &methods)
                    .map_err(|e| as_err(&e))?,
                &format!("{}/authorize", spec.issuer),
            )
            .map_err(|e| as_err(&e))?
            .scheme_policy(policy)
            .build()
            .map_err(|e| as_err(&e))?
        }
    };
    let registry = Arc::new(registry);
    let keys: Arc<dyn KeySource> = Arc::new(IssuerKeys::new(fixed, fetches.then_some(cache)));
    let signing = signing_keys("as.signing_key_files", &spec.signing.keys)?;
    let code_flow = match &spec.login {
        None => None,
        Some(login) => {
            let store: Arc<dyn GrantStore> = match &spec.replay {
                ReplaySpec::Memory => Arc::new(MemoryGrantStore::new(GRANT_CAPACITY)),
                ReplaySpec::Redis(url) => Arc::new(connect_redis_grants(url).await?),
            };
            let client_auth = ClientAuthContext::new(
                spec.issuer.clone(),
                Arc::clone(&replay),
                Arc::clone(&clock),
            )
            .allow_public_clients(config.allow_public_clients);
            let flow = CodeFlow::new(
                config.clone(),
                signing.clone(),
                registry.clone(),
                client_auth,
                AuthorizationGrants::new(store),
            )
            .map_err(|e| as_err(&e))?;
            let users = FederatedLogin::new(
                login,
                &spec.issuer,
                spec.resources.clone(),
                spec.subjects.clone(),
                dev_allow_http,
                Arc::clone(&clock),
                Arc::new(SystemRandom),
            )?;
            Some((flow, users))
        }
    };
    let mut grant =
        JwtBearerGrant::new(config, registry, Arc::clone(&keys), replay, signing.clone())
            .map_err(|e| RoleError::new("as", e.to_string()))?
            .with_clock(clock)
            .with_audit(audit);
    if let Some(subjects) = &spec.subjects {
        grant = grant.with_subject_resolver(Arc::new(SubjectAllowList::new(subjects.clone())));
    }
    let endpoint = TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(grant));
    let router = match code_flow {
        None => AuthorizationServerRouter::new(endpoint, signing.clone(), metadata)
            .build()
            .map_err(|e| as_err(&e))?,
        Some((flow, users)) => {
            let login_routes = users.router();
            AuthorizationServerRouter::new(flow.mount(endpoint), signing.clone(), metadata)
                .with_authorization_endpoint(flow.authorization_endpoint(Arc::new(users)))
                .build()
                .map_err(|e| as_err(&e))?
                .merge(login_routes)
        }
    };
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

/// Connect to the Redis store of codes and refresh tokens, or name `as.replay` in the error.
async fn connect_redis_grants(url: &str) -> Result<RedisGrantStore, RoleError> {
    let fail = |why: String| RoleError::new("as.replay", format!("cannot connect to Redis: {why}"));
    match tokio::time::timeout(REDIS_CONNECT_TIMEOUT, RedisGrantStore::connect(url)).await {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(e)) => Err(fail(e.to_string())),
        Err(_) => Err(fail(format!(
            "no connection within {} s",
            REDIS_CONNECT_TIMEOUT.as_secs()
        ))),
    }
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
