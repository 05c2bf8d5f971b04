//! [`protect_mcp`]: an axum router serving a guarded rmcp service and its protected-resource
//! metadata.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use bytes::Bytes;
use ema_server::axum::ResourceServerRouter;
use ema_server::resource_server::AccessTokenGuard;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use tower_layer::Layer;
use tower_service::Service;

use super::{McpAuthLayer, ToolScopes};

/// A router serving `mcp` (an rmcp `StreamableHttpService`, or any service over the buffered
/// request) at `path`, guarded by [`McpAuthLayer`] with `guard` and `scopes`, merged with the
/// protected-resource metadata routes of `guard`'s configuration (RS-01), which need no token.
///
/// For a custom body bound or more routes, build the pieces yourself:
/// `Router::new().route_service(path, McpAuthLayer::new(..).max_body(n).layer(mcp))`
/// merged with [`ResourceServerRouter::metadata_routes`].
pub fn protect_mcp<T, ResB>(
    guard: Arc<AccessTokenGuard>,
    path: &str,
    scopes: ToolScopes,
    mcp: T,
) -> Router
where
    T: Service<Request<Full<Bytes>>, Response = Response<ResB>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    T::Future: Send + 'static,
    ResB: Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<axum::BoxError> + 'static,
{
    let metadata = ResourceServerRouter::new(Arc::clone(&guard)).metadata_routes();
    let service = McpAuthLayer::new(guard, scopes).layer(mcp);
    Router::new().route_service(path, service).merge(metadata)
}
