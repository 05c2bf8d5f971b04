//! [`EmaOAuthHttpClient`]: an ema transport ([`ema_types::transport::HttpClient`], for
//! example [`ema_metadata::ReqwestClient`] with its scheme policy, timeout and body cap) as
//! rmcp's [`OAuthHttpClient`], so rmcp's OAuth state machine
//! ([`AuthorizationManager::new_with_oauth_http_client`](rmcp::transport::AuthorizationManager::new_with_oauth_http_client))
//! makes its requests through ema's HTTP stack.
//!
//! The reverse direction — an arbitrary rmcp [`OAuthHttpClient`] as an ema transport — is not
//! offered: rmcp 3.9 gives [`OAuthHttpRequest`] no public constructor, so nothing outside rmcp
//! can call one. rmcp's default OAuth client is reqwest, which ema's
//! [`ReqwestClient`](ema_metadata::ReqwestClient) already covers.

use std::sync::Arc;

use ema_types::transport::{HttpClient, HttpRequest, HttpResponse, TransportError};
use rmcp::transport::{
    OAuthHttpClient, OAuthHttpClientError, OAuthHttpClientFuture, OAuthHttpRedirectPolicy,
    OAuthHttpRequest,
};

/// The default number of redirects followed when rmcp asks for it.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;

/// Why [`EmaOAuthHttpClient`] refused to follow a redirect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// The `Location` is missing, not UTF-8 or not a URL.
    #[error("redirect without a usable Location")]
    BadLocation,
    /// The redirect leaves the origin of the request.
    #[error("redirect to another origin refused: {0}")]
    CrossOrigin(String),
    /// More redirects than allowed.
    #[error("more than {0} redirects")]
    TooMany(usize),
}

/// An ema transport as rmcp's OAuth HTTP client.
///
/// Requests go through `H` as they are. When rmcp asks to follow redirects
/// ([`OAuthHttpRedirectPolicy::Follow`], used for metadata discovery) only same-origin
/// redirects of `GET`/`HEAD` requests are followed, at most
/// [`EmaOAuthHttpClient::max_redirects`] times; a cross-origin one is an error. Otherwise the
/// redirect response is returned. rmcp's per-request timeout is applied on top of the
/// transport's own.
#[derive(Debug, Clone)]
pub struct EmaOAuthHttpClient<H> {
    http: H,
    max_redirects: usize,
}

impl<H: HttpClient> EmaOAuthHttpClient<H> {
    /// rmcp's OAuth requests through `http`.
    #[must_use]
    pub fn new(http: H) -> Self {
        Self {
            http,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }

    /// Follow at most `n` redirects (default [`DEFAULT_MAX_REDIRECTS`]).
    #[must_use]
    pub fn max_redirects(mut self, n: usize) -> Self {
        self.max_redirects = n;
        self
    }

    /// As an `Arc<dyn OAuthHttpClient>`, the form rmcp takes.
    #[must_use]
    pub fn into_dyn(self) -> Arc<dyn OAuthHttpClient>
    where
        H: 'static,
    {
        Arc::new(self)
    }

    async fn send(
        &self,
        mut request: HttpRequest,
        follow: bool,
    ) -> Result<HttpResponse, OAuthHttpClientError> {
        let mut redirects = 0usize;
        loop {
            let replay = follow
                && matches!(*request.method(), http::Method::GET | http::Method::HEAD)
                && redirects < self.max_redirects;
            let (method, uri, headers) = (
                request.method().clone(),
                request.uri().clone(),
                request.headers().clone(),
            );
            let response = self.http.send(request).await?;
            if !follow || !response.status().is_redirection() {
                return Ok(response);
            }
            if !replay {
                if redirects >= self.max_redirects {
                    return Err(RedirectError::TooMany(self.max_redirects).into());
                }
                return Ok(response);
            }
            let next = same_origin_location(&uri, &response)?;
            redirects = redirects.saturating_add(1);
            let mut next_request = http::Request::new(Vec::new());
            *next_request.method_mut() = method;
            *next_request.uri_mut() = next;
            *next_request.headers_mut() = headers;
            request = next_request;
        }
    }
}

/// The `Location` of `response`, resolved against `base`, when it has the same origin.
fn same_origin_location(
    base: &http::Uri,
    response: &HttpResponse,
) -> Result<http::Uri, RedirectError> {
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(RedirectError::BadLocation)?;
    let base_url = url::Url::parse(&base.to_string()).map_err(|_| RedirectError::BadLocation)?;
    let target = base_url
        .join(location)
        .map_err(|_| RedirectError::BadLocation)?;
    if target.origin() != base_url.origin() {
        return Err(RedirectError::CrossOrigin(
            target.origin().ascii_serialization(),
        ));
    }
    target
        .as_str()
        .parse()
        .map_err(|_| RedirectError::BadLocation)
}

impl<H: HttpClient> OAuthHttpClient for EmaOAuthHttpClient<H> {
    fn execute(&self, request: OAuthHttpRequest) -> OAuthHttpClientFuture<'_> {
        let follow = request.redirect_policy == OAuthHttpRedirectPolicy::Follow;
        let timeout = request.timeout;
        let send = self.send(request.request, follow);
        Box::pin(async move {
            match timeout {
                Some(limit) => tokio::time::timeout(limit, send)
                    .await
                    .map_err(|_| Box::new(TransportError::Timeout) as OAuthHttpClientError)?,
                None => send.await,
            }
        })
    }
}
