//! [`EmaHttpClient`]: rmcp's streamable-HTTP client trait on an ema-client [`TokenSource`].
//!
//! ```no_run
//! use ema_client::{ClientAuthMethod, ClientCredentials, IdentityProvider, ReqwestClient,
//!     StaticIdToken, TokenSource};
//! use ema_rmcp::client::EmaHttpClient;
//! use ema_types::{ClientId, Issuer, Secret};
//! use rmcp::ServiceExt;
//! use rmcp::model::ClientConfig;
//! # async fn demo(id_token: StaticIdToken) -> Result<(), Box<dyn std::error::Error>> {
//! let idp = IdentityProvider::new(
//!     Issuer::new("https://idp.example.com")?,
//!     ClientCredentials::new(ClientId::new("desk-7f3a")?, ClientAuthMethod::SecretBasic(Secret::new("idp-secret"))),
//! );
//! let tokens = TokenSource::builder(ReqwestClient::builder().build()?, id_token, idp)
//!     .authorization_server(
//!         Issuer::new("https://as.tickets.example.com")?,
//!         ClientCredentials::new(ClientId::new("cli_42b19c")?, ClientAuthMethod::SecretBasic(Secret::new("as-secret"))),
//!     )
//!     .build();
//! let transport = EmaHttpClient::new(tokens).into_transport("https://tickets.example.com/mcp");
//! let client = ClientConfig::default().serve(transport).await?;
//! let tools = client.list_all_tools().await?;
//! # let _ = tools; Ok(()) }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use ema_client::{AccessToken, Error as EmaError, TokenSource};
use ema_metadata::challenge::{Challenge, parse_www_authenticate};
use ema_types::{ErrorCode, Resource};
use futures_core::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError,
    StreamableHttpPostResponse,
};
use sse_stream::Sse;

/// An rmcp streamable-HTTP client whose every request carries an EMA access token (CL-14)
/// from a [`TokenSource`], for the MCP server the request goes to (the transport URI is
/// the resource).
///
/// Around each request to the inner client `C` (by default rmcp's `reqwest` client):
/// - a `401` drops the rejected token, gets a new one (a fresh token exchange and
///   redemption) and sends the request once more;
/// - a `403` with `error="insufficient_scope"` steps up (CL-17): the token source asks for
///   the union of the scopes held and the challenged scopes, bounded by
///   [`TokenSourceConfig::max_step_ups`](ema_client::TokenSourceConfig::max_step_ups), and
///   the request is sent again; when no step-up can help the `403` is returned.
///
/// A failure of the token flow itself is returned as [`StreamableHttpError::Io`] wrapping
/// the [`ema_client::Error`]; [`token_error`] gets it back. The `auth_header` rmcp passes
/// (its config's static token) is replaced.
#[derive(Debug, Clone)]
pub struct EmaHttpClient<C = reqwest::Client> {
    inner: C,
    tokens: TokenSource,
}

impl EmaHttpClient<reqwest::Client> {
    /// Tokens from `tokens`, HTTP through rmcp's default reqwest client (rustls on
    /// aws-lc-rs, as the workspace's reqwest is configured).
    #[must_use]
    pub fn new(tokens: TokenSource) -> Self {
        Self {
            inner: reqwest::Client::default(),
            tokens,
        }
    }
}

impl<C: StreamableHttpClient + Sync> EmaHttpClient<C> {
    /// Tokens from `tokens`, HTTP through `inner`.
    #[must_use]
    pub fn with_client(inner: C, tokens: TokenSource) -> Self {
        Self { inner, tokens }
    }

    /// The token source.
    #[must_use]
    pub fn token_source(&self) -> &TokenSource {
        &self.tokens
    }

    /// An rmcp transport to the MCP server at `uri` (its canonical URL, the resource).
    #[must_use]
    pub fn into_transport(self, uri: impl Into<Arc<str>>) -> StreamableHttpClientTransport<Self> {
        self.into_transport_with(StreamableHttpClientTransportConfig::with_uri(uri))
    }

    /// An rmcp transport configured by `config` (its `auth_header` is ignored).
    #[must_use]
    pub fn into_transport_with(
        self,
        config: StreamableHttpClientTransportConfig,
    ) -> StreamableHttpClientTransport<Self> {
        StreamableHttpClientTransport::with_client(self, config)
    }

