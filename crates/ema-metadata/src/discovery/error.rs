//! Discovery errors: each names the URL and the rule that failed.

use ema_types::transport::TransportError;

use crate::document::DocumentError;
use crate::validation::ValidationError;
use crate::well_known::WellKnownError;

/// One metadata URL that answered with a 4xx status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// The URL.
    pub url: String,
    /// The HTTP status.
    pub status: u16,
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.url, self.status)
    }
}

fn list(attempts: &[Attempt]) -> String {
    attempts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Discovery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// A URL to be contacted is not `https` (loopback `http` needs a development policy).
    #[error("{what} `{url}` is not an https URL")]
    InsecureUrl {
        /// What the URL is (`resource`, `resource_metadata`, `authorization server`).
        what: &'static str,
        /// The URL.
        url: String,
    },
    /// CL-03: the challenge's `resource_metadata` is not an absolute URL without fragment.
    #[error("CL-03: resource_metadata `{value}` is not a valid URL")]
    InvalidResourceMetadataUrl {
        /// The value, cut to 256 characters.
        value: String,
    },
    /// No well-known URL can be built from the identifier (META-01, META-04).
    #[error("no well-known URL can be built from `{identifier}`: {error}")]
    WellKnown {
        /// The resource or issuer identifier.
        identifier: String,
        /// Why.
        error: WellKnownError,
    },
    /// The URL cannot be sent as an HTTP request target.
    #[error("`{url}` cannot be used as a request URL")]
    InvalidRequestUrl {
        /// The URL.
        url: String,
    },
    /// The transport timed out.
    #[error("request to `{url}` timed out")]
    Timeout {
        /// The URL.
        url: String,
    },
    /// The response body is over the size cap.
    #[error("response from `{url}` is over {limit} bytes")]
    BodyTooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// The transport failed otherwise.
    #[error("request to `{url}` failed: {error}")]
    Transport {
        /// The URL.
        url: String,
        /// The transport's error.
        error: TransportError,
    },
    /// The server answered with a redirect, which discovery never follows.
    #[error("`{url}` answered {status} (redirect to {location:?}); redirects are not followed")]
    Redirect {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// The server answered with a status that is neither 200 nor a 4xx to fall through on
    /// (5xx, 1xx, other 2xx).
    #[error("`{url}` answered {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// The response is not `application/json`.
    #[error("`{url}` answered with content type {found:?}, not application/json")]
    ContentType {
        /// The URL.
        url: String,
        /// The `Content-Type` found, if any (cut to 128 characters).
        found: Option<String>,
    },
    /// The document cannot be read.
    #[error("document at `{url}`: {error}")]
    Document {
        /// The URL.
        url: String,
        /// Why.
        error: DocumentError,
    },
    /// The document must not be used (META-03, META-05, https, RS-01).
    #[error("document at `{url}`: {error}")]
    Invalid {
        /// The URL.
        url: String,
        /// Which check failed.
        error: ValidationError,
    },
    /// META-02: every protected-resource metadata URL answered with a 4xx status.
    #[error(
        "META-02: no protected-resource metadata for `{resource}`; tried {}",
        list(attempts)
    )]
    ProtectedResourceMetadataNotFound {
        /// The requested resource.
        resource: String,
        /// The URLs tried, in order.
        attempts: Vec<Attempt>,
    },
    /// META-04: every authorization-server metadata URL answered with a 4xx status.
    #[error(
        "META-04: no authorization-server metadata for `{issuer}`; tried {}",
        list(attempts)
    )]
    AuthorizationServerMetadataNotFound {
        /// The issuer.
        issuer: String,
        /// The URLs tried, in order.
        attempts: Vec<Attempt>,
    },
    /// CL-05: the selector picked no authorization server from the document at `url`.
    #[error("CL-05: no acceptable authorization server in `{url}`")]
    NoAuthorizationServerSelected {
        /// The protected-resource metadata URL.
        url: String,
    },
    /// CL-05: the selector returned an issuer the document does not list.
    #[error("CL-05: selected authorization server `{issuer}` is not listed")]
    SelectedIssuerNotListed {
        /// The issuer returned.
        issuer: String,
    },
}

impl DiscoveryError {
    /// The URL the error is about, when it is about one.
    #[must_use]
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::InsecureUrl { url, .. }
            | Self::InvalidRequestUrl { url }
            | Self::Timeout { url }
            | Self::BodyTooLarge { url, .. }
            | Self::Transport { url, .. }
            | Self::Redirect { url, .. }
            | Self::HttpStatus { url, .. }
            | Self::ContentType { url, .. }
            | Self::Document { url, .. }
            | Self::Invalid { url, .. }
            | Self::NoAuthorizationServerSelected { url } => Some(url),
            Self::InvalidResourceMetadataUrl { .. }
            | Self::WellKnown { .. }
            | Self::ProtectedResourceMetadataNotFound { .. }
            | Self::AuthorizationServerMetadataNotFound { .. }
            | Self::SelectedIssuerNotListed { .. } => None,
        }
    }

    pub(crate) fn from_transport(url: &str, error: TransportError) -> Self {
        match error {
            TransportError::Timeout => Self::Timeout {
                url: url.to_owned(),
            },
            TransportError::BodyTooLarge { limit } => Self::BodyTooLarge {
                url: url.to_owned(),
                limit,
            },
            error => Self::Transport {
                url: url.to_owned(),
                error,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_url_and_rule() {
        let e = DiscoveryError::Invalid {
            url: "https://as.example/.well-known/oauth-authorization-server".into(),
            error: ValidationError::IssuerMismatch {
                expected: "https://as.example".into(),
                found: "https://evil.example".into(),
            },
        };
        let text = e.to_string();
        assert!(text.contains("https://as.example/.well-known/oauth-authorization-server"));
        assert!(text.contains("META-05"));
        assert_eq!(
            e.url(),
            Some("https://as.example/.well-known/oauth-authorization-server")
        );
        let e = DiscoveryError::ProtectedResourceMetadataNotFound {
            resource: "https://h/mcp".into(),
            attempts: vec![
                Attempt {
                    url: "https://h/a".into(),
                    status: 404,
                },
                Attempt {
                    url: "https://h/b".into(),
                    status: 410,
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "META-02: no protected-resource metadata for `https://h/mcp`; tried https://h/a (404), https://h/b (410)"
        );
        assert_eq!(e.url(), None);
    }

    #[test]
    fn transport_errors_map_to_their_own_variants() {
        assert_eq!(
            DiscoveryError::from_transport("u", TransportError::Timeout),
            DiscoveryError::Timeout { url: "u".into() }
        );
        assert_eq!(
            DiscoveryError::from_transport("u", TransportError::BodyTooLarge { limit: 7 }),
            DiscoveryError::BodyTooLarge {
                url: "u".into(),
                limit: 7
            }
        );
        assert_eq!(
            DiscoveryError::from_transport("u", TransportError::Connect("refused".into())),
            DiscoveryError::Transport {
                url: "u".into(),
                error: TransportError::Connect("refused".into())
            }
        );
    }
}
