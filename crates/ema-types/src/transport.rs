//! The one HTTP transport trait every crate that talks to the network goes through.
//!
//! Object-safe, over `http::Request<Vec<u8>>` / `http::Response<Vec<u8>>`. Any
//! `Fn(HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>>` is a
//! transport, so tests use plain closures and need no mock-server library. Implementations
//! are expected to apply a timeout and a body-size cap and not to follow redirects.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A request with a buffered body.
pub type HttpRequest = http::Request<Vec<u8>>;
/// A response with a buffered body.
pub type HttpResponse = http::Response<Vec<u8>>;
/// The boxed future a transport returns.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Why a request did not produce a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No response within the deadline.
    #[error("request timed out")]
    Timeout,
    /// The response body exceeded the cap.
    #[error("response body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The cap in force.
        limit: usize,
    },
    /// The connection could not be made or broke.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The request was refused before sending (for example a forbidden URL scheme).
    #[error("request refused: {0}")]
    Refused(String),
    /// Any other failure.
    #[error("transport error: {0}")]
    Other(String),
}

/// Sends one HTTP request and returns the response, whatever its status.
///
/// ```
/// use ema_types::transport::{HttpClient, HttpRequest, HttpResponse, TransportError};
/// let client = |req: HttpRequest| async move {
///     assert_eq!(req.uri(), "https://as.example/.well-known/oauth-authorization-server");
///     Ok::<_, TransportError>(HttpResponse::new(b"{}".to_vec()))
/// };
/// let req = http::Request::get("https://as.example/.well-known/oauth-authorization-server")
///     .body(Vec::new())?;
/// # let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// # rt.block_on(async {
/// let res = client.send(req).await?;
/// assert_eq!(res.body(), b"{}");
/// # Ok::<(), TransportError>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait HttpClient: Send + Sync {
    /// Send `request`.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

impl<F, Fut> HttpClient for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send + 'static,
{
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(self(request))
    }
}

impl HttpClient for Arc<dyn HttpClient> {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        (**self).send(request)
    }
}

impl HttpClient for Box<dyn HttpClient> {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        (**self).send(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closures_are_transports_and_trait_is_object_safe() {
        let client: Arc<dyn HttpClient> =
            Arc::new(|_req: HttpRequest| async { Err::<HttpResponse, _>(TransportError::Timeout) });
        let req = http::Request::get("https://x.example/")
            .body(Vec::new())
            .unwrap();
        assert_eq!(client.send(req).await.unwrap_err(), TransportError::Timeout);
    }
}
