//! Building challenges; errors are collected and reported by [`ChallengeBuilder::build`].

use ema_types::{ErrorCode, ScopeSet};
use url::Url;

use super::{AuthScheme, Challenge, MAX_PARAMS, is_tchar};

/// A challenge cannot be built or written as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The scheme is not an RFC 9110 token.
    #[error("invalid authentication scheme `{scheme}`")]
    InvalidScheme {
        /// The scheme, cut to 64 characters.
        scheme: String,
    },
    /// A parameter name is not an RFC 9110 token.
    #[error("invalid parameter name `{name}`")]
    InvalidParameterName {
        /// The name, cut to 64 characters.
        name: String,
    },
    /// A parameter value has a control character (other than HTAB), which would break the
    /// header.
    #[error("parameter `{name}` has a control character")]
    InvalidParameterValue {
        /// The parameter.
        name: String,
    },
    /// A token68 value does not match `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    #[error("invalid token68")]
    InvalidToken68,
    /// More than [`MAX_PARAMS`] parameters.
    #[error("more than {limit} parameters")]
    TooManyParameters {
        /// The limit.
        limit: usize,
    },
    /// RS-08: a resource server's challenge must not ask for `offline_access`.
    #[error("RS-08: challenge scope must not contain offline_access")]
    OfflineAccessInScope,
    /// RS-05: an `insufficient_scope` challenge must say which scopes are needed.
    #[error("RS-05: insufficient_scope needs a non-empty scope")]
    EmptyScope,
    /// RS-02: a challenge to a request without credentials should not carry `error`
    /// (RFC 6750 §3.1).
    #[error("RS-02: a missing-token challenge must not carry an error")]
    ErrorOnMissingToken,
    /// There is no challenge to write (`WWW-Authenticate` needs at least one).
    #[error("no challenge to write")]
    NoChallenges,
    /// The formatted challenges are not a valid header value (not produced by challenges
    /// this crate built or parsed).
    #[error("challenges do not form a valid header value")]
    InvalidHeaderValue,
}

/// Which resource-server rule a builder was started for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceServerRule {
    /// RS-02: no credentials.
    MissingToken,
    /// RS-04: invalid token.
    InvalidToken,
    /// RS-05: insufficient scope.
    InsufficientScope,
}

/// Builds a [`Challenge`]. Setters never fail; [`Self::build`] reports the first problem.
///
/// ```
/// use ema_metadata::challenge::{AuthScheme, Challenge};
/// let c = Challenge::builder(AuthScheme::DPoP)
///     .realm("tools")
///     .algs(["ES256", "EdDSA"])
///     .param("x-custom", "a \"quoted\" value")
///     .build()?;
/// assert_eq!(c.to_string(), r#"DPoP realm="tools", algs="ES256 EdDSA", x-custom="a \"quoted\" value""#);
/// # Ok::<(), ema_metadata::challenge::ChallengeError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ChallengeBuilder {
    challenge: Challenge,
    error: Option<ChallengeError>,
    rule: Option<ResourceServerRule>,
}

impl ChallengeBuilder {
    pub(crate) fn new(scheme: AuthScheme) -> Self {
        let error = match &scheme {
            AuthScheme::Other(s) if s.is_empty() || !s.bytes().all(is_tchar) => {
                Some(ChallengeError::InvalidScheme {
                    scheme: s.chars().take(64).collect(),
                })
            }
            _ => None,
        };
        Self {
            challenge: Challenge {
                scheme,
                token68: None,
                params: Vec::new(),
            },
            error,
            rule: None,
        }
    }

    pub(crate) fn for_rule(mut self, rule: ResourceServerRule) -> Self {
        self.rule = Some(rule);
        self
    }

