//! The resource authorization server's metadata (AS-15, AS-16, IDJAG §7.2).

use ema_types::Issuer;
use ema_types::urn::{GRANT_PROFILE_ID_JAG, GRANT_TYPE_JWT_BEARER};
use url::Url;

use super::BuildError;
use super::server::{ServerFields, server_setters};
use crate::document::AuthorizationServerMetadata;

/// Builds the metadata a resource authorization server publishes at
/// `/.well-known/oauth-authorization-server` (AS-15).
///
/// Always advertises `authorization_grant_profiles_supported` =
/// `["urn:ietf:params:oauth:grant-profile:id-jag"]` and the JWT-bearer grant (IDJAG §7.2
/// requires the grant when the profile is listed). `build` refuses a document that breaks
/// AS-15: no client authentication method, `private_key_jwt` without
/// `token_endpoint_auth_signing_alg_values_supported`, `none` as an algorithm, an
/// `authorization_endpoint` without `response_types_supported`, PKCE without `S256`, a
/// non-`https` URL.
///
/// The document has no member listing trusted issuers, and the builder offers none
/// (AS-16: answered per authenticated client only, never published).
///
/// ```
/// use ema_metadata::AuthorizationServerMetadataBuilder;
/// let md = AuthorizationServerMetadataBuilder::new(
///     "https://as.toolhub.test".parse()?,
///     "https://as.toolhub.test/oauth/token".parse()?,
///     "https://as.toolhub.test/oauth/jwks".parse()?,
/// )
/// .authorization_endpoint("https://as.toolhub.test/oauth/authorize".parse()?)
/// .response_types_supported(["code"])
/// .token_endpoint_auth_methods_supported(["private_key_jwt", "client_secret_basic"])
/// .token_endpoint_auth_signing_alg_values_supported(["ES256", "RS256"])
/// .scopes_supported(["tickets:read", "tickets:write"])
/// .client_id_metadata_document_supported(true)
/// .build()?;
/// assert!(md.supports_id_jag());
/// assert_eq!(md.grant_types_supported, [
///     "authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizationServerMetadataBuilder {
    fields: ServerFields,
}

impl AuthorizationServerMetadataBuilder {
    /// Start with the members every resource authorization server has: `issuer`,
    /// `token_endpoint` and `jwks_uri`.
    #[must_use]
    pub fn new(issuer: Issuer, token_endpoint: Url, jwks_uri: Url) -> Self {
        Self {
            fields: ServerFields::new(issuer, token_endpoint, jwks_uri),
        }
    }

    /// `authorization_endpoint`, for the interactive code-flow fallback (requires
    /// `response_types_supported`).
    #[must_use]
    pub fn authorization_endpoint(mut self, url: Url) -> Self {
        self.fields.authorization_endpoint = Some(url);
        self
    }

    /// `response_types_supported` (needs `authorization_endpoint`).
    #[must_use]
    pub fn response_types_supported<I, S>(mut self, response_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields.response_types = super::strings(response_types);
        self
    }

    server_setters!();

    /// Check and produce the document.
    pub fn build(self) -> Result<AuthorizationServerMetadata, BuildError> {
        let mut md = self.fields.finish(&[GRANT_TYPE_JWT_BEARER])?;
        md.authorization_grant_profiles_supported = vec![GRANT_PROFILE_ID_JAG.to_owned()];
        Ok(md)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SchemePolicy, ValidationPolicy};

    fn builder() -> AuthorizationServerMetadataBuilder {
        AuthorizationServerMetadataBuilder::new(
            Issuer::new("https://as.toolhub.test").unwrap(),
            Url::parse("https://as.toolhub.test/oauth/token").unwrap(),
            Url::parse("https://as.toolhub.test/oauth/jwks").unwrap(),
        )
        .token_endpoint_auth_methods_supported(["private_key_jwt"])
        .token_endpoint_auth_signing_alg_values_supported(["ES256"])
    }

