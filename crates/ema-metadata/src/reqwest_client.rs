//! [`ReqwestClient`]: an [`HttpClient`] on reqwest and rustls, hardened for talking to
//! authorization servers: no redirect followed, a total deadline, a response-body cap
//! enforced while reading, `https` only unless loopback `http` is allowed, no proxy taken
//! from the environment unless asked for.

use std::time::Duration;

use ema_types::transport::{
    HttpClient, HttpRequest, HttpResponse, TransportError, TransportFuture,
};
use url::Url;

use crate::SchemePolicy;

/// Default total deadline of a request, connection to last body byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default connection deadline.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default response-body cap (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// An [`HttpClient`] on reqwest with rustls (aws-lc-rs, platform certificate verifier).
///
/// Sends any request (any method, headers and body) and returns the response whatever its
/// status, like every [`HttpClient`]. It:
///
/// - never follows redirects (a 3xx is returned as is);
/// - applies a total deadline ([`TransportError::Timeout`]);
/// - reads the body chunk by chunk and stops at the cap ([`TransportError::BodyTooLarge`]),
///   also refusing at once a `Content-Length` over it;
/// - refuses non-`https` URLs ([`TransportError::Refused`]) unless the scheme policy allows
///   loopback `http`;
/// - does not decompress, so the cap is on bytes received.
///
/// ```no_run
/// use std::time::Duration;
/// use ema_metadata::ReqwestClient;
/// use ema_types::transport::HttpClient;
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ReqwestClient::builder()
///     .timeout(Duration::from_secs(5))
///     .max_body_bytes(256 * 1024)
///     .build()?;
/// let request = http::Request::get("https://as.toolhub.test/.well-known/oauth-authorization-server")
///     .header("accept", "application/json")
///     .body(Vec::new())?;
/// let response = client.send(request).await?;
/// assert!(response.body().len() <= 256 * 1024);
/// // With the `discovery` feature: `Discovery::new(client)`.
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
    max_body_bytes: usize,
    scheme: SchemePolicy,
}

/// Configures a [`ReqwestClient`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ReqwestClientBuilder {
    timeout: Duration,
    connect_timeout: Duration,
    max_body_bytes: usize,
    scheme: SchemePolicy,
    user_agent: Option<String>,
    use_env_proxy: bool,
}

impl Default for ReqwestClientBuilder {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            scheme: SchemePolicy::HttpsOnly,
            user_agent: None,
            use_env_proxy: false,
        }
    }
}

impl ReqwestClientBuilder {
    /// Total deadline per request, from connecting to the last body byte (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connection deadline (default 5 s; never above the total deadline).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Response-body cap in bytes (default 1 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Which URL schemes may be requested (default `https` only).
    pub fn scheme_policy(mut self, scheme: SchemePolicy) -> Self {
        self.scheme = scheme;
        self
    }

    /// `User-Agent` header (default: `ema-metadata/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Use the proxies named by `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`
    /// (default: no proxy).
    pub fn use_env_proxy(mut self, enabled: bool) -> Self {
        self.use_env_proxy = enabled;
        self
    }

    /// Build the client.
    pub fn build(self) -> Result<ReqwestClient, TransportError> {
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| concat!("ema-metadata/", env!("CARGO_PKG_VERSION")).to_owned());
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout.min(self.timeout))
            .user_agent(user_agent)
            .referer(false);
        if !self.use_env_proxy {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| TransportError::Other(format!("building the HTTP client: {e}")))?;
        Ok(ReqwestClient {
            client,
            max_body_bytes: self.max_body_bytes,
            scheme: self.scheme,
        })
    }
}

impl ReqwestClient {
    /// A client with the defaults (10 s, 1 MiB, `https` only).
    pub fn new() -> Result<Self, TransportError> {
        Self::builder().build()
    }

    /// Configure a client.
    pub fn builder() -> ReqwestClientBuilder {
        ReqwestClientBuilder::default()
    }

    /// The response-body cap in bytes.
    #[must_use]
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    async fn execute(
        client: reqwest::Client,
        scheme: SchemePolicy,
        cap: usize,
        request: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let target = request.uri().to_string();
        let url = Url::parse(&target)
            .map_err(|_| TransportError::Refused(format!("not an absolute URL: {target}")))?;
        if !scheme.permits(&url) {
            return Err(TransportError::Refused(format!(
                "scheme policy forbids {}://{}",
                url.scheme(),
                url.host_str().unwrap_or("")
            )));
        }
        let request = reqwest::Request::try_from(request)
            .map_err(|e| TransportError::Refused(format!("invalid request: {e}")))?;
        let mut response = client.execute(request).await.map_err(map_error)?;
        if response
            .content_length()
            .is_some_and(|len| len > cap as u64)
        {
            return Err(TransportError::BodyTooLarge { limit: cap });
        }
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = builder.headers_mut() {
            headers.extend(
                response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(map_error)? {
            if body.len().saturating_add(chunk.len()) > cap {
                return Err(TransportError::BodyTooLarge { limit: cap });
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body)
            .map_err(|e| TransportError::Other(format!("building the response: {e}")))
    }
}

fn map_error(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Connect(e.to_string())
    } else {
        TransportError::Other(e.to_string())
    }
}

impl HttpClient for ReqwestClient {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(Self::execute(
            self.client.clone(),
            self.scheme,
            self.max_body_bytes,
            request,
        ))
    }
}
