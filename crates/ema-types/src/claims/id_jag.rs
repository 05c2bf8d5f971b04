//! ID-JAG claims (IDJAG §3.1, IDP-15).

use serde::{Deserialize, Serialize};

use super::{Confirmation, ExtraClaims, SubjectIdentifier};
use crate::{OneOrMany, ScopeSet};

/// Claims of an Identity Assertion JWT Authorization Grant.
///
/// Minted by the IdP (IDP-15) with `aud` a single string; accepted by the resource AS with
/// `aud` a string or one-element array (JWT-07).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdJagClaims {
    /// IdP issuer.
    pub iss: String,
    /// Subject, as the IdP would name the user to the AS as relying party (IDP-13).
    pub sub: String,
    /// The resource AS issuer.
    pub aud: OneOrMany<String>,
    /// The client's identifier at the resource AS (IDP-12).
    pub client_id: String,
    /// Unique identifier (≥128 random bits).
    pub jti: String,
    /// Issued at.
    pub iat: u64,
    /// Expires at.
    pub exp: u64,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The MCP server(s) the grant is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany<String>>,
    /// Granted scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeSet>,
    /// Time of the user's authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// Authentication context class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The user's email (IDP-24: only when configured for the AS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The IdP tenant (IDP-14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The AS tenant (IDP-14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud_tenant: Option<String>,
    /// The subject as the AS knows it (IDP-14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud_sub: Option<String>,
    /// A subject identifier (IDP-23).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_id: Option<SubjectIdentifier>,
    /// Proof-of-possession key binding (IDP-20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// RFC 9396 authorization details (OQ-17: not emitted in v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<serde_json::Value>,
    /// Actor (OQ-19).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
    /// Unknown claims.
    #[serde(flatten)]
    pub extra: ExtraClaims,
}

impl IdJagClaims {
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
    ) -> Self {
        Self {
            iss: iss.into(),
            sub: sub.into(),
            aud: OneOrMany::One(aud.into()),
            client_id: client_id.into(),
            jti: jti.into(),
            iat,
            exp,
            nbf: None,
            resource: None,
            scope: None,
            auth_time: None,
            acr: None,
            amr: None,
            email: None,
            tenant: None,
            aud_tenant: None,
            aud_sub: None,
            sub_id: None,
            cnf: None,
            authorization_details: None,
            act: None,
            extra: ExtraClaims::new(),
        }
    }
}

super::from_object::from_claims_object!(IdJagClaims {
    required: [iss, sub, aud, client_id, jti, iat, exp],
    optional: [
        nbf,
        resource,
        scope,
        auth_time,
        acr,
        amr,
        email,
        tenant,
        aud_tenant,
        aud_sub,
        sub_id,
        cnf,
        authorization_details,
        act
    ],
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idp_15_digest_example_decodes_and_keeps_unknown_claims() {
        let json = r#"{"iss":"https://login.acme-idp.test","sub":"00u8k2p9xq","aud":"https://as.toolhub.test",
 "client_id":"cli_42b19c","jti":"5Qm1v0R8cT2yWkN7hZbL3A","iat":1793000000,"exp":1793000300,
 "resource":"https://tools.toolhub.test/mcp","scope":"tickets:read",
 "auth_time":1792999500,"amr":["pwd","otp"],"x-vendor":1}"#;
        let c: IdJagClaims = serde_json::from_str(json).unwrap();
        assert_eq!(c.client_id, "cli_42b19c");
        assert_eq!(c.exp - c.iat, 300);
        assert_eq!(
            c.amr.as_deref(),
            Some(&["pwd".to_owned(), "otp".to_owned()][..])
        );
        assert_eq!(c.extra.get("x-vendor"), Some(&serde_json::json!(1)));
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["x-vendor"], 1);
        assert_eq!(back["aud"], "https://as.toolhub.test");
    }

    #[test]
    fn jwt_06_non_numeric_time_rejected() {
        let json = r#"{"iss":"i","sub":"s","aud":"a","client_id":"c","jti":"j","iat":"1","exp":2}"#;
        assert!(serde_json::from_str::<IdJagClaims>(json).is_err());
        let json = r#"{"iss":"i","sub":"s","aud":"a","client_id":"c","jti":"j","iat":1.5,"exp":2}"#;
        assert!(serde_json::from_str::<IdJagClaims>(json).is_err());
    }
}
