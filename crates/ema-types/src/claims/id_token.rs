//! OpenID Connect ID-token claims (OIDC Core §2).

use serde::{Deserialize, Serialize};

use super::ExtraClaims;
use crate::OneOrMany;

/// Claims of an OpenID Connect ID token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// The OP issuer.
    pub iss: String,
    /// The subject.
    pub sub: String,
    /// The relying parties (client ids).
    pub aud: OneOrMany<String>,
    /// Expires at.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The nonce of the authentication request (CL-02).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Time of authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// Authentication context class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Authorized party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Unique token identifier, when the OP sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Unknown claims (`name`, `groups`, `tenant`, …).
    #[serde(flatten)]
    pub extra: ExtraClaims,
}

impl IdTokenClaims {
    /// The required claims; optional ones start empty.
    #[must_use]
    pub fn new(
        iss: impl Into<String>,
        sub: impl Into<String>,
        aud: impl Into<String>,
        iat: u64,
        exp: u64,
    ) -> Self {
        Self {
            iss: iss.into(),
            sub: sub.into(),
            aud: OneOrMany::One(aud.into()),
            exp,
            iat,
            nbf: None,
            nonce: None,
            auth_time: None,
            acr: None,
            amr: None,
            azp: None,
            email: None,
            jti: None,
            extra: ExtraClaims::new(),
        }
    }
}

super::from_object::from_claims_object!(IdTokenClaims {
    required: [iss, sub, aud, exp, iat],
    optional: [nbf, nonce, auth_time, acr, amr, azp, email, jti],
});
