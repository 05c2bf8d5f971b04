//! RFC 8693 token type identifiers.

use std::fmt;

use crate::urn;

/// A token type URI (RFC 8693 §3). Unknown values are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `urn:ietf:params:oauth:token-type:id-jag`.
    IdJag,
    /// `urn:ietf:params:oauth:token-type:id_token`.
    IdToken,
    /// `urn:ietf:params:oauth:token-type:saml2`.
    Saml2,
    /// `urn:ietf:params:oauth:token-type:refresh_token`.
    RefreshToken,
    /// `urn:ietf:params:oauth:token-type:access_token`.
    AccessToken,
    /// Any other token type URI.
    Other(String),
}

impl TokenType {
    /// The URI.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::IdJag => urn::TOKEN_TYPE_ID_JAG,
            Self::IdToken => urn::TOKEN_TYPE_ID_TOKEN,
            Self::Saml2 => urn::TOKEN_TYPE_SAML2,
            Self::RefreshToken => urn::TOKEN_TYPE_REFRESH_TOKEN,
            Self::AccessToken => urn::TOKEN_TYPE_ACCESS_TOKEN,
            Self::Other(s) => s,
        }
    }

    /// Parse a URI (exact match; unknown values become [`TokenType::Other`]).
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            urn::TOKEN_TYPE_ID_JAG => Self::IdJag,
            urn::TOKEN_TYPE_ID_TOKEN => Self::IdToken,
            urn::TOKEN_TYPE_SAML2 => Self::Saml2,
            urn::TOKEN_TYPE_REFRESH_TOKEN => Self::RefreshToken,
            urn::TOKEN_TYPE_ACCESS_TOKEN => Self::AccessToken,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for TokenType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TokenType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::parse(&s))
    }
}
