//! Typed errors: which leg failed, why, and what the caller should do about it.

use std::fmt;

use ema_metadata::IdJagSupportError;
use ema_metadata::discovery::DiscoveryError;
use ema_types::transport::TransportError;
use ema_types::{ErrorCode, ErrorResponse};

/// The step of the flow that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Leg {
    /// Protected-resource, authorization-server or IdP metadata discovery (CL-03..CL-06).
    Discovery,
    /// Obtaining or renewing the subject token (ID token or IdP refresh token, CL-16).
    SubjectToken,
    /// The OIDC authorization-code login (CL-01, CL-02).
    Login,
    /// The token exchange at the IdP (CL-07..CL-11).
    TokenExchange,
    /// Verification of the ID-JAG against the IdP's keys.
    IdJagVerification,
    /// The JWT-bearer redemption at the resource AS (CL-12).
    Redemption,
    /// The call to the MCP server with the access token (CL-14, CL-17).
    ResourceCall,
}

impl fmt::Display for Leg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Discovery => "discovery",
            Self::SubjectToken => "subject token",
            Self::Login => "login",
            Self::TokenExchange => "token exchange",
            Self::IdJagVerification => "ID-JAG verification",
            Self::Redemption => "redemption",
            Self::ResourceCall => "resource call",
        })
    }
}

/// What the caller should do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Disposition {
    /// The subject token is unusable or too weak: sign the user in again (CL-16, CL-18,
    /// OQ-09), then retry.
    ReauthenticateUser,
    /// Configuration, registration or policy is wrong; retrying will not help and the client
    /// must not fall back to interactive authorization after a policy denial (CL-22).
    FixConfiguration,
    /// A transient failure: retry later, with backoff.
    Retry,
}

/// What a renewed sign-in must satisfy (RFC 9470 §3), from an
/// `insufficient_user_authentication` error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RequiredAuthentication {
    /// Maximum age of the authentication in seconds (`0`: sign in now).
    pub max_age: Option<u64>,
    /// Requested authentication context classes, space-separated.
    pub acr_values: Option<String>,
}

