//! Authorization-server metadata (RFC 8414), also read from OpenID Connect Discovery
//! `openid-configuration` documents, with the ID-JAG members (IDJAG §7.1, §7.2).

use ema_types::Issuer;
use ema_types::urn::{
    GRANT_PROFILE_ID_JAG, GRANT_TYPE_JWT_BEARER, GRANT_TYPE_TOKEN_EXCHANGE, TOKEN_TYPE_ID_JAG,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::serde_helpers::strings_or_null;
use super::{DocumentError, parse};
use crate::validation::{ValidationError, ValidationPolicy, check_endpoint};

/// Authorization-server metadata (RFC 8414 §2), for an MCP resource authorization server or
/// an enterprise IdP.
///
/// The same type reads `oauth-authorization-server` and `openid-configuration` documents
/// (RFC 8414 §5): the OpenID Connect Discovery members an MCP client may need are typed here
/// too. Members this type does not know are kept in [`Self::extra`] and written back out.
/// String arrays that are absent, `null` or empty all read as empty.
///
/// There is deliberately no member listing trusted issuers: an authorization server must not
/// disclose which IdPs it trusts (AS-16, IDJAG §9.4).
///
/// Build one to serve with [`crate::AuthorizationServerMetadataBuilder`] or
/// [`crate::IdentityProviderMetadataBuilder`]; read one with [`Self::from_json`] and check it
/// with [`Self::validate`] before use.
///
/// ```
/// use ema_metadata::{AuthorizationServerMetadata, ValidationPolicy};
/// let json = br#"{"issuer":"https://as.toolhub.test",
///   "token_endpoint":"https://as.toolhub.test/oauth/token",
///   "grant_types_supported":["urn:ietf:params:oauth:grant-type:jwt-bearer"],
///   "authorization_grant_profiles_supported":["urn:ietf:params:oauth:grant-profile:id-jag"],
///   "x_vendor":{"a":1}}"#;
/// let md = AuthorizationServerMetadata::from_json(json)?;
/// md.validate(&"https://as.toolhub.test".parse()?, &ValidationPolicy::default())?;
/// assert!(md.supports_id_jag());
/// assert_eq!(md.extra["x_vendor"]["a"], 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// `issuer` (REQUIRED): the issuer identifier, kept byte for byte.
    pub issuer: Issuer,
    /// `authorization_endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<Url>,
    /// `token_endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<Url>,
    /// `jwks_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<Url>,
    /// `registration_endpoint` (RFC 7591).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<Url>,
    /// `scopes_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub scopes_supported: Vec<String>,
    /// `response_types_supported` (REQUIRED by RFC 8414 when publishing; not required on
    /// receipt, since machine-to-machine servers often omit it).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub response_types_supported: Vec<String>,
    /// `response_modes_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub response_modes_supported: Vec<String>,
    /// `grant_types_supported`; see [`Self::supports_grant_type`] for the default.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub grant_types_supported: Vec<String>,
    /// `token_endpoint_auth_methods_supported`; see
    /// [`Self::supports_token_endpoint_auth_method`] for the default.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// `token_endpoint_auth_signing_alg_values_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// `service_documentation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_documentation: Option<Url>,
    /// `ui_locales_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ui_locales_supported: Vec<String>,
    /// `op_policy_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_policy_uri: Option<Url>,
    /// `op_tos_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_tos_uri: Option<Url>,
    /// `revocation_endpoint` (RFC 7009).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<Url>,
    /// `revocation_endpoint_auth_methods_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// `revocation_endpoint_auth_signing_alg_values_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub revocation_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// `introspection_endpoint` (RFC 7662).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<Url>,
    /// `introspection_endpoint_auth_methods_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// `introspection_endpoint_auth_signing_alg_values_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub introspection_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// `code_challenge_methods_supported` (RFC 7636).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub code_challenge_methods_supported: Vec<String>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dpop_signing_alg_values_supported: Vec<String>,
    /// `client_id_metadata_document_supported` (CIMD, META-07).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_metadata_document_supported: Option<bool>,
    /// `authorization_grant_profiles_supported` (IDJAG §7.2): the resource authorization
    /// server lists `urn:ietf:params:oauth:grant-profile:id-jag` here.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub authorization_grant_profiles_supported: Vec<String>,
    /// `identity_chaining_requested_token_types_supported` (IDJAG §7.1): the IdP lists
    /// `urn:ietf:params:oauth:token-type:id-jag` here.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub identity_chaining_requested_token_types_supported: Vec<String>,
    /// `userinfo_endpoint` (OpenID Connect Discovery §3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<Url>,
    /// `subject_types_supported` (OpenID Connect Discovery §3).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subject_types_supported: Vec<String>,
    /// `id_token_signing_alg_values_supported` (OpenID Connect Discovery §3).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `claims_supported` (OpenID Connect Discovery §3).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub claims_supported: Vec<String>,
    /// `acr_values_supported` (OpenID Connect Discovery §3).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub acr_values_supported: Vec<String>,
    /// Members not typed above, kept as received.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Every member name typed by [`AuthorizationServerMetadata`].
pub(crate) const MEMBERS: &[&str] = &[
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "service_documentation",
    "ui_locales_supported",
    "op_policy_uri",
    "op_tos_uri",
    "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint",
    "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
    "code_challenge_methods_supported",
    "authorization_response_iss_parameter_supported",
    "dpop_signing_alg_values_supported",
    "client_id_metadata_document_supported",
    "authorization_grant_profiles_supported",
    "identity_chaining_requested_token_types_supported",
    "userinfo_endpoint",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "claims_supported",
    "acr_values_supported",
];

/// Why an authorization server cannot take ID-JAGs (CL-06).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdJagSupportError {
    /// `authorization_grant_profiles_supported` does not list
    /// `urn:ietf:params:oauth:grant-profile:id-jag`.
    #[error("CL-06: authorization_grant_profiles_supported does not list the id-jag profile")]
    ProfileNotListed,
    /// The profile is listed but `grant_types_supported` lacks the JWT-bearer grant, which
    /// IDJAG §7.2 requires alongside it.
    #[error("CL-06: grant_types_supported does not list the jwt-bearer grant")]
    JwtBearerGrantNotListed,
    /// No `token_endpoint` to redeem the ID-JAG at.
    #[error("CL-06: no token_endpoint")]
    NoTokenEndpoint,
}

