//! RFC 9068 JWT access-token claims (AS-14).

use serde::{Deserialize, Serialize};

use super::{Confirmation, ExtraClaims};
use crate::{OneOrMany, ScopeSet};

/// Claims of an RFC 9068 JWT access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessTokenClaims {
    /// The AS issuer.
    pub iss: String,
    /// The principal.
    pub sub: String,
    /// The resource (AS-09: the single granted resource).
    pub aud: OneOrMany<String>,
    /// The client the token was issued to.
    pub client_id: String,
    /// Issued at.
    pub iat: u64,
    /// Expires at.
    pub exp: u64,
    /// Unique identifier.
    pub jti: String,
    /// Granted scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeSet>,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Time of the user's authentication (copied from the ID-JAG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// Authentication context class (copied from the ID-JAG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods (copied from the ID-JAG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Proof-of-possession key binding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// Unknown claims.
    #[serde(flatten)]
    pub extra: ExtraClaims,
}

impl AccessTokenClaims {
    /// The required claims; optional ones start empty.
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        iss: impl Into<String>,
        sub: impl Into<String>,
        aud: impl Into<String>,
        client_id: impl Into<String>,
        jti: impl Into<String>,
        iat: u64,
        exp: u64,
        scope: ScopeSet,
    ) -> Self {
        Self {
            iss: iss.into(),
            sub: sub.into(),
            aud: OneOrMany::One(aud.into()),
            client_id: client_id.into(),
            iat,
            exp,
            jti: jti.into(),
            scope: Some(scope),
            nbf: None,
            auth_time: None,
            acr: None,
            amr: None,
            cnf: None,
            extra: ExtraClaims::new(),
        }
    }
}

super::from_object::from_claims_object!(AccessTokenClaims {
    required: [iss, sub, aud, client_id, iat, exp, jti],
    optional: [scope, nbf, auth_time, acr, amr, cnf],
});