/// Why a leg failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Metadata discovery failed.
    #[error(transparent)]
    Discovery(DiscoveryError),
    /// CL-06: the authorization server does not take ID-JAGs.
    #[error(transparent)]
    ProfileUnsupported(IdJagSupportError),
    /// The IdP metadata has no `token_endpoint`.
    #[error("the IdP metadata has no token_endpoint")]
    NoIdpTokenEndpoint,
    /// No credentials are configured for the authorization server with this issuer (CL-13).
    #[error("no client credentials are configured for the authorization server `{issuer}`")]
    NoCredentials {
        /// The authorization server's issuer.
        issuer: String,
    },
    /// The request could not be sent or no response came back.
    #[error(transparent)]
    Transport(TransportError),
    /// The server answered with an OAuth error response (RFC 6749 §5.2).
    #[error("HTTP {status}: {response}")]
    OAuth {
        /// The HTTP status.
        status: u16,
        /// The error response, as received.
        response: ErrorResponse,
    },
    /// The server answered with an unexpected status and no OAuth error body.
    #[error("unexpected HTTP status {status}")]
    HttpStatus {
        /// The HTTP status.
        status: u16,
    },
    /// A success response that cannot be used.
    #[error("invalid response: {0}")]
    InvalidResponse(&'static str),
    /// CL-11: `issued_token_type` is not `urn:ietf:params:oauth:token-type:id-jag`.
    #[error("CL-11: issued_token_type is `{0}`, not the ID-JAG token type")]
    WrongIssuedTokenType(String),
    /// CL-11 / CL-14: `token_type` is not the expected value (`N_A` for the exchange, `Bearer`
    /// for the redemption).
    #[error("token_type is `{found}`, expected `{expected}`")]
    WrongTokenType {
        /// The value expected.
        expected: &'static str,
        /// The value received (cut to 64 characters).
        found: String,
    },
    /// A token failed verification (ID-JAG, ID token, JWKS).
    #[error(transparent)]
    Jwt(ema_jwt::Error),
    /// The login callback is not acceptable (CL-02).
    #[error("login callback rejected: {0}")]
    Callback(&'static str),
    /// The authorization endpoint answered the login with an error.
    #[error("authorization failed: {0}")]
    AuthorizationDenied(ErrorResponse),
    /// The subject-token source has no usable token and cannot renew it.
    #[error("no usable subject token: {0}")]
    SubjectTokenUnavailable(&'static str),
    /// CL-17: step-up did not converge within the configured bound.
    #[error("CL-17: still insufficient_scope after {attempts} step-up attempts")]
    StepUpExhausted {
        /// Step-up attempts made.
        attempts: u32,
    },
    /// The MCP server rejected a freshly issued token (401 after a re-run).
    #[error("the resource server rejected a freshly issued access token")]
    TokenRejected,
    /// Invalid configuration or input.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// The random generator failed.
    #[error("the random number generator failed")]
    Randomness,
}

/// An error of the client: the [`Leg`] that failed and the [`ErrorKind`].
///
/// Neither `Display` nor `Debug` ever shows a token, an assertion or a secret (CL-20): only
/// URLs, status codes, OAuth error codes and descriptions, and rule names.
#[derive(Debug, Clone, PartialEq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq)]
struct Inner {
    leg: Leg,
    kind: ErrorKind,
}

impl Error {
    /// An error of `leg`.
    #[must_use]
    pub fn new(leg: Leg, kind: ErrorKind) -> Self {
        Self(Box::new(Inner { leg, kind }))
    }

    /// The leg that failed.
    #[must_use]
    pub fn leg(&self) -> Leg {
        self.0.leg
    }

    /// Why.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The OAuth error response, when the server sent one.
    #[must_use]
    pub fn oauth_error(&self) -> Option<&ErrorResponse> {
        match &self.0.kind {
            ErrorKind::OAuth { response, .. } | ErrorKind::AuthorizationDenied(response) => {
                Some(response)
            }
            _ => None,
        }
    }

    /// CL-18 (RFC 9470): when the IdP answered `insufficient_user_authentication`, what the
    /// new sign-in must satisfy: `max_age` and `acr_values`, each when the IdP named it.
    /// Pass them to the login (for example `OidcLoginConfig::with_param`).
    #[must_use]
    pub fn required_authentication(&self) -> Option<RequiredAuthentication> {
        let response = self.oauth_error()?;
        if response.error != ErrorCode::InsufficientUserAuthentication {
            return None;
        }
        Some(RequiredAuthentication {
            max_age: response
                .extra
                .get("max_age")
                .and_then(serde_json::Value::as_u64),
            acr_values: response
                .extra
                .get("acr_values")
                .and_then(serde_json::Value::as_str)
                .map(|s| truncate(s, 256)),
        })
    }

    /// CL-06 / CL-22: whether the client may fall back to the interactive authorization-code
    /// flow at the authorization server. Only when the profile is not supported; never after
    /// a policy denial or any other failure.
    #[must_use]
    pub fn interactive_fallback_permitted(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::ProfileUnsupported(IdJagSupportError::ProfileNotListed)
        )
    }

    /// Whether the caller should re-authenticate the user, fix configuration, or retry.
    #[must_use]
    pub fn disposition(&self) -> Disposition {
        match &self.0.kind {
            ErrorKind::Discovery(e) => discovery_disposition(e),
            ErrorKind::Transport(e) => transport_disposition(e),
            ErrorKind::OAuth { status, response } => {
                oauth_disposition(self.0.leg, *status, &response.error)
            }
            ErrorKind::HttpStatus { status } if *status >= 500 || *status == 429 => {
                Disposition::Retry
            }
            ErrorKind::SubjectTokenUnavailable(_) | ErrorKind::Callback(_) => {
                Disposition::ReauthenticateUser
            }
            ErrorKind::AuthorizationDenied(r) => match r.error {
                ErrorCode::TemporarilyUnavailable | ErrorCode::ServerError => Disposition::Retry,
                ErrorCode::AccessDenied => Disposition::ReauthenticateUser,
                _ => Disposition::FixConfiguration,
            },
            ErrorKind::Jwt(e) if self.0.leg == Leg::SubjectToken || self.0.leg == Leg::Login => {
                // An expired or unverifiable ID token: sign in again.
                let _ = e;
                Disposition::ReauthenticateUser
            }
            ErrorKind::Randomness => Disposition::Retry,
            _ => Disposition::FixConfiguration,
        }
    }
}

fn transport_disposition(e: &TransportError) -> Disposition {
    match e {
        TransportError::Refused(_) => Disposition::FixConfiguration,
        _ => Disposition::Retry,
    }
}

fn discovery_disposition(e: &DiscoveryError) -> Disposition {
    match e {
        DiscoveryError::Timeout { .. } | DiscoveryError::BodyTooLarge { .. } => Disposition::Retry,
        DiscoveryError::Transport { error, .. } => transport_disposition(error),
        DiscoveryError::HttpStatus { status, .. } if *status >= 500 || *status == 429 => {
            Disposition::Retry
        }
        _ => Disposition::FixConfiguration,
    }
}

fn oauth_disposition(leg: Leg, status: u16, code: &ErrorCode) -> Disposition {
    match code {
        ErrorCode::TemporarilyUnavailable | ErrorCode::ServerError => Disposition::Retry,
        ErrorCode::InsufficientUserAuthentication => Disposition::ReauthenticateUser,
        // OQ-09: from the exchange (or an IdP refresh), the subject token is unusable.
        ErrorCode::InvalidRequest | ErrorCode::InvalidGrant
            if matches!(leg, Leg::TokenExchange | Leg::SubjectToken | Leg::Login) =>
        {
            Disposition::ReauthenticateUser
        }
        _ if status >= 500 => Disposition::Retry,
        // invalid_client, unauthorized_client, invalid_target, invalid_scope (policy denial,
        // CL-22), and an ID-JAG the AS refuses (invalid_grant at redemption).
        _ => Disposition::FixConfiguration,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.0.leg, self.0.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Discovery(e) => Some(e),
            ErrorKind::Transport(e) => Some(e),
            ErrorKind::Jwt(e) => Some(e),
            ErrorKind::ProfileUnsupported(e) => Some(e),
            _ => None,
        }
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth(leg: Leg, status: u16, code: ErrorCode) -> Error {
        Error::new(
            leg,
            ErrorKind::OAuth {
                status,
                response: ErrorResponse::new(code),
            },
        )
    }

    #[test]
    fn oq_09_cl_18_cl_22_dispositions() {
        use Disposition::*;
        let te = Leg::TokenExchange;
        assert_eq!(
            oauth(te, 400, ErrorCode::InvalidGrant).disposition(),
            ReauthenticateUser
        );
        assert_eq!(
            oauth(te, 400, ErrorCode::InvalidRequest).disposition(),
            ReauthenticateUser
        );
        assert_eq!(
            oauth(te, 400, ErrorCode::InsufficientUserAuthentication).disposition(),
            ReauthenticateUser
        );
        for code in [
            ErrorCode::InvalidClient,
            ErrorCode::UnauthorizedClient,
            ErrorCode::InvalidTarget,
            ErrorCode::InvalidScope,
        ] {
            let e = oauth(te, 400, code);
            assert_eq!(e.disposition(), FixConfiguration);
            assert!(!e.interactive_fallback_permitted());
        }
        assert_eq!(
            oauth(te, 503, ErrorCode::TemporarilyUnavailable).disposition(),
            Retry
        );
        assert_eq!(
            oauth(Leg::Redemption, 400, ErrorCode::InvalidGrant).disposition(),
            FixConfiguration
        );
        assert_eq!(
            Error::new(te, ErrorKind::Transport(TransportError::Timeout)).disposition(),
            Retry
        );
        let unsupported = Error::new(
            Leg::Discovery,
            ErrorKind::ProfileUnsupported(IdJagSupportError::ProfileNotListed),
        );
        assert!(unsupported.interactive_fallback_permitted());
    }

    #[test]
    fn display_names_leg_and_oauth_error() {
        let e = Error::new(
            Leg::TokenExchange,
            ErrorKind::OAuth {
                status: 400,
                response: ErrorResponse::new(ErrorCode::InvalidTarget)
                    .with_description("resource not permitted for this client"),
            },
        );
        let s = e.to_string();
        assert!(s.starts_with("token exchange failed"), "{s}");
        assert!(s.contains("invalid_target"), "{s}");
        assert_eq!(
            e.oauth_error().map(|r| r.error.clone()),
            Some(ErrorCode::InvalidTarget)
        );
    }
}
