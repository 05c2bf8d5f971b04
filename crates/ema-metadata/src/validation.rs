//! Validation of documents on receipt: what must hold before a client uses a document, and
//! the policy it is checked under.

use ema_types::Resource;
use url::Url;

use crate::SchemePolicy;

/// How received documents are checked.
///
/// ```
/// use ema_metadata::{SchemePolicy, ValidationPolicy};
/// let strict = ValidationPolicy::default();
/// assert_eq!(strict.scheme, SchemePolicy::HttpsOnly);
/// let dev = ValidationPolicy::development();
/// assert_eq!(dev.scheme, SchemePolicy::AllowLoopbackHttp);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationPolicy {
    /// Which URL schemes are acceptable (default: `https` only).
    pub scheme: SchemePolicy,
    /// Resource identifiers a protected-resource metadata document may name instead of the
    /// requested URL, when the requested URL lies under them (OQ-12; empty by default, which
    /// is the strict RFC 9728 §3.3 rule).
    pub accepted_resource_prefixes: Vec<Resource>,
}

impl ValidationPolicy {
    /// The strict policy: `https` only, exact resource match.
    #[must_use]
    pub fn strict() -> Self {
        Self::default()
    }

    /// Development: also `http` on loopback hosts. Never use in production.
    #[must_use]
    pub fn development() -> Self {
        Self {
            scheme: SchemePolicy::AllowLoopbackHttp,
            accepted_resource_prefixes: Vec::new(),
        }
    }

    /// Use `scheme`.
    #[must_use]
    pub fn with_scheme(mut self, scheme: SchemePolicy) -> Self {
        self.scheme = scheme;
        self
    }

    /// Also accept a document naming `prefix` for requested URLs under it (OQ-12).
    #[must_use]
    pub fn accept_resource_prefix(mut self, prefix: Resource) -> Self {
        self.accepted_resource_prefixes.push(prefix);
        self
    }
}

/// A received document must not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// META-05 (RFC 8414 §3.3): `issuer` differs from the issuer the URL was built from.
    #[error("META-05: issuer `{found}` is not the expected `{expected}`")]
    IssuerMismatch {
        /// The issuer the metadata URL was built from.
        expected: String,
        /// The document's `issuer`.
        found: String,
    },
    /// META-03 (RFC 9728 §3.3): `resource` differs from the identifier the document was
    /// fetched for.
    #[error("META-03: resource `{found}` is not the expected `{expected}`")]
    ResourceMismatch {
        /// What the document had to name.
        expected: String,
        /// The document's `resource`.
        found: String,
    },
    /// An issuer, resource or endpoint URL is not `https` (or loopback `http` in development).
    #[error("{member} `{url}` is not an https URL")]
    InsecureUrl {
        /// The member holding the URL.
        member: &'static str,
        /// The URL.
        url: String,
    },
    /// An endpoint URL has a fragment (RFC 6749 §3.1, §3.2).
    #[error("{member} `{url}` has a fragment")]
    EndpointFragment {
        /// The member holding the URL.
        member: &'static str,
        /// The URL.
        url: String,
    },
    /// The protected-resource metadata lists no authorization server (RS-01: MCP requires at
    /// least one).
    #[error("RS-01: authorization_servers is empty")]
    NoAuthorizationServers,
}

impl ValidationError {
    /// The requirement the check implements: a digest ID, or the RFC section.
    #[must_use]
    pub fn requirement(&self) -> &'static str {
        match self {
            Self::IssuerMismatch { .. }
            | Self::InsecureUrl {
                member: "issuer", ..
            } => "META-05",
            Self::ResourceMismatch { .. } => "META-03",
            Self::InsecureUrl { .. } => "RFC 8414 §2, RFC 9728 §2 (https)",
            Self::EndpointFragment { .. } => "RFC 6749 §3.1",
            Self::NoAuthorizationServers => "RS-01",
        }
    }
}

/// Check that an optional endpoint URL is acceptable under `scheme`, with no fragment.
pub(crate) fn check_endpoint(
    member: &'static str,
    url: Option<&Url>,
    scheme: SchemePolicy,
) -> Result<(), ValidationError> {
    let Some(url) = url else { return Ok(()) };
    if !scheme.permits(url) {
        return Err(ValidationError::InsecureUrl {
            member,
            url: url.to_string(),
        });
    }
    if url.fragment().is_some() {
        return Err(ValidationError::EndpointFragment {
            member,
            url: url.to_string(),
        });
    }
    Ok(())
}