    async fn token(
        &self,
        uri: &str,
    ) -> Result<(Resource, AccessToken), StreamableHttpError<C::Error>> {
        let resource = Resource::new(uri).map_err(|e| {
            StreamableHttpError::UnexpectedServerResponse(
                format!("the MCP server URI is not a resource: {e}").into(),
            )
        })?;
        let token = self
            .tokens
            .access_token(&resource)
            .await
            .map_err(token_failure)?;
        Ok((resource, token))
    }

    /// Run `send` with a token, handling one `401` and the step-ups.
    async fn authorized<T, F, Fut>(
        &self,
        uri: &str,
        mut send: F,
    ) -> Result<T, StreamableHttpError<C::Error>>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = Result<T, StreamableHttpError<C::Error>>>,
    {
        let (resource, mut token) = self.token(uri).await?;
        let mut renewed = false;
        loop {
            let error = match send(token.token.expose().to_owned()).await {
                Ok(done) => return Ok(done),
                Err(error) => error,
            };
            token = match &error {
                StreamableHttpError::AuthRequired(_) if !renewed => {
                    renewed = true;
                    tracing::debug!(server = %resource, "401: renewing the access token");
                    self.tokens
                        .on_unauthorized(&resource, &token)
                        .await
                        .map_err(token_failure)?
                }
                StreamableHttpError::InsufficientScope(denied) => {
                    let Some(challenge) = insufficient_scope(&denied.www_authenticate_header)
                    else {
                        return Err(error);
                    };
                    match self
                        .tokens
                        .on_insufficient_scope(&resource, &token, &challenge)
                        .await
                    {
                        Ok(stepped) => stepped,
                        Err(exhausted) => {
                            tracing::debug!(server = %resource, error = %exhausted, "no step-up possible");
                            return Err(error);
                        }
                    }
                }
                _ => return Err(error),
            };
        }
    }
}

/// The `Bearer` challenge with `error="insufficient_scope"` in a `WWW-Authenticate` value.
fn insufficient_scope(header: &str) -> Option<Challenge> {
    parse_www_authenticate(header)
        .ok()?
        .into_iter()
        .find(|c| c.error() == Some(ErrorCode::InsufficientScope))
}

fn token_failure<E>(error: EmaError) -> StreamableHttpError<E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    StreamableHttpError::Io(std::io::Error::other(error))
}

/// The token-flow failure inside an error of [`EmaHttpClient`], if that is what it is.
#[must_use]
pub fn token_error<E>(error: &StreamableHttpError<E>) -> Option<&EmaError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match error {
        StreamableHttpError::Io(io) => io.get_ref()?.downcast_ref::<EmaError>(),
        _ => None,
    }
}

impl<C: StreamableHttpClient + Sync> StreamableHttpClient for EmaHttpClient<C> {
    type Error = C::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        self.authorized(&uri, |token| {
            self.inner.post_message(
                Arc::clone(&uri),
                message.clone(),
                session_id.clone(),
                Some(token),
                custom_headers.clone(),
            )
        })
        .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        self.authorized(&uri, |token| {
            self.inner.post_message_with_max_sse_event_size(
                Arc::clone(&uri),
                message.clone(),
                session_id.clone(),
                Some(token),
                custom_headers.clone(),
                max_sse_event_size,
            )
        })
        .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.authorized(&uri, |token| {
            self.inner.delete_session(
                Arc::clone(&uri),
                Arc::clone(&session_id),
                Some(token),
                custom_headers.clone(),
            )
        })
        .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, StreamableHttpError<Self::Error>> {
        self.authorized(&uri, |token| {
            self.inner.get_stream(
                Arc::clone(&uri),
                session_id.clone(),
                last_event_id.clone(),
                Some(token),
                custom_headers.clone(),
            )
        })
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, StreamableHttpError<Self::Error>> {
        self.authorized(&uri, |token| {
            self.inner.get_stream_with_max_sse_event_size(
                Arc::clone(&uri),
                session_id.clone(),
                last_event_id.clone(),
                Some(token),
                custom_headers.clone(),
                max_sse_event_size,
            )
        })
        .await
    }
}
