//! RFC 7523 §3 client-assertion claims (`private_key_jwt`, JWT-10).

use serde::{Deserialize, Serialize};

use super::ExtraClaims;
use crate::OneOrMany;

/// Claims of a `private_key_jwt` client assertion: `iss` = `sub` = the client id, `aud` = the
/// authorization server's issuer (rfc7523bis), a short `exp` and a single-use `jti`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientAssertionClaims {
    /// The client id.
    pub iss: String,
    /// The client id.
    pub sub: String,
    /// The authorization server issuer.
    pub aud: OneOrMany<String>,
    /// Unique identifier (single use).
    pub jti: String,
    /// Expires at.
    pub exp: u64,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Unknown claims.
    #[serde(flatten)]
    pub extra: ExtraClaims,
}

impl ClientAssertionClaims {
    /// Claims for `client_id` at `audience`.
    #[must_use]
    pub fn new(
        client_id: impl Into<String>,
        audience: impl Into<String>,
        jti: impl Into<String>,
        iat: u64,
        exp: u64,
    ) -> Self {
        let client_id = client_id.into();
        Self {
            iss: client_id.clone(),
            sub: client_id,
            aud: OneOrMany::One(audience.into()),
            jti: jti.into(),
            exp,
            iat: Some(iat),
            nbf: None,
            extra: ExtraClaims::new(),
        }
    }
}

super::from_object::from_claims_object!(ClientAssertionClaims {
    required: [iss, sub, aud, jti, exp],
    optional: [iat, nbf],
});