    #[test]
    fn as_15_reproduces_the_wire_example() {
        let md = builder()
            .authorization_endpoint(Url::parse("https://as.toolhub.test/oauth/authorize").unwrap())
            .response_types_supported(["code"])
            .token_endpoint_auth_methods_supported(["private_key_jwt", "client_secret_basic"])
            .token_endpoint_auth_signing_alg_values_supported(["ES256", "RS256"])
            .scopes_supported(["tickets:read", "tickets:write"])
            .client_id_metadata_document_supported(true)
            .build()
            .unwrap();
        let got: serde_json::Value = serde_json::from_slice(&md.to_json().unwrap()).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"issuer":"https://as.toolhub.test",
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
 "client_id_metadata_document_supported":true}"#,
        )
        .unwrap();
        assert_eq!(got, expected);
        // What a client checks on receipt holds for what we publish.
        md.validate(&md.issuer, &ValidationPolicy::default())
            .unwrap();
        md.check_id_jag_support().unwrap();
    }

    #[test]
    fn as_15_minimal_machine_to_machine_server() {
        let md = builder()
            .dpop_signing_alg_values_supported(["ES256"])
            .build()
            .unwrap();
        assert_eq!(md.grant_types_supported, [GRANT_TYPE_JWT_BEARER]);
        assert!(md.authorization_endpoint.is_none());
        assert!(md.response_types_supported.is_empty());
        assert_eq!(md.dpop_signing_alg_values_supported, ["ES256"]);
    }

    #[test]
    fn as_15_signing_algs_required_with_private_key_jwt() {
        let b = builder().token_endpoint_auth_signing_alg_values_supported(Vec::<String>::new());
        assert_eq!(b.build(), Err(BuildError::SigningAlgorithmsRequired));
        let b = builder()
            .token_endpoint_auth_methods_supported(["client_secret_jwt"])
            .token_endpoint_auth_signing_alg_values_supported(Vec::<String>::new());
        assert_eq!(b.build(), Err(BuildError::SigningAlgorithmsRequired));
        // Not needed for secret-based methods.
        let md = builder()
            .token_endpoint_auth_methods_supported(["client_secret_basic"])
            .token_endpoint_auth_signing_alg_values_supported(Vec::<String>::new())
            .build()
            .unwrap();
        assert!(
            md.token_endpoint_auth_signing_alg_values_supported
                .is_empty()
        );
    }

    #[test]
    fn as_15_never_none() {
        assert_eq!(
            builder()
                .token_endpoint_auth_signing_alg_values_supported(["ES256", "none"])
                .build(),
            Err(BuildError::AlgorithmNone {
                member: "token_endpoint_auth_signing_alg_values_supported"
            })
        );
        assert_eq!(
            builder()
                .dpop_signing_alg_values_supported(["none"])
                .build(),
            Err(BuildError::AlgorithmNone {
                member: "dpop_signing_alg_values_supported"
            })
        );
        assert_eq!(
            builder()
                .dpop_signing_alg_values_supported(["HS256"])
                .build(),
            Err(BuildError::SymmetricAlgorithm {
                member: "dpop_signing_alg_values_supported",
                alg: "HS256".into()
            })
        );
    }

    #[test]
    fn as_15_auth_methods_required() {
        assert_eq!(
            builder()
                .token_endpoint_auth_methods_supported(Vec::<String>::new())
                .build(),
            Err(BuildError::MissingMember {
                member: "token_endpoint_auth_methods_supported"
            })
        );
    }

    #[test]
    fn as_15_authorization_endpoint_rules() {
        let authz = Url::parse("https://as.toolhub.test/authorize").unwrap();
        assert_eq!(
            builder().authorization_endpoint(authz.clone()).build(),
            Err(BuildError::MissingMember {
                member: "response_types_supported"
            })
        );
        assert_eq!(
            builder().response_types_supported(["code"]).build(),
            Err(BuildError::RequiresAuthorizationEndpoint {
                member: "response_types_supported"
            })
        );
        assert_eq!(
            builder().code_challenge_methods_supported(["S256"]).build(),
            Err(BuildError::RequiresAuthorizationEndpoint {
                member: "code_challenge_methods_supported"
            })
        );
        let with_authz = || {
            builder()
                .authorization_endpoint(authz.clone())
                .response_types_supported(["code"])
        };
        assert_eq!(
            with_authz()
                .code_challenge_methods_supported(["plain", "S256"])
                .build(),
            Err(BuildError::InvalidValue {
                member: "code_challenge_methods_supported",
                value: "plain".into()
            })
        );
        assert_eq!(
            with_authz()
                .code_challenge_methods_supported(["S384"])
                .build(),
            Err(BuildError::S256Required)
        );
        let md = with_authz()
            .grant_types_supported(["authorization_code", "refresh_token"])
            .build()
            .unwrap();
        assert_eq!(
            md.grant_types_supported,
            ["authorization_code", "refresh_token", GRANT_TYPE_JWT_BEARER]
        );
    }

    #[test]
    fn https_required_unless_development() {
        let b = AuthorizationServerMetadataBuilder::new(
            Issuer::new("http://127.0.0.1:9000").unwrap(),
            Url::parse("http://127.0.0.1:9000/token").unwrap(),
            Url::parse("http://127.0.0.1:9000/jwks").unwrap(),
        )
        .token_endpoint_auth_methods_supported(["client_secret_basic"]);
        assert_eq!(
            b.clone().build(),
            Err(BuildError::InsecureUrl {
                member: "issuer",
                url: "http://127.0.0.1:9000".into()
            })
        );
        b.scheme_policy(SchemePolicy::AllowLoopbackHttp)
            .build()
            .unwrap();
        let b = builder().revocation_endpoint(Url::parse("http://as.toolhub.test/revoke").unwrap());
        assert_eq!(
            b.build(),
            Err(BuildError::InsecureUrl {
                member: "revocation_endpoint",
                url: "http://as.toolhub.test/revoke".into()
            })
        );
        let b = AuthorizationServerMetadataBuilder::new(
            Issuer::new("https://as.toolhub.test").unwrap(),
            Url::parse("https://as.toolhub.test/token#x").unwrap(),
            Url::parse("https://as.toolhub.test/jwks").unwrap(),
        );
        assert_eq!(
            b.build(),
            Err(BuildError::EndpointFragment {
                member: "token_endpoint",
                url: "https://as.toolhub.test/token#x".into()
            })
        );
    }

    #[test]
    fn extension_members() {
        let md = builder()
            .member("x_custom", serde_json::json!({"k": 1}))
            .build()
            .unwrap();
        assert_eq!(md.extra["x_custom"]["k"], 1);
        assert_eq!(
            builder()
                .member("issuer", serde_json::json!("https://evil"))
                .build(),
            Err(BuildError::ReservedMember {
                name: "issuer".into()
            })
        );
        assert_eq!(
            builder()
                .member(
                    "authorization_grant_profiles_supported",
                    serde_json::json!([])
                )
                .build(),
            Err(BuildError::ReservedMember {
                name: "authorization_grant_profiles_supported".into()
            })
        );
    }

    #[test]
    fn scopes_are_validated() {
        assert!(matches!(
            builder().scopes_supported(["ok", "bad scope"]).build(),
            Err(BuildError::InvalidScope { .. })
        ));
        // offline_access is fine for an authorization server (RS-08 is about resources).
        builder()
            .scopes_supported(["offline_access"])
            .build()
            .unwrap();
    }
}