impl AuthorizationServerMetadata {
    /// Parse a received document (at most [`super::MAX_DOCUMENT_BYTES`]; a repeated typed
    /// member is an error). Call [`Self::validate`] before using it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DocumentError> {
        parse(bytes)
    }

    /// Serialize for serving (`Content-Type: application/json`).
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }

    /// Check a received document before use (META-05, RFC 8414 §3.3):
    ///
    /// - `issuer` is identical, byte for byte, to `expected`, the issuer the metadata URL was
    ///   built from (the [`Issuer`] type already guarantees no query and no fragment);
    /// - `issuer` and every endpoint (`authorization_endpoint`, `token_endpoint`, `jwks_uri`,
    ///   `registration_endpoint`, `revocation_endpoint`, `introspection_endpoint`,
    ///   `userinfo_endpoint`) are `https` URLs (or loopback `http` under a development
    ///   policy), and endpoints have no fragment.
    pub fn validate(
        &self,
        expected: &Issuer,
        policy: &ValidationPolicy,
    ) -> Result<(), ValidationError> {
        if self.issuer != *expected {
            return Err(ValidationError::IssuerMismatch {
                expected: expected.to_string(),
                found: self.issuer.to_string(),
            });
        }
        if !policy.scheme.permits_str(self.issuer.as_str()) {
            return Err(ValidationError::InsecureUrl {
                member: "issuer",
                url: self.issuer.to_string(),
            });
        }
        self.check_endpoints(policy)
    }

    pub(crate) fn check_endpoints(&self, policy: &ValidationPolicy) -> Result<(), ValidationError> {
        let s = policy.scheme;
        check_endpoint(
            "authorization_endpoint",
            self.authorization_endpoint.as_ref(),
            s,
        )?;
        check_endpoint("token_endpoint", self.token_endpoint.as_ref(), s)?;
        check_endpoint("jwks_uri", self.jwks_uri.as_ref(), s)?;
        check_endpoint(
            "registration_endpoint",
            self.registration_endpoint.as_ref(),
            s,
        )?;
        check_endpoint("revocation_endpoint", self.revocation_endpoint.as_ref(), s)?;
        check_endpoint(
            "introspection_endpoint",
            self.introspection_endpoint.as_ref(),
            s,
        )?;
        check_endpoint("userinfo_endpoint", self.userinfo_endpoint.as_ref(), s)
    }

    /// Whether `profile` is listed in `authorization_grant_profiles_supported`.
    #[must_use]
    pub fn supports_grant_profile(&self, profile: &str) -> bool {
        self.authorization_grant_profiles_supported
            .iter()
            .any(|p| p == profile)
    }

    /// Whether `grant_type` is supported. When `grant_types_supported` is absent, RFC 8414 §2
    /// defines the default as `authorization_code` and `implicit`.
    #[must_use]
    pub fn supports_grant_type(&self, grant_type: &str) -> bool {
        if self.grant_types_supported.is_empty() {
            return matches!(grant_type, "authorization_code" | "implicit");
        }
        self.grant_types_supported.iter().any(|g| g == grant_type)
    }

    /// Whether client authentication `method` is supported at the token endpoint. When
    /// `token_endpoint_auth_methods_supported` is absent, RFC 8414 §2 defines the default as
    /// `client_secret_basic`.
    #[must_use]
    pub fn supports_token_endpoint_auth_method(&self, method: &str) -> bool {
        if self.token_endpoint_auth_methods_supported.is_empty() {
            return method == "client_secret_basic";
        }
        self.token_endpoint_auth_methods_supported
            .iter()
            .any(|m| m == method)
    }

    /// CL-06: whether the authorization server advertises the ID-JAG grant profile
    /// (`urn:ietf:params:oauth:grant-profile:id-jag` in `authorization_grant_profiles_supported`).
    /// When it does not, a client may fall back to the interactive code flow.
    #[must_use]
    pub fn supports_id_jag(&self) -> bool {
        self.supports_grant_profile(GRANT_PROFILE_ID_JAG)
    }

    /// CL-06 in full: the profile is advertised, the JWT-bearer grant is listed with it
    /// (IDJAG §7.2), and there is a token endpoint. Returns the token endpoint.
    pub fn check_id_jag_support(&self) -> Result<&Url, IdJagSupportError> {
        if !self.supports_id_jag() {
            return Err(IdJagSupportError::ProfileNotListed);
        }
        if !self.supports_grant_type(GRANT_TYPE_JWT_BEARER) {
            return Err(IdJagSupportError::JwtBearerGrantNotListed);
        }
        self.token_endpoint
            .as_ref()
            .ok_or(IdJagSupportError::NoTokenEndpoint)
    }

    /// Whether an IdP advertises issuing ID-JAGs by token exchange (IDJAG §7.1): the
    /// token-exchange grant, and `urn:ietf:params:oauth:token-type:id-jag` in
    /// `identity_chaining_requested_token_types_supported`. The member is a SHOULD (IDP-21),
    /// so a client may still try an IdP that does not advertise it.
    #[must_use]
    pub fn advertises_id_jag_token_exchange(&self) -> bool {
        self.supports_grant_type(GRANT_TYPE_TOKEN_EXCHANGE)
            && self
                .identity_chaining_requested_token_types_supported
                .iter()
                .any(|t| t == TOKEN_TYPE_ID_JAG)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The §7.2 wire example of the digest.
    const AS_EXAMPLE: &str = r#"{"issuer":"https://as.toolhub.test",
 "authorization_endpoint":"https://as.toolhub.test/oauth/authorize",
 "token_endpoint":"https://as.toolhub.test/oauth/token",
 "jwks_uri":"https://as.toolhub.test/oauth/jwks",
 "response_types_supported":["code"],
 "grant_types_supported":["authorization_code","urn:ietf:params:oauth:grant-type:jwt-bearer"],
 "token_endpoint_auth_methods_supported":["private_key_jwt","client_secret_basic"],
 "token_endpoint_auth_signing_alg_values_supported":["ES256","RS256"],
 "code_challenge_methods_supported":["S256"],
 "scopes_supported":["tickets:read","tickets:write"],
 "authorization_grant_profiles_supported":["urn:ietf:params:oauth:grant-profile:id-jag"],
 "client_id_metadata_document_supported":true}"#;

    fn issuer(s: &str) -> Issuer {
        Issuer::new(s).unwrap()
    }

    #[test]
    fn parses_the_wire_example() {
        let md = AuthorizationServerMetadata::from_json(AS_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(md.issuer, "https://as.toolhub.test");
        assert_eq!(
            md.token_endpoint.as_ref().unwrap().as_str(),
            "https://as.toolhub.test/oauth/token"
        );
        assert_eq!(md.client_id_metadata_document_supported, Some(true));
        assert!(md.extra.is_empty());
        md.validate(
            &issuer("https://as.toolhub.test"),
            &ValidationPolicy::default(),
        )
        .unwrap();
        assert_eq!(
            md.check_id_jag_support().unwrap().as_str(),
            "https://as.toolhub.test/oauth/token"
        );
    }

    #[test]
    fn unknown_members_round_trip() {
        let json = br#"{"issuer":"https://as.example","x_ext":[1,{"b":null}],"mtls_endpoint_aliases":{"token_endpoint":"https://mtls.as.example/token"}}"#;
        let md = AuthorizationServerMetadata::from_json(json).unwrap();
        assert_eq!(md.extra.len(), 2);
        let again: serde_json::Value = serde_json::from_slice(&md.to_json().unwrap()).unwrap();
        let original: serde_json::Value = serde_json::from_slice(json).unwrap();
        assert_eq!(again, original);
    }

    #[test]
    fn meta_05_issuer_must_be_identical() {
        let md = AuthorizationServerMetadata::from_json(AS_EXAMPLE.as_bytes()).unwrap();
        let policy = ValidationPolicy::default();
        for other in [
            "https://as.toolhub.test/",
            "https://AS.toolhub.test",
            "https://as.toolhub.test/t1",
        ] {
            assert_eq!(
                md.validate(&issuer(other), &policy),
                Err(ValidationError::IssuerMismatch {
                    expected: other.to_owned(),
                    found: "https://as.toolhub.test".to_owned()
                })
            );
        }
    }

    #[test]
    fn meta_05_issuer_must_be_https_without_query_or_fragment() {
        let http = br#"{"issuer":"http://as.example"}"#;
        let md = AuthorizationServerMetadata::from_json(http).unwrap();
        let err = md
            .validate(
                &issuer("http://as.example"),
                &ValidationPolicy::development(),
            )
            .unwrap_err();
        assert_eq!(
            err,
            ValidationError::InsecureUrl {
                member: "issuer",
                url: "http://as.example".into()
            }
        );
        assert_eq!(err.requirement(), "META-05");
        // Query and fragment cannot even be read into an `Issuer`.
        for bad in [
            &br#"{"issuer":"https://as.example?x=1"}"#[..],
            br#"{"issuer":"https://as.example#f"}"#,
        ] {
            assert!(matches!(
                AuthorizationServerMetadata::from_json(bad),
                Err(DocumentError::Json { .. })
            ));
        }
    }

    #[test]
    fn development_policy_allows_loopback_http_only() {
        let json =
            br#"{"issuer":"http://127.0.0.1:9000","token_endpoint":"http://127.0.0.1:9000/token"}"#;
        let md = AuthorizationServerMetadata::from_json(json).unwrap();
        let iss = issuer("http://127.0.0.1:9000");
        md.validate(&iss, &ValidationPolicy::development()).unwrap();
        assert_eq!(
            md.validate(&iss, &ValidationPolicy::strict()),
            Err(ValidationError::InsecureUrl {
                member: "issuer",
                url: "http://127.0.0.1:9000".into()
            })
        );
    }

    #[test]
    fn endpoints_must_be_https_without_fragment() {
        let json = br#"{"issuer":"https://as.example","token_endpoint":"http://as.example/token"}"#;
        let md = AuthorizationServerMetadata::from_json(json).unwrap();
        let err = md
            .validate(
                &issuer("https://as.example"),
                &ValidationPolicy::development(),
            )
            .unwrap_err();
        assert_eq!(
            err,
            ValidationError::InsecureUrl {
                member: "token_endpoint",
                url: "http://as.example/token".into()
            }
        );
        assert_eq!(err.requirement(), "RFC 8414 §2, RFC 9728 §2 (https)");
        let json = br#"{"issuer":"https://as.example","jwks_uri":"https://as.example/jwks#k"}"#;
        let md = AuthorizationServerMetadata::from_json(json).unwrap();
        assert_eq!(
            md.validate(&issuer("https://as.example"), &ValidationPolicy::default()),
            Err(ValidationError::EndpointFragment {
                member: "jwks_uri",
                url: "https://as.example/jwks#k".into()
            })
        );
        let json = br#"{"issuer":"https://as.example","userinfo_endpoint":"javascript:alert(1)"}"#;
        let md = AuthorizationServerMetadata::from_json(json).unwrap();
        assert!(matches!(
            md.validate(&issuer("https://as.example"), &ValidationPolicy::default()),
            Err(ValidationError::InsecureUrl {
                member: "userinfo_endpoint",
                ..
            })
        ));
    }

    #[test]
    fn cl_06_id_jag_support() {
        let base = |extra: &str| {
            AuthorizationServerMetadata::from_json(
                format!(r#"{{"issuer":"https://as.example"{extra}}}"#).as_bytes(),
            )
            .unwrap()
        };
        let none = base("");
        assert!(!none.supports_id_jag());
        assert_eq!(
            none.check_id_jag_support(),
            Err(IdJagSupportError::ProfileNotListed)
        );
        let profile_only = base(
            r#","authorization_grant_profiles_supported":["urn:ietf:params:oauth:grant-profile:id-jag"],"token_endpoint":"https://as.example/t""#,
        );
        assert!(profile_only.supports_id_jag());
        assert_eq!(
            profile_only.check_id_jag_support(),
            Err(IdJagSupportError::JwtBearerGrantNotListed)
        );
        let no_endpoint = base(
            r#","authorization_grant_profiles_supported":["urn:ietf:params:oauth:grant-profile:id-jag"],"grant_types_supported":["urn:ietf:params:oauth:grant-type:jwt-bearer"]"#,
        );
        assert_eq!(
            no_endpoint.check_id_jag_support(),
            Err(IdJagSupportError::NoTokenEndpoint)
        );
        let other_profile =
            base(r#","authorization_grant_profiles_supported":["urn:example:other"]"#);
        assert!(!other_profile.supports_id_jag());
    }

    #[test]
    fn rfc_8414_defaults() {
        let md =
            AuthorizationServerMetadata::from_json(br#"{"issuer":"https://as.example"}"#).unwrap();
        assert!(md.supports_grant_type("authorization_code"));
        assert!(md.supports_grant_type("implicit"));
        assert!(!md.supports_grant_type(GRANT_TYPE_JWT_BEARER));
        assert!(md.supports_token_endpoint_auth_method("client_secret_basic"));
        assert!(!md.supports_token_endpoint_auth_method("private_key_jwt"));
    }

    #[test]
    fn idp_token_exchange_advertisement() {
        let md = AuthorizationServerMetadata::from_json(
            br#"{"issuer":"https://login.acme-idp.test",
                "grant_types_supported":["authorization_code","urn:ietf:params:oauth:grant-type:token-exchange"],
                "identity_chaining_requested_token_types_supported":["urn:ietf:params:oauth:token-type:id-jag"]}"#,
        )
        .unwrap();
        assert!(md.advertises_id_jag_token_exchange());
        assert!(!md.supports_id_jag());
    }

    #[test]
    fn strict_parsing() {
        assert_eq!(
            AuthorizationServerMetadata::from_json(b"[1]"),
            Err(DocumentError::NotAnObject)
        );
        assert_eq!(
            AuthorizationServerMetadata::from_json(b""),
            Err(DocumentError::NotAnObject)
        );
        // A repeated typed member is refused rather than resolved either way.
        let dup = br#"{"issuer":"https://as.example","issuer":"https://evil.example"}"#;
        assert!(matches!(
            AuthorizationServerMetadata::from_json(dup),
            Err(DocumentError::Json { .. })
        ));
        assert!(matches!(
            AuthorizationServerMetadata::from_json(br#"{"token_endpoint":"https://a/t"}"#),
            Err(DocumentError::Json { .. })
        ));
        let big = format!(
            r#"{{"issuer":"https://as.example","x":"{}"}}"#,
            "a".repeat(super::super::MAX_DOCUMENT_BYTES)
        );
        assert!(matches!(
            AuthorizationServerMetadata::from_json(big.as_bytes()),
            Err(DocumentError::TooLarge { .. })
        ));
        // null arrays read as empty
        let md = AuthorizationServerMetadata::from_json(
            br#"{"issuer":"https://as.example","scopes_supported":null}"#,
        )
        .unwrap();
        assert!(md.scopes_supported.is_empty());
    }

    #[test]
    fn member_list_matches_the_struct() {
        let url = Url::parse("https://as.example/x").unwrap();
        let strings = vec!["x".to_owned()];
        let md = AuthorizationServerMetadata {
            issuer: issuer("https://as.example"),
            authorization_endpoint: Some(url.clone()),
            token_endpoint: Some(url.clone()),
            jwks_uri: Some(url.clone()),
            registration_endpoint: Some(url.clone()),
            scopes_supported: strings.clone(),
            response_types_supported: strings.clone(),
            response_modes_supported: strings.clone(),
            grant_types_supported: strings.clone(),
            token_endpoint_auth_methods_supported: strings.clone(),
            token_endpoint_auth_signing_alg_values_supported: strings.clone(),
            service_documentation: Some(url.clone()),
            ui_locales_supported: strings.clone(),
            op_policy_uri: Some(url.clone()),
            op_tos_uri: Some(url.clone()),
            revocation_endpoint: Some(url.clone()),
            revocation_endpoint_auth_methods_supported: strings.clone(),
            revocation_endpoint_auth_signing_alg_values_supported: strings.clone(),
            introspection_endpoint: Some(url.clone()),
            introspection_endpoint_auth_methods_supported: strings.clone(),
            introspection_endpoint_auth_signing_alg_values_supported: strings.clone(),
            code_challenge_methods_supported: strings.clone(),
            authorization_response_iss_parameter_supported: Some(true),
            dpop_signing_alg_values_supported: strings.clone(),
            client_id_metadata_document_supported: Some(true),
            authorization_grant_profiles_supported: strings.clone(),
            identity_chaining_requested_token_types_supported: strings.clone(),
            userinfo_endpoint: Some(url),
            subject_types_supported: strings.clone(),
            id_token_signing_alg_values_supported: strings.clone(),
            claims_supported: strings.clone(),
            acr_values_supported: strings,
            extra: serde_json::Map::new(),
        };
        let value = serde_json::to_value(&md).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut members = MEMBERS.to_vec();
        keys.sort_unstable();
        members.sort_unstable();
        assert_eq!(keys, members);
        // And nothing in it names trusted issuers (AS-16).
        assert!(!keys.iter().any(|k| k.contains("trust")));
    }
}
