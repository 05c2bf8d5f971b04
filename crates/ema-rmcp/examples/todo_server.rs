//! An rmcp streamable-HTTP MCP server guarded by EMA: the todo server with `whoami` (any
//! valid token with `todo.read`) and `add_todo` (also `todo.write`).
//!
//! It trusts the authorization server `--as-issuer` (for example the AS of `ema serve`):
//! it reads its RFC 8414 metadata for the `jwks_uri`, verifies access tokens against it
//! (audience = `--resource`), serves its protected-resource metadata, and answers `401` /
//! `403 insufficient_scope` challenges itself.
//!
//! ```sh
//! cargo run -p ema-rmcp --example todo_server -- \
//!     --as-issuer http://127.0.0.1:8080/as --listen 127.0.0.1:8090 --allow-loopback-http
//! ```
//!
//! `--resource` defaults to `http://<listen>/mcp`; register that resource with the scopes
//! `todo.read todo.write` at the AS. `--allow-loopback-http` permits `http` on loopback
//! hosts for local runs; without it every URL must be `https`.

mod todo;

use std::sync::Arc;
use std::time::Duration;

use ema_metadata::discovery::{Discovery, DiscoveryConfig};
use ema_metadata::{ReqwestClient, SchemePolicy};
use ema_server::keys::{JwksCache, JwksCacheConfig};
use ema_server::resource_server::{AccessTokenGuard, ResourceServerConfig};
use ema_types::transport::HttpClient;
use ema_types::{Issuer, Resource, ScopeSet, SystemClock};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    as_issuer: String,
    listen: String,
    resource: Option<String>,
    loopback_http: bool,
}

fn args() -> Result<Args, BoxError> {
    let mut args = Args {
        as_issuer: String::new(),
        listen: "127.0.0.1:8090".into(),
        resource: None,
        loopback_http: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--as-issuer" => args.as_issuer = value()?,
            "--listen" => args.listen = value()?,
            "--resource" => args.resource = Some(value()?),
            "--allow-loopback-http" => args.loopback_http = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if args.as_issuer.is_empty() {
        return Err("usage: todo_server --as-issuer URL [--listen ADDR] [--resource URL] [--allow-loopback-http]".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = args()?;
    let scheme = if args.loopback_http {
        SchemePolicy::AllowLoopbackHttp
    } else {
        SchemePolicy::HttpsOnly
    };
    let http = ReqwestClient::builder()
        .scheme_policy(scheme)
        .timeout(Duration::from_secs(10))
        .build()?;
    let discovery_config = if args.loopback_http {
        DiscoveryConfig::development()
    } else {
        DiscoveryConfig::default()
    };

    let as_issuer = Issuer::new(args.as_issuer)?;
    let metadata = Discovery::new(http.clone())
        .with_config(discovery_config)
        .authorization_server_metadata(&as_issuer)
        .await?
        .metadata;
    let jwks_uri = metadata
        .jwks_uri
        .ok_or("the authorization server publishes no jwks_uri")?;

    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let resource = Resource::new(
        args.resource
            .unwrap_or_else(|| format!("http://{}/mcp", args.listen)),
    )?;
    let http: Arc<dyn HttpClient> = Arc::new(http);
    let guard = Arc::new(AccessTokenGuard::new(
        ResourceServerConfig::builder(resource.clone(), as_issuer.clone())
            .scopes_supported(ScopeSet::parse("todo.read todo.write")?)
            .allow_loopback_http(args.loopback_http)
            .build()?,
        Arc::new(
            JwksCache::new(http, JwksCacheConfig::default().scheme_policy(scheme))
                .with_issuer(&as_issuer, jwks_uri.as_str())?,
        ),
        Arc::new(SystemClock),
    )?);

    // rmcp checks `Host` (DNS rebinding): accept the resource's own authority.
    let uri: http::Uri = resource.as_str().parse()?;
    let authority = uri
        .authority()
        .ok_or("the resource has no host")?
        .to_string();
    let todos = todo::Todos::default();
    let mcp = StreamableHttpService::new(
        move || Ok(todo::TodoServer::new(todos.clone())),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default().with_allowed_hosts([authority]),
    );
    let app = ema_rmcp::server::protect_mcp(guard, uri.path(), todo::scopes()?, mcp);
    eprintln!("todo MCP server at {resource}, trusting {as_issuer}");
    axum::serve(listener, app).await?;
    Ok(())
}
