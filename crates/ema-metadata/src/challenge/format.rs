//! Writing challenges: `scheme`, then a token68 or `name="value"` pairs separated by `, `.
//! Values are always quoted, with `"` and `\` escaped, so any stored value round-trips
//! through [`super::parse_www_authenticate`].

use std::fmt;

use http::HeaderValue;

use super::{Challenge, ChallengeError};

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        if let Some(t) = &self.token68 {
            f.write_str(" ")?;
            return f.write_str(t);
        }
        for (i, (name, value)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            f.write_str(name)?;
            f.write_str("=\"")?;
            for c in value.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// Several challenges as one `WWW-Authenticate` field value, separated by `, `.
#[must_use]
pub fn format_www_authenticate(challenges: &[Challenge]) -> String {
    challenges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Several challenges as a `WWW-Authenticate` [`HeaderValue`].
///
/// ```
/// use ema_metadata::challenge::{www_authenticate_header_value, AuthScheme, Challenge};
/// let prm = "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp".parse()?;
/// let bearer = Challenge::missing_token(AuthScheme::Bearer, &prm).build()?;
/// let dpop = Challenge::missing_token(AuthScheme::DPoP, &prm).algs(["ES256"]).build()?;
/// let value = www_authenticate_header_value(&[bearer, dpop])?;
/// assert_eq!(value.to_str()?, concat!(
///     r#"Bearer resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", "#,
///     r#"DPoP resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", algs="ES256""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn www_authenticate_header_value(
    challenges: &[Challenge],
) -> Result<HeaderValue, ChallengeError> {
    if challenges.is_empty() {
        return Err(ChallengeError::NoChallenges);
    }
    let text = format_www_authenticate(challenges);
    HeaderValue::from_bytes(text.as_bytes()).map_err(|_| ChallengeError::InvalidHeaderValue)
}

#[cfg(test)]
mod tests {
    use super::super::{AuthScheme, parse_www_authenticate};
    use super::*;

    #[test]
    fn escapes_quotes_and_backslashes() {
        let c = Challenge::builder(AuthScheme::Bearer)
            .realm(r#"a "b" \ c"#)
            .build()
            .unwrap();
        assert_eq!(c.to_string(), r#"Bearer realm="a \"b\" \\ c""#);
        assert_eq!(parse_www_authenticate(&c.to_string()).unwrap(), [c]);
    }

    #[test]
    fn token68_and_bare() {
        let n = Challenge::with_token68(AuthScheme::new("Negotiate").unwrap(), "YII=").unwrap();
        let b = Challenge::builder(AuthScheme::new("Basic").unwrap())
            .build()
            .unwrap();
        let text = format_www_authenticate(&[n.clone(), b.clone()]);
        assert_eq!(text, "Negotiate YII=, Basic");
        assert_eq!(parse_www_authenticate(&text).unwrap(), [n, b]);
    }

    #[test]
    fn header_value_needs_a_challenge() {
        assert_eq!(
            www_authenticate_header_value(&[]),
            Err(ChallengeError::NoChallenges)
        );
        let c = Challenge::builder(AuthScheme::Bearer)
            .realm("caf\u{e9}")
            .build()
            .unwrap();
        let v = www_authenticate_header_value(&[c]).unwrap();
        assert_eq!(v.as_bytes(), "Bearer realm=\"caf\u{e9}\"".as_bytes());
    }
}
