//! The MCP server's protected-resource metadata (RS-01, RS-08).

use ema_types::{Issuer, Resource};
use url::Url;

use super::{BuildError, check_extra, check_url, clean_algs, clean_scopes, strings};
use crate::SchemePolicy;
use crate::document::{PRM_MEMBERS, ProtectedResourceMetadata};

/// Builds the protected-resource metadata an MCP server publishes (RS-01): `resource`, at
/// least one authorization server, `scopes_supported` (never `offline_access`, RS-08),
/// `bearer_methods_supported` = `["header"]` (tokens never travel in the query or body,
/// RS-07), and optionally `resource_name` and the DPoP members.
///
/// ```
/// use ema_metadata::ProtectedResourceMetadataBuilder;
/// let md = ProtectedResourceMetadataBuilder::new("https://tools.toolhub.test/mcp".parse()?)
///     .authorization_server("https://as.toolhub.test".parse()?)
///     .scopes_supported(["tickets:read", "tickets:write"])
///     .resource_name("ToolHub Tickets MCP")
///     .build()?;
/// assert_eq!(md.well_known_path()?, "/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(md.bearer_methods_supported, ["header"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProtectedResourceMetadataBuilder {
    resource: Resource,
    authorization_servers: Vec<Issuer>,
    scopes: Vec<String>,
    resource_name: Option<String>,
    jwks_uri: Option<Url>,
    resource_documentation: Option<Url>,
    dpop_algs: Vec<String>,
    dpop_bound_access_tokens_required: Option<bool>,
    extra: serde_json::Map<String, serde_json::Value>,
    scheme: SchemePolicy,
}

impl ProtectedResourceMetadataBuilder {
    /// Start with the resource identifier (the MCP server's canonical URI).
    #[must_use]
    pub fn new(resource: Resource) -> Self {
        Self {
            resource,
            authorization_servers: Vec::new(),
            scopes: Vec::new(),
            resource_name: None,
            jwks_uri: None,
            resource_documentation: None,
            dpop_algs: Vec::new(),
            dpop_bound_access_tokens_required: None,
            extra: serde_json::Map::new(),
            scheme: SchemePolicy::HttpsOnly,
        }
    }

    /// Add an authorization server, by issuer identifier. The first one added is listed
    /// first, and clients pick the first by default.
    #[must_use]
    pub fn authorization_server(mut self, issuer: Issuer) -> Self {
        self.authorization_servers.push(issuer);
        self
    }

