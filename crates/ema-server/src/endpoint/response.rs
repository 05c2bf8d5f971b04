//! JSON responses of token endpoints.

use http::StatusCode;
use serde::Serialize;

use super::HttpResponse;

/// A JSON response with `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1),
/// which every token-endpoint answer carries, success or error.
#[must_use]
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    let (status, bytes) = match serde_json::to_vec(body) {
        Ok(bytes) => (status, bytes),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"error":"server_error"}"#.to_vec(),
        ),
    };
    let mut response = HttpResponse::new(bytes);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        http::header::PRAGMA,
        http::HeaderValue::from_static("no-cache"),
    );
    response
}
