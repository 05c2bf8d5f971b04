//! [`McpAuthLayer`]: the resource-server checks of ema-server in front of an rmcp
//! streamable-HTTP service, with the required scopes read from the JSON-RPC body.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use ema_server::resource_server::{AccessTokenGuard, Principal};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use tower_layer::Layer;
use tower_service::Service;

use super::ToolScopes;

/// The default bound on an MCP request body: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1 << 20;

/// The response body of [`McpAuthService`]: the inner service's, or a challenge.
pub type McpAuthBody<E> = UnsyncBoxBody<Bytes, E>;

/// Guards an rmcp streamable-HTTP service (or any service taking the buffered MCP request)
/// with an [`AccessTokenGuard`] and [`ToolScopes`].
///
/// For each request the service reads the body (at most [`McpAuthLayer::max_body`] bytes,
/// else `413`), computes the scopes it needs with [`ToolScopes::required_for_body`], and runs
/// [`AccessTokenGuard::check_request`] (RS-02..RS-08, DPoP RS-10). A request that passes
/// reaches the inner service with the verified [`Principal`] in its extensions, where rmcp
/// hands it to tool handlers (see [`caller`](super::caller)); any other gets the guard's
/// challenge — `401`, or `403` with `WWW-Authenticate: Bearer error="insufficient_scope",
/// scope="…", resource_metadata="…"` (RS-05) — and the inner service never sees it.
#[derive(Debug, Clone)]
pub struct McpAuthLayer {
    guard: Arc<AccessTokenGuard>,
    scopes: Arc<ToolScopes>,
    max_body: usize,
}

impl McpAuthLayer {
    /// A layer checking tokens with `guard` against the scopes `scopes` computes.
    #[must_use]
    pub fn new(guard: Arc<AccessTokenGuard>, scopes: ToolScopes) -> Self {
        Self {
            guard,
            scopes: Arc::new(scopes),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Refuse bodies longer than `bytes` with `413` (default [`DEFAULT_MAX_BODY`]).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The guard.
    #[must_use]
    pub fn guard(&self) -> &Arc<AccessTokenGuard> {
        &self.guard
    }
}

impl<S> Layer<S> for McpAuthLayer {
    type Service = McpAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        McpAuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`McpAuthLayer`] produces.
#[derive(Debug, Clone)]
pub struct McpAuthService<S> {
    inner: S,
    layer: McpAuthLayer,
}

fn plain<E: 'static>(status: StatusCode) -> Response<McpAuthBody<E>> {
    let mut response = Response::new(boxed(Vec::new()));
    *response.status_mut() = status;
    response
}

fn boxed<E: 'static>(bytes: Vec<u8>) -> McpAuthBody<E> {
    Full::new(Bytes::from(bytes))
        .map_err(|never: Infallible| match never {})
        .boxed_unsync()
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for McpAuthService<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqB: Body + Send + 'static,
    ReqB::Data: Send,
    ReqB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    ResB: Body<Data = Bytes> + Send + 'static,
    ResB::Error: 'static,
{
    type Response = Response<McpAuthBody<ResB::Error>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        // The clone is the one that is not ready; keep the ready one for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let (mut parts, body) = request.into_parts();
        Box::pin(async move {
            let declared = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > layer.max_body as u64) {
                return Ok(plain(StatusCode::PAYLOAD_TOO_LARGE));
            }
            let bytes = match Limited::new(body, layer.max_body).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    let status = if error.is::<http_body_util::LengthLimitError>() {
                        StatusCode::PAYLOAD_TOO_LARGE
                    } else {
                        StatusCode::BAD_REQUEST
                    };
                    return Ok(plain(status));
                }
            };
            let required = layer.scopes.required_for_body(&bytes);
            let checked = layer
                .guard
                .check_request(&parts.method, &parts.uri, &parts.headers, &required)
                .await;
            match checked {
                Ok(principal) => {
                    parts.extensions.insert::<Principal>(principal);
                    let response = inner
                        .call(Request::from_parts(parts, Full::new(bytes)))
                        .await?;
                    Ok(response.map(BodyExt::boxed_unsync))
                }
                Err(denied) => Ok(denied.into_response::<Vec<u8>>().map(boxed)),
            }
        })
    }
}