    /// Set parameter `name` (case-insensitive; replaces an earlier value) to `value`.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        if self.error.is_some() {
            return self;
        }
        let value = value.into();
        if name.is_empty() || !name.bytes().all(is_tchar) {
            self.error = Some(ChallengeError::InvalidParameterName {
                name: name.chars().take(64).collect(),
            });
            return self;
        }
        let name = name.to_ascii_lowercase();
        if value.chars().any(|c| c.is_control() && c != '\t') {
            self.error = Some(ChallengeError::InvalidParameterValue { name });
            return self;
        }
        let params = &mut self.challenge.params;
        if let Some(slot) = params.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        } else if params.len() >= MAX_PARAMS {
            self.error = Some(ChallengeError::TooManyParameters { limit: MAX_PARAMS });
        } else {
            params.push((name, value));
        }
        self
    }

    /// `realm`.
    pub fn realm(self, realm: impl Into<String>) -> Self {
        self.param("realm", realm)
    }

    /// `scope`: the scopes needed (omitted when empty).
    pub fn scope(self, scope: &ScopeSet) -> Self {
        if scope.is_empty() {
            let mut this = self;
            this.challenge.params.retain(|(n, _)| n != "scope");
            return this;
        }
        self.param("scope", scope.to_string())
    }

    /// `error`.
    pub fn error(self, error: &ErrorCode) -> Self {
        self.param("error", error.as_str())
    }

    /// `error_description`. Characters RFC 6750 §3 does not allow there (`"`, `\`, and
    /// anything outside printable ASCII) are replaced by `?`.
    pub fn error_description(self, description: &str) -> Self {
        let clean: String = description
            .chars()
            .map(|c| match c {
                '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
                _ => '?',
            })
            .collect();
        self.param("error_description", clean)
    }

    /// `error_uri`.
    pub fn error_uri(self, uri: &Url) -> Self {
        self.param("error_uri", uri.as_str())
    }

    /// `resource_metadata` (RFC 9728 §5.1).
    pub fn resource_metadata(self, url: &Url) -> Self {
        self.param("resource_metadata", url.as_str())
    }

    /// `algs` (RFC 9449 §7.1), for a DPoP challenge.
    pub fn algs<I, S>(self, algs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined = algs
            .into_iter()
            .map(|a| a.as_ref().to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        self.param("algs", joined)
    }

    /// The challenge, or the first problem met.
    pub fn build(self) -> Result<Challenge, ChallengeError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let c = self.challenge;
        if let Some(rule) = self.rule {
            let scopes = c.scope().unwrap_or("");
            if scopes.split(' ').any(|s| s == "offline_access") {
                return Err(ChallengeError::OfflineAccessInScope);
            }
            match rule {
                ResourceServerRule::MissingToken if c.param("error").is_some() => {
                    return Err(ChallengeError::ErrorOnMissingToken);
                }
                ResourceServerRule::InsufficientScope if scopes.is_empty() => {
                    return Err(ChallengeError::EmptyScope);
                }
                _ => {}
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_validate() {
        assert_eq!(
            Challenge::builder(AuthScheme::Bearer)
                .param("bad name", "x")
                .build(),
            Err(ChallengeError::InvalidParameterName {
                name: "bad name".into()
            })
        );
        assert_eq!(
            Challenge::builder(AuthScheme::Bearer)
                .realm("a\r\nSet-Cookie: x=y")
                .build(),
            Err(ChallengeError::InvalidParameterValue {
                name: "realm".into()
            })
        );
        assert_eq!(
            Challenge::builder(AuthScheme::Other("Bad Scheme".into())).build(),
            Err(ChallengeError::InvalidScheme {
                scheme: "Bad Scheme".into()
            })
        );
        // First error wins even if later setters are fine.
        assert!(
            Challenge::builder(AuthScheme::Bearer)
                .param("", "x")
                .realm("ok")
                .build()
                .is_err()
        );
        // Tabs are fine in quoted strings.
        Challenge::builder(AuthScheme::Bearer)
            .realm("a\tb")
            .build()
            .unwrap();
    }

    #[test]
    fn params_replace_case_insensitively_and_are_bounded() {
        let c = Challenge::builder(AuthScheme::Bearer)
            .param("Realm", "a")
            .param("REALM", "b")
            .build()
            .unwrap();
        assert_eq!(c.params().collect::<Vec<_>>(), [("realm", "b")]);
        let mut b = Challenge::builder(AuthScheme::Bearer);
        for i in 0..=MAX_PARAMS {
            b = b.param(&format!("p{i}"), "v");
        }
        assert_eq!(
            b.build(),
            Err(ChallengeError::TooManyParameters { limit: MAX_PARAMS })
        );
    }

    #[test]
    fn error_description_is_sanitized() {
        let c = Challenge::builder(AuthScheme::Bearer)
            .error_description("bad \"token\" \\ é")
            .build()
            .unwrap();
        assert_eq!(c.error_description(), Some("bad ?token? ? ?"));
    }

    #[test]
    fn empty_scope_removes_the_parameter() {
        let c = Challenge::builder(AuthScheme::Bearer)
            .scope(&ScopeSet::parse("a").unwrap())
            .scope(&ScopeSet::new())
            .build()
            .unwrap();
        assert_eq!(c.scope(), None);
    }
}
