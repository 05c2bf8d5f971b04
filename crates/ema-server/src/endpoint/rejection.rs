//! A refused token request: what goes on the wire and what goes to the log.

use ema_types::{ErrorCode, ErrorResponse};
use http::StatusCode;

use super::HttpResponse;
use super::response::json_response;

/// A refused request. The wire gets the OAuth `code` (RFC 6749 §5.2), a fixed description and
/// the status; `log_reason` holds the precise reason for `tracing` and never reaches the wire
/// (AS-19). Neither carries token or secret material.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Rejection {
    /// The OAuth error code.
    pub code: ErrorCode,
    /// The HTTP status.
    pub status: StatusCode,
    /// `error_description` on the wire (uniform per code where the digest asks for it).
    pub description: Option<&'static str>,
    /// A `WWW-Authenticate` value (401 `invalid_client` after Basic authentication, IDP-02).
    pub www_authenticate: Option<String>,
    /// Extension members (RFC 9470 `max_age`, `acr_values`).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The precise reason, for logs only.
    pub log_reason: String,
}

impl Rejection {
    /// A rejection with `code` and the status that code takes by default (400 for token errors).
    #[must_use]
    pub fn new(code: ErrorCode, log_reason: impl Into<String>) -> Self {
        let status = StatusCode::from_u16(code.default_status()).unwrap_or(StatusCode::BAD_REQUEST);
        Self {
            code,
            status,
            description: None,
            www_authenticate: None,
            extra: serde_json::Map::new(),
            log_reason: log_reason.into(),
        }
    }

    /// Set the wire description.
    #[must_use]
    pub fn describe(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }

    /// Set the status.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Answer 401 with `WWW-Authenticate` (IDP-02, AS-02: the client used the `Authorization`
    /// header, so the challenge names that scheme).
    #[must_use]
    pub fn with_challenge(mut self, www_authenticate: impl Into<String>) -> Self {
        self.status = StatusCode::UNAUTHORIZED;
        self.www_authenticate = Some(www_authenticate.into());
        self
    }

    /// Add an extension member.
    #[must_use]
    pub fn with_member(mut self, name: &str, value: serde_json::Value) -> Self {
        self.extra.insert(name.to_owned(), value);
        self
    }

    /// Render: RFC 6749 §5.2 JSON, `Cache-Control: no-store`, `Pragma: no-cache` (IDP-18).
    #[must_use]
    pub fn into_response(self) -> HttpResponse {
        tracing::info!(error = %self.code, status = self.status.as_u16(), reason = %self.log_reason, "token request refused");
        let mut body = ErrorResponse::new(self.code);
        if let Some(d) = self.description {
            body = body.with_description(d);
        }
        body.extra = self.extra;
        let mut response = json_response(self.status, &body);
        if let Some(challenge) = self.www_authenticate
            && let Ok(value) = http::HeaderValue::from_str(&challenge)
        {
            response
                .headers_mut()
                .insert(http::header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl From<ema_types::FormError> for Rejection {
    fn from(e: ema_types::FormError) -> Self {
        Self::new(e.error_code(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idp_18_error_shape() {
        let r = Rejection::new(ErrorCode::InvalidClient, "bad secret")
            .with_challenge("Basic realm=\"as\"")
            .into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"as\"");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.body(), br#"{"error":"invalid_client"}"#);
        assert!(!String::from_utf8_lossy(r.body()).contains("bad secret"));
    }
}
