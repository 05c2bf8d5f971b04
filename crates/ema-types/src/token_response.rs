//! The RFC 6749 §5.1 access-token response (AS-12).

use serde::{Deserialize, Serialize};

use crate::{OneOrMany, ScopeSet, Secret};

/// An RFC 6749 §5.1 successful token response.
///
/// `resource` carries the granted resource (OQ-14: a string, or an array when several).
/// Unknown members are kept in [`TokenResponse::extra`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Secret,
    /// `Bearer` or `DPoP` (compare case-insensitively).
    pub token_type: String,
    /// Lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Granted scope (AS-12: always sent by this implementation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeSet>,
    /// A refresh token (never issued for the JWT-bearer grant, AS-13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// An OpenID Connect ID token (authorization-code grant at an OP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    /// The granted resource (OQ-14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany<String>>,
    /// Other members.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl TokenResponse {
    /// A bearer token response.
    #[must_use]
    pub fn bearer(access_token: Secret, expires_in: u64, scope: ScopeSet) -> Self {
        Self {
            access_token,
            token_type: crate::urn::TOKEN_TYPE_BEARER.to_owned(),
            expires_in: Some(expires_in),
            scope: Some(scope),
            refresh_token: None,
            id_token: None,
            resource: None,
            extra: serde_json::Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_12_digest_example_round_trips() {
        let body = r#"{"access_token":"eyJ.x.y","token_type":"Bearer","expires_in":3600,"scope":"tickets:read","resource":"https://tools.toolhub.test/mcp"}"#;
        let r: TokenResponse = serde_json::from_str(body).unwrap();
        assert_eq!(
            r.resource,
            Some(OneOrMany::One("https://tools.toolhub.test/mcp".into()))
        );
        assert_eq!(serde_json::to_string(&r).unwrap(), body);
        assert!(!format!("{r:?}").contains("eyJ.x.y"));
    }
}
