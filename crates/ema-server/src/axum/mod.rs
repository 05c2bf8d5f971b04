//! axum adapters (feature `axum`): the resource AS router (token endpoint, JWKS, RFC 8414
//! metadata) and the generic conversions between axum and the sans-IO handlers.
//!
//! Adapters only convert: the body is read with a size bound into an
//! `http::Request<Vec<u8>>`, handed to the sans-IO handler, and its `http::Response<Vec<u8>>`
//! is returned as is.

use std::sync::Arc;

use ::axum::Router;
use ::axum::body::Body;
use ::axum::extract::Request;
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{any, get};
use ema_metadata::AuthorizationServerMetadata;
use ema_types::ErrorCode;
use http::StatusCode;

use crate::ConfigError;
use crate::endpoint::{
    HttpRequest, HttpResponse, MAX_TOKEN_REQUEST_BYTES, Rejection, TokenEndpoint,
};
use crate::signing::SigningKeys;

/// Read an axum request into a buffered `http::Request<Vec<u8>>`, refusing bodies over
/// `limit` bytes with 413 (`invalid_request`, `Cache-Control: no-store`).
pub async fn buffer_request(request: Request, limit: usize) -> Result<HttpRequest, Response> {
    let (parts, body) = request.into_parts();
    match ::axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(HttpRequest::from_parts(parts, bytes.to_vec())),
        Err(_) => Err(into_axum(
            Rejection::new(ErrorCode::InvalidRequest, "body too large or unreadable")
                .with_status(StatusCode::PAYLOAD_TOO_LARGE)
                .into_response(),
        )),
    }
}

/// Turn a sans-IO response into an axum response.
#[must_use]
pub fn into_axum(response: HttpResponse) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::from(body))
}

/// Serve `endpoint` from an axum handler: bounded body read, then
/// [`TokenEndpoint::handle`]. Answers 405 with `Allow: POST` to other methods.
pub async fn serve_token_endpoint(endpoint: &TokenEndpoint, request: Request) -> Response {
    let request = match buffer_request(request, MAX_TOKEN_REQUEST_BYTES).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let mut response = endpoint.handle(request).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static("POST"));
    }
    into_axum(response)
}

fn json_document(bytes: Vec<u8>) -> Response {
    (
        [
            (http::header::CONTENT_TYPE, "application/json"),
            (http::header::CACHE_CONTROL, "public, max-age=300"),
        ],
        bytes,
    )
        .into_response()
}

/// Builds the axum [`Router`] of a resource AS: `POST` token endpoint, `GET` JWKS and `GET`
/// RFC 8414 metadata at the path-inserted well-known URL of the issuer. Paths come from the
/// metadata document (`token_endpoint`, `jwks_uri`, `issuer`).
///
/// The token endpoint is a [`TokenEndpoint`]: serve the jwt-bearer grant
/// ([`crate::authorization_server::JwtBearerGrant`]) next to the application's own grants.
#[derive(Debug, Clone)]
pub struct AuthorizationServerRouter {
    endpoint: TokenEndpoint,
    signing: SigningKeys,
    metadata: AuthorizationServerMetadata,
}

impl AuthorizationServerRouter {
    /// A router serving `endpoint`, publishing the keys of `signing` and `metadata`.
    #[must_use]
    pub fn new(
        endpoint: TokenEndpoint,
        signing: SigningKeys,
        metadata: AuthorizationServerMetadata,
    ) -> Self {
        Self {
            endpoint,
            signing,
            metadata,
        }
    }

    /// Build the router.
    ///
    /// # Errors
    ///
    /// When the metadata lacks `token_endpoint` or `jwks_uri`, their paths collide, or the
    /// metadata cannot be serialized.
    pub fn build(self) -> Result<Router, ConfigError> {
        let token_path = self
            .metadata
            .token_endpoint
            .as_ref()
            .ok_or_else(|| ConfigError::new("metadata has no token_endpoint"))?
            .path()
            .to_owned();
        let jwks_path = self
            .metadata
            .jwks_uri
            .as_ref()
            .ok_or_else(|| ConfigError::new("metadata has no jwks_uri"))?
            .path()
            .to_owned();
        let metadata_path =
            ema_metadata::well_known::authorization_server_metadata_url(&self.metadata.issuer)
                .map_err(|e| ConfigError::new(e.to_string()))?
                .path()
                .to_owned();
        if token_path == jwks_path || token_path == metadata_path || jwks_path == metadata_path {
            return Err(ConfigError::new(
                "token endpoint, JWKS and metadata paths must differ",
            ));
        }
        let metadata_json = self
            .metadata
            .to_json()
            .map_err(|e| ConfigError::new(e.to_string()))?;
        let endpoint = Arc::new(self.endpoint);
        let signing = self.signing;
        Ok(Router::new()
            .route(
                &token_path,
                any(move |request: Request| {
                    let endpoint = Arc::clone(&endpoint);
                    async move { serve_token_endpoint(&endpoint, request).await }
                }),
            )
            .route(
                &jwks_path,
                get(move || {
                    let jwks = serde_json::to_vec(&signing.jwks());
                    async move {
                        match jwks {
                            Ok(bytes) => json_document(bytes),
                            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                        }
                    }
                }),
            )
            .route(
                &metadata_path,
                get(move || {
                    let body = metadata_json.clone();
                    async move { json_document(body) }
                }),
            ))
    }
}
