//! OAuth error codes and the RFC 6749 §5.2 error response.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An OAuth error code. Covers every code the digest names; unknown codes are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request` (RFC 6749 §5.2).
    InvalidRequest,
    /// `invalid_client` (RFC 6749 §5.2).
    InvalidClient,
    /// `invalid_grant` (RFC 6749 §5.2).
    InvalidGrant,
    /// `unauthorized_client` (RFC 6749 §5.2).
    UnauthorizedClient,
    /// `unsupported_grant_type` (RFC 6749 §5.2).
    UnsupportedGrantType,
    /// `invalid_scope` (RFC 6749 §5.2).
    InvalidScope,
    /// `invalid_target` (RFC 8707 §2).
    InvalidTarget,
    /// `access_denied` (RFC 6749 §4.1.2.1).
    AccessDenied,
    /// `unsupported_response_type` (RFC 6749 §4.1.2.1).
    UnsupportedResponseType,
    /// `server_error` (RFC 6749 §4.1.2.1).
    ServerError,
    /// `temporarily_unavailable` (RFC 6749 §4.1.2.1).
    TemporarilyUnavailable,
    /// `invalid_token` (RFC 6750 §3.1).
    InvalidToken,
    /// `insufficient_scope` (RFC 6750 §3.1).
    InsufficientScope,
    /// `insufficient_user_authentication` (RFC 9470 §3).
    InsufficientUserAuthentication,
    /// `invalid_dpop_proof` (RFC 9449 §5).
    InvalidDpopProof,
    /// `use_dpop_nonce` (RFC 9449 §8).
    UseDpopNonce,
    /// `invalid_authorization_details` (RFC 9396 §5).
    InvalidAuthorizationDetails,
    /// Any other code, kept verbatim.
    Other(String),
}

impl ErrorCode {
    /// The wire value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InsufficientUserAuthentication => "insufficient_user_authentication",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::InvalidAuthorizationDetails => "invalid_authorization_details",
            Self::Other(s) => s,
        }
    }

    /// Parse a wire value; unknown codes become [`ErrorCode::Other`].
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "invalid_target" => Self::InvalidTarget,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "invalid_token" => Self::InvalidToken,
            "insufficient_scope" => Self::InsufficientScope,
            "insufficient_user_authentication" => Self::InsufficientUserAuthentication,
            "invalid_dpop_proof" => Self::InvalidDpopProof,
            "use_dpop_nonce" => Self::UseDpopNonce,
            "invalid_authorization_details" => Self::InvalidAuthorizationDetails,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The HTTP status a token endpoint answers this code with (RFC 6749 §5.2: 400, and 401
    /// for `invalid_client` when the client authenticated through the `Authorization` header;
    /// the caller decides that case), or a resource server (RFC 6750 §3.1: 401 `invalid_token`,
    /// 403 `insufficient_scope`).
    #[must_use]
    pub fn default_status(&self) -> u16 {
        match self {
            Self::InvalidToken => 401,
            Self::InsufficientScope | Self::AccessDenied => 403,
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::parse(&s))
    }
}

/// An RFC 6749 §5.2 error response body.
///
/// Extension members (RFC 9470 `max_age` and `acr_values` for
/// `insufficient_user_authentication`, and any other) are kept in [`ErrorResponse::extra`].
///
/// ```
/// use ema_types::{ErrorCode, ErrorResponse};
/// let e = ErrorResponse::new(ErrorCode::InvalidTarget)
///     .with_description("resource not permitted for this client");
/// let json = serde_json::to_string(&e)?;
/// assert_eq!(json, r#"{"error":"invalid_target","error_description":"resource not permitted for this client"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The error code.
    pub error: ErrorCode,
    /// Human-readable detail (RFC 6749 §5.2 restricts it to `%x20-21 / %x23-5B / %x5D-7E`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// A page about the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ErrorResponse {
    /// An error response with only a code.
    #[must_use]
    pub fn new(error: ErrorCode) -> Self {
        Self {
            error,
            error_description: None,
            error_uri: None,
            extra: serde_json::Map::new(),
        }
    }

    /// Add a description; characters RFC 6749 §5.2 does not allow are replaced by `?`.
    #[must_use]
    pub fn with_description(mut self, description: impl AsRef<str>) -> Self {
        self.error_description = Some(
            description
                .as_ref()
                .chars()
                .map(|c| match c {
                    '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
                    _ => '?',
                })
                .collect(),
        );
        self
    }

    /// Add an extension member.
    #[must_use]
    pub fn with_member(mut self, name: &str, value: serde_json::Value) -> Self {
        self.extra.insert(name.to_owned(), value);
        self
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {d}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&str; 17] = [
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_target",
        "access_denied",
        "unsupported_response_type",
        "server_error",
        "temporarily_unavailable",
        "invalid_token",
        "insufficient_scope",
        "insufficient_user_authentication",
        "invalid_dpop_proof",
        "use_dpop_nonce",
        "invalid_authorization_details",
    ];

    #[test]
    fn every_digest_code_round_trips_as_a_known_variant() {
        for code in ALL {
            let parsed = ErrorCode::parse(code);
            assert!(!matches!(parsed, ErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.as_str(), code);
        }
        assert_eq!(
            ErrorCode::parse("vendor_specific"),
            ErrorCode::Other("vendor_specific".into())
        );
    }

    #[test]
    fn idp_19_step_up_members_are_kept() {
        let body = r#"{"error":"insufficient_user_authentication","error_description":"MFA required","max_age":0}"#;
        let e: ErrorResponse = serde_json::from_str(body).unwrap();
        assert_eq!(e.error, ErrorCode::InsufficientUserAuthentication);
        assert_eq!(e.extra.get("max_age"), Some(&serde_json::json!(0)));
        assert_eq!(serde_json::to_string(&e).unwrap(), body);
    }

    #[test]
    fn description_charset_is_enforced() {
        let e = ErrorResponse::new(ErrorCode::InvalidGrant).with_description("bad \"x\"\n\\");
        assert_eq!(e.error_description.as_deref(), Some("bad ?x???"));
    }
}
