//! `[rs]` → an MCP server (the todo tools) behind ema-server's resource-server checks, with
//! per-tool scopes (ema-rmcp) and its protected-resource metadata (RFC 9728).

use std::sync::Arc;

use axum::Router;
use ema_jwt::KeySet;
use ema_rmcp::server::{ToolScopes, protect_mcp};
use ema_server::keys::{KeySource, StaticKeySource};
use ema_server::resource_server::{AccessTokenGuard, ResourceServerConfig};
use ema_server::signing::SigningKeys;
use ema_types::{Clock, Issuer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::RoleError;
use super::authorization_server::{jwks_cache, jwks_http};
use super::keys::IssuerKeys;
use crate::config::RsSpec;
use crate::todo::{TodoServer, TodoStore};

/// The MCP server's routes and the key source its readiness is judged by.
pub(crate) struct RsParts {
    pub(crate) router: Router,
    pub(crate) keys: Arc<dyn KeySource>,
    pub(crate) issuer: Issuer,
}

/// Build the MCP server. `local_as` is this stack's AS (issuer and keys), used directly when
/// `rs.authorization_server` names it.
pub(crate) fn build(
    spec: &RsSpec,
    public_url: &str,
    dev_allow_http: bool,
    local_as: Option<(&Issuer, &SigningKeys)>,
    clock: Arc<dyn Clock>,
) -> Result<RsParts, RoleError> {
    let mut config =
        ResourceServerConfig::builder(spec.resource.clone(), spec.authorization_server.clone())
            .scopes_supported(spec.scopes_supported.clone())
            .allow_loopback_http(dev_allow_http);
    if let Some(name) = &spec.resource_name {
        config = config.resource_name(name.clone());
    }
    let config = config
        .build()
        .map_err(|e| RoleError::new(&spec.key, e.to_string()))?;
    let keys: Arc<dyn KeySource> = match local_as {
        Some((issuer, signing)) if issuer == &spec.authorization_server => {
            Arc::new(StaticKeySource::new().with_issuer(issuer, KeySet::from_jwks(&signing.jwks())))
        }
        _ => {
            let cache = jwks_cache(jwks_http(dev_allow_http)?, dev_allow_http)
                .with_issuer(&spec.authorization_server, &spec.jwks_uri)
                .map_err(|e| RoleError::new(format!("{}.jwks_uri", spec.key), e.to_string()))?;
            Arc::new(IssuerKeys::new(StaticKeySource::new(), Some(cache)))
        }
    };
    let guard = Arc::new(
        AccessTokenGuard::new(config, Arc::clone(&keys), clock)
            .map_err(|e| RoleError::new(&spec.key, e.to_string()))?,
    );
    let store = TodoStore::default();
    let mut mcp_config = StreamableHttpServerConfig::default();
    if let Some(host) = url::Url::parse(public_url).ok().and_then(|u| {
        u.host_str().map(|h| match u.port() {
            Some(p) => vec![h.to_owned(), format!("{h}:{p}")],
            None => vec![h.to_owned()],
        })
    }) {
        mcp_config.allowed_hosts.extend(host);
    }
    let mcp = StreamableHttpService::new(
        move || Ok(TodoServer::new(Arc::clone(&store))),
        Arc::new(LocalSessionManager::default()),
        mcp_config,
    );
    let scopes =
        ToolScopes::new(spec.read_scopes.clone()).tool("add_todo", spec.write_scopes.clone());
    Ok(RsParts {
        router: protect_mcp(guard, &spec.path, scopes, mcp),
        keys,
        issuer: spec.authorization_server.clone(),
    })
}