    /// `scopes_supported` (RS-08: `offline_access` is refused).
    #[must_use]
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = strings(scopes);
        self
    }

    /// `resource_name` (RECOMMENDED by RFC 9728).
    #[must_use]
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// `jwks_uri`, when the resource signs responses.
    #[must_use]
    pub fn jwks_uri(mut self, url: Url) -> Self {
        self.jwks_uri = Some(url);
        self
    }

    /// `resource_documentation`.
    #[must_use]
    pub fn resource_documentation(mut self, url: Url) -> Self {
        self.resource_documentation = Some(url);
        self
    }

    /// `dpop_signing_alg_values_supported` (asymmetric only, RFC 9449).
    #[must_use]
    pub fn dpop_signing_alg_values_supported<I, S>(mut self, algs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.dpop_algs = strings(algs);
        self
    }

    /// `dpop_bound_access_tokens_required` (RFC 9449, RS-10).
    #[must_use]
    pub fn dpop_bound_access_tokens_required(mut self, required: bool) -> Self {
        self.dpop_bound_access_tokens_required = Some(required);
        self
    }

    /// An extension member. A name that is a typed member is refused by `build`.
    #[must_use]
    pub fn member(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// Which URL schemes are acceptable (default `https` only; loopback `http` for
    /// development).
    #[must_use]
    pub fn scheme_policy(mut self, scheme: SchemePolicy) -> Self {
        self.scheme = scheme;
        self
    }

    /// Check and produce the document.
    pub fn build(self) -> Result<ProtectedResourceMetadata, BuildError> {
        if !self.scheme.permits_str(self.resource.as_str()) {
            return Err(BuildError::InsecureUrl {
                member: "resource",
                url: self.resource.to_string(),
            });
        }
        // The resource must have a well-known URL at all.
        crate::well_known::protected_resource_metadata_url(&self.resource).map_err(|_| {
            BuildError::InvalidValue {
                member: "resource",
                value: self.resource.as_str().chars().take(64).collect(),
            }
        })?;
        if self.authorization_servers.is_empty() {
            return Err(BuildError::MissingMember {
                member: "authorization_servers",
            });
        }
        for (i, issuer) in self.authorization_servers.iter().enumerate() {
            if !self.scheme.permits_str(issuer.as_str()) {
                return Err(BuildError::InsecureUrl {
                    member: "authorization_servers",
                    url: issuer.to_string(),
                });
            }
            if self
                .authorization_servers
                .iter()
                .take(i)
                .any(|x| x == issuer)
            {
                return Err(BuildError::DuplicateAuthorizationServer {
                    issuer: issuer.to_string(),
                });
            }
        }
        let scopes = clean_scopes(self.scopes)?;
        if scopes.iter().any(|s| s == "offline_access") {
            return Err(BuildError::OfflineAccessScope);
        }
        if let Some(name) = &self.resource_name
            && (name.trim().is_empty() || name.chars().any(char::is_control))
        {
            return Err(BuildError::InvalidValue {
                member: "resource_name",
                value: name.chars().take(64).collect(),
            });
        }
        for (member, url) in [
            ("jwks_uri", &self.jwks_uri),
            ("resource_documentation", &self.resource_documentation),
        ] {
            if let Some(url) = url {
                check_url(member, url, self.scheme)?;
            }
        }
        let dpop_algs = clean_algs("dpop_signing_alg_values_supported", self.dpop_algs, true)?;
        check_extra(&self.extra, PRM_MEMBERS)?;
        Ok(ProtectedResourceMetadata {
            resource: self.resource,
            authorization_servers: self.authorization_servers,
            jwks_uri: self.jwks_uri,
            scopes_supported: scopes,
            bearer_methods_supported: vec!["header".to_owned()],
            resource_signing_alg_values_supported: Vec::new(),
            resource_name: self.resource_name,
            resource_documentation: self.resource_documentation,
            resource_policy_uri: None,
            resource_tos_uri: None,
            tls_client_certificate_bound_access_tokens: None,
            authorization_details_types_supported: Vec::new(),
            dpop_signing_alg_values_supported: dpop_algs,
            dpop_bound_access_tokens_required: self.dpop_bound_access_tokens_required,
            extra: self.extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValidationPolicy;
    use crate::well_known::protected_resource_metadata_candidates;

    fn builder() -> ProtectedResourceMetadataBuilder {
        ProtectedResourceMetadataBuilder::new(
            Resource::new("https://tools.toolhub.test/mcp").unwrap(),
        )
        .authorization_server(Issuer::new("https://as.toolhub.test").unwrap())
    }

    #[test]
    fn rs_01_reproduces_the_wire_example() {
        let md = builder()
            .scopes_supported(["tickets:read", "tickets:write"])
            .resource_name("ToolHub Tickets MCP")
            .build()
            .unwrap();
        let got: serde_json::Value = serde_json::from_slice(&md.to_json().unwrap()).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"resource":"https://tools.toolhub.test/mcp",
 "authorization_servers":["https://as.toolhub.test"],
 "scopes_supported":["tickets:read","tickets:write"],
 "bearer_methods_supported":["header"],
 "resource_name":"ToolHub Tickets MCP"}"#,
        )
        .unwrap();
        assert_eq!(got, expected);
        let c = protected_resource_metadata_candidates(&md.resource, None).unwrap();
        md.validate(&c[0], &ValidationPolicy::default()).unwrap();
    }

    #[test]
    fn rs_01_needs_an_authorization_server() {
        let b = ProtectedResourceMetadataBuilder::new(Resource::new("https://h/mcp").unwrap());
        assert_eq!(
            b.build(),
            Err(BuildError::MissingMember {
                member: "authorization_servers"
            })
        );
        let dup = builder().authorization_server(Issuer::new("https://as.toolhub.test").unwrap());
        assert_eq!(
            dup.build(),
            Err(BuildError::DuplicateAuthorizationServer {
                issuer: "https://as.toolhub.test".into()
            })
        );
    }

    #[test]
    fn rs_08_refuses_offline_access() {
        assert_eq!(
            builder()
                .scopes_supported(["tickets:read", "offline_access"])
                .build(),
            Err(BuildError::OfflineAccessScope)
        );
    }

    #[test]
    fn dpop_members() {
        let md = builder()
            .dpop_signing_alg_values_supported(["ES256", "EdDSA"])
            .dpop_bound_access_tokens_required(true)
            .build()
            .unwrap();
        assert_eq!(md.dpop_bound_access_tokens_required, Some(true));
        assert_eq!(md.dpop_signing_alg_values_supported, ["ES256", "EdDSA"]);
        assert!(matches!(
            builder()
                .dpop_signing_alg_values_supported(["HS256"])
                .build(),
            Err(BuildError::SymmetricAlgorithm { .. })
        ));
    }

    #[test]
    fn https_and_well_formed_values() {
        let b = ProtectedResourceMetadataBuilder::new(
            Resource::new("http://127.0.0.1:3000/mcp").unwrap(),
        )
        .authorization_server(Issuer::new("http://127.0.0.1:9000").unwrap());
        assert_eq!(
            b.clone().build(),
            Err(BuildError::InsecureUrl {
                member: "resource",
                url: "http://127.0.0.1:3000/mcp".into()
            })
        );
        b.scheme_policy(SchemePolicy::AllowLoopbackHttp)
            .build()
            .unwrap();
        let insecure_as = builder().authorization_server(Issuer::new("http://as.example").unwrap());
        assert_eq!(
            insecure_as.build(),
            Err(BuildError::InsecureUrl {
                member: "authorization_servers",
                url: "http://as.example".into()
            })
        );
        assert!(matches!(
            builder().resource_name("  ").build(),
            Err(BuildError::InvalidValue {
                member: "resource_name",
                ..
            })
        ));
        assert!(matches!(
            builder().resource_name("a\u{7}b").build(),
            Err(BuildError::InvalidValue {
                member: "resource_name",
                ..
            })
        ));
        let odd = ProtectedResourceMetadataBuilder::new(Resource::new("https://h//mcp").unwrap())
            .authorization_server(Issuer::new("https://as.example").unwrap());
        assert!(matches!(
            odd.build(),
            Err(BuildError::InvalidValue {
                member: "resource",
                ..
            })
        ));
        assert_eq!(
            builder().member("resource", serde_json::json!("x")).build(),
            Err(BuildError::ReservedMember {
                name: "resource".into()
            })
        );
    }
}
