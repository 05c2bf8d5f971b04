//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1) for Bearer (RFC 6750 §3, RFC 9728 §5.1)
//! and DPoP (RFC 9449 §7.1): parse, read, build, format.
//!
//! Parsing accepts several challenges in one header value and across several header fields,
//! quoted strings with backslash escapes, token68 credentials, any mix of case in scheme and
//! parameter names, optional whitespace, and empty list elements. It is bounded
//! ([`MAX_HEADER_BYTES`], [`MAX_CHALLENGES`], [`MAX_PARAMS`]) and never panics. Parameter
//! names are stored lower-cased; values are stored unescaped.
//!
//! ```
//! use ema_metadata::challenge::{parse_www_authenticate, AuthScheme};
//! let cs = parse_www_authenticate(
//!     r#"Bearer error="insufficient_scope", scope="tickets:read tickets:write", resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", error_description="write access required""#,
//! )?;
//! assert_eq!(cs[0].scheme(), &AuthScheme::Bearer);
//! assert_eq!(cs[0].scope(), Some("tickets:read tickets:write"));
//! assert_eq!(
//!     cs[0].resource_metadata(),
//!     Some("https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp")
//! );
//! # Ok::<(), ema_metadata::challenge::ChallengeParseError>(())
//! ```

mod builder;
mod format;
mod parse;
mod resource_server;

pub use builder::{ChallengeBuilder, ChallengeError};
pub use format::{format_www_authenticate, www_authenticate_header_value};
pub use parse::{ChallengeParseError, parse_www_authenticate, parse_www_authenticate_headers};

use std::fmt;

use ema_types::{ErrorCode, ScopeError, ScopeSet};

/// Longest header value parsed, in bytes (over all `WWW-Authenticate` fields together).
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Most challenges parsed from one response.
pub const MAX_CHALLENGES: usize = 16;
/// Most parameters in one challenge.
pub const MAX_PARAMS: usize = 32;

/// An authentication scheme. Compared case-insensitively (RFC 9110 §11.1).
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449).
    DPoP,
    /// Any other scheme, as written.
    Other(String),
}

impl AuthScheme {
    /// The scheme named `token` (which must be an RFC 9110 token).
    pub fn new(token: &str) -> Result<Self, ChallengeError> {
        if token.is_empty() || !token.bytes().all(is_tchar) {
            return Err(ChallengeError::InvalidScheme {
                scheme: token.chars().take(64).collect(),
            });
        }
        Ok(Self::from_token(token))
    }

    pub(crate) fn from_token(token: &str) -> Self {
        if token.eq_ignore_ascii_case("bearer") {
            Self::Bearer
        } else if token.eq_ignore_ascii_case("dpop") {
            Self::DPoP
        } else {
            Self::Other(token.to_owned())
        }
    }

    /// The scheme as written on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Bearer => "Bearer",
            Self::DPoP => "DPoP",
            Self::Other(s) => s,
        }
    }

    /// Whether this is `Bearer` or `DPoP`, the schemes of OAuth access tokens.
    #[must_use]
    pub fn is_oauth(&self) -> bool {
        matches!(self, Self::Bearer | Self::DPoP)
            || self.as_str().eq_ignore_ascii_case("bearer")
            || self.as_str().eq_ignore_ascii_case("dpop")
    }
}

impl PartialEq for AuthScheme {
    fn eq(&self, other: &Self) -> bool {
        self.as_str().eq_ignore_ascii_case(other.as_str())
    }
}

impl fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One challenge: a scheme with either auth-params or a token68 (or neither).
///
/// Read one with [`parse_www_authenticate`]; build one with [`Challenge::builder`] or, for a
/// resource server, [`Challenge::missing_token`], [`Challenge::invalid_token`] and
/// [`Challenge::insufficient_scope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub(crate) scheme: AuthScheme,
    pub(crate) token68: Option<String>,
    pub(crate) params: Vec<(String, String)>,
}

impl Challenge {
    /// Start building a challenge for `scheme`.
    pub fn builder(scheme: AuthScheme) -> ChallengeBuilder {
        ChallengeBuilder::new(scheme)
    }

