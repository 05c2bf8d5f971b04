//! One token endpoint, several grants: dispatch on `grant_type`.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use ema_types::{ErrorCode, Form, grant_type};

use super::{HttpRequest, HttpResponse, Rejection, preflight};

/// A handler for one grant type at a token endpoint. The request has passed [`preflight`];
/// `form` is its decoded body.
#[async_trait]
pub trait GrantHandler: Send + Sync {
    /// Handle the request.
    async fn handle(&self, request: &HttpRequest, form: &Form) -> HttpResponse;
}

/// A token endpoint serving several grant types: the EMA handlers of this crate next to the
/// application's own (authorization code, refresh token, …). Unknown grants are answered with
/// `unsupported_grant_type` (RFC 6749 §5.2).
///
/// ```
/// # use std::sync::Arc;
/// # use async_trait::async_trait;
/// # use ema_server::endpoint::{GrantHandler, HttpRequest, HttpResponse, TokenEndpoint, json_response};
/// # use ema_types::Form;
/// struct MyAuthorizationCodeGrant;
/// #[async_trait]
/// impl GrantHandler for MyAuthorizationCodeGrant {
///     async fn handle(&self, _: &HttpRequest, _: &Form) -> HttpResponse {
///         json_response(http::StatusCode::OK, &serde_json::json!({"access_token": "…"}))
///     }
/// }
/// let endpoint = TokenEndpoint::new().with_grant("authorization_code", Arc::new(MyAuthorizationCodeGrant));
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let request = http::Request::post("/token")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(b"grant_type=password&username=a".to_vec())?;
/// let response = rt.block_on(endpoint.handle(request));
/// assert_eq!(response.status(), 400);
/// assert_eq!(response.body(), br#"{"error":"unsupported_grant_type"}"#);
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct TokenEndpoint {
    grants: HashMap<String, Arc<dyn GrantHandler>>,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.grants.keys().collect();
        names.sort();
        f.debug_struct("TokenEndpoint")
            .field("grants", &names)
            .finish()
    }
}

impl TokenEndpoint {
    /// An endpoint with no grants.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve `grant_type` with `handler` (replacing any previous handler for it).
    #[must_use]
    pub fn with_grant(mut self, grant_type: &str, handler: Arc<dyn GrantHandler>) -> Self {
        self.grants.insert(grant_type.to_owned(), handler);
        self
    }

    /// The grant types served.
    pub fn grant_types(&self) -> impl Iterator<Item = &str> {
        self.grants.keys().map(String::as_str)
    }

    /// Preflight, read `grant_type`, dispatch.
    pub async fn handle(&self, request: HttpRequest) -> HttpResponse {
        let form = match preflight(&request) {
            Ok(form) => form,
            Err(rejection) => return rejection.into_response(),
        };
        let grant = match grant_type(&form) {
            Ok(g) => g,
            Err(e) => return Rejection::from(e).into_response(),
        };
        match self.grants.get(grant) {
            Some(handler) => handler.handle(&request, &form).await,
            None => Rejection::new(ErrorCode::UnsupportedGrantType, "grant type not served")
                .into_response(),
        }
    }
}