    /// A challenge carrying a token68 value (for example `Negotiate`) instead of parameters.
    pub fn with_token68(scheme: AuthScheme, token68: &str) -> Result<Self, ChallengeError> {
        let scheme = ChallengeBuilder::new(scheme).build()?.scheme;
        if !is_token68(token68) {
            return Err(ChallengeError::InvalidToken68);
        }
        Ok(Self {
            scheme,
            token68: Some(token68.to_owned()),
            params: Vec::new(),
        })
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> &AuthScheme {
        &self.scheme
    }

    /// The token68 value, if the challenge has one.
    #[must_use]
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// All parameters in order, names lower-cased, values unescaped.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The value of parameter `name` (case-insensitive).
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `realm` (RFC 9110 §11.5).
    #[must_use]
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// `scope` (RFC 6750 §3): the space-delimited scopes needed.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }

    /// `scope` parsed as a scope set.
    #[must_use]
    pub fn scopes(&self) -> Option<Result<ScopeSet, ScopeError>> {
        self.scope().map(ScopeSet::parse)
    }

    /// `error` (RFC 6750 §3.1), as an error code.
    #[must_use]
    pub fn error(&self) -> Option<ErrorCode> {
        self.param("error").map(ErrorCode::parse)
    }

    /// `error_description`.
    #[must_use]
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }

    /// `error_uri`.
    #[must_use]
    pub fn error_uri(&self) -> Option<&str> {
        self.param("error_uri")
    }

    /// `resource_metadata` (RFC 9728 §5.1): the protected-resource metadata URL.
    #[must_use]
    pub fn resource_metadata(&self) -> Option<&str> {
        self.param("resource_metadata")
    }

    /// `algs` (RFC 9449 §7.1): the DPoP proof algorithms accepted, space-delimited.
    #[must_use]
    pub fn algs(&self) -> Vec<&str> {
        self.param("algs")
            .map(|a| a.split_ascii_whitespace().collect())
            .unwrap_or_default()
    }
}

/// The `resource_metadata` of the first `Bearer` or `DPoP` challenge that has one (CL-03).
#[must_use]
pub fn find_resource_metadata(challenges: &[Challenge]) -> Option<(&Challenge, &str)> {
    challenges
        .iter()
        .filter(|c| c.scheme.is_oauth())
        .find_map(|c| c.resource_metadata().map(|u| (c, u)))
}

/// RFC 9110 §5.6.2 `tchar`.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 §11.2 `token68` character (without the trailing `=`).
pub(crate) fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(crate) fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(is_token68_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_compare_case_insensitively() {
        assert_eq!(AuthScheme::new("bearer").unwrap(), AuthScheme::Bearer);
        assert_eq!(AuthScheme::new("DPOP").unwrap(), AuthScheme::DPoP);
        assert_eq!(
            AuthScheme::new("basic").unwrap(),
            AuthScheme::Other("Basic".into())
        );
        assert_eq!(AuthScheme::Other("BEARER".into()), AuthScheme::Bearer);
        assert!(AuthScheme::Other("bearer".into()).is_oauth());
        assert!(!AuthScheme::new("Basic").unwrap().is_oauth());
        assert_eq!(
            AuthScheme::new("Bad Scheme"),
            Err(ChallengeError::InvalidScheme {
                scheme: "Bad Scheme".into()
            })
        );
        assert!(AuthScheme::new("").is_err());
    }

    #[test]
    fn token68_grammar() {
        assert!(is_token68("abc"));
        assert!(is_token68("a+b/c=="));
        assert!(!is_token68("=="));
        assert!(!is_token68("a=b"));
        assert!(!is_token68(""));
        assert!(Challenge::with_token68(AuthScheme::new("Negotiate").unwrap(), "a b").is_err());
        assert_eq!(
            Challenge::with_token68(AuthScheme::Other("Nego tiate".into()), "abc"),
            Err(ChallengeError::InvalidScheme {
                scheme: "Nego tiate".into()
            })
        );
    }

    #[test]
    fn cl_03_resource_metadata_from_bearer_or_dpop_only() {
        let cs = parse_www_authenticate(
            r#"Basic realm="x", resource_metadata="https://evil.example/prm", DPoP algs="ES256", resource_metadata="https://h/prm""#,
        )
        .unwrap();
        let (c, url) = find_resource_metadata(&cs).unwrap();
        assert_eq!(c.scheme(), &AuthScheme::DPoP);
        assert_eq!(url, "https://h/prm");
        assert_eq!(c.algs(), ["ES256"]);
        assert!(find_resource_metadata(&parse_www_authenticate("Bearer").unwrap()).is_none());
    }
}
