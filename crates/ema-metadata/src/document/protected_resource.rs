//! Protected-resource metadata (RFC 9728).

use ema_types::{Issuer, Resource};
use serde::{Deserialize, Serialize};
use url::Url;

use super::serde_helpers::strings_or_null;
use super::{DocumentError, parse};
use crate::validation::{ValidationError, ValidationPolicy, check_endpoint};
use crate::well_known::{ResourceMetadataCandidate, WellKnownError};

/// Protected-resource metadata (RFC 9728 §2): what an MCP server publishes so clients can
/// find its authorization server.
///
/// Members this type does not know are kept in [`Self::extra`]. String arrays that are
/// absent, `null` or empty all read as empty.
///
/// Build one to serve with [`crate::ProtectedResourceMetadataBuilder`]; read one with
/// [`Self::from_json`] and check it with [`Self::validate`] before use.
///
/// ```
/// use ema_metadata::ProtectedResourceMetadata;
/// let md = ProtectedResourceMetadata::from_json(br#"{"resource":"https://tools.toolhub.test/mcp",
///   "authorization_servers":["https://as.toolhub.test"],"bearer_methods_supported":["header"]}"#)?;
/// assert_eq!(md.authorization_servers[0], "https://as.toolhub.test");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProtectedResourceMetadata {
    /// `resource` (REQUIRED): the resource identifier, kept byte for byte.
    pub resource: Resource,
    /// `authorization_servers`: issuer identifiers of the authorization servers that issue
    /// tokens for this resource (MCP requires at least one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<Issuer>,
    /// `jwks_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<Url>,
    /// `scopes_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub scopes_supported: Vec<String>,
    /// `bearer_methods_supported` (`header`, `body`, `query`).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub bearer_methods_supported: Vec<String>,
    /// `resource_signing_alg_values_supported`.
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_signing_alg_values_supported: Vec<String>,
    /// `resource_name`: human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// `resource_documentation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<Url>,
    /// `resource_policy_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy_uri: Option<Url>,
    /// `resource_tos_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_tos_uri: Option<Url>,
    /// `tls_client_certificate_bound_access_tokens` (RFC 8705).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_certificate_bound_access_tokens: Option<bool>,
    /// `authorization_details_types_supported` (RFC 9396).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub authorization_details_types_supported: Vec<String>,
    /// `dpop_signing_alg_values_supported` (RFC 9449).
    #[serde(
        default,
        deserialize_with = "strings_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dpop_signing_alg_values_supported: Vec<String>,
    /// `dpop_bound_access_tokens_required` (RFC 9449).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_bound_access_tokens_required: Option<bool>,
    /// Members not typed above, kept as received.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Every member name typed by [`ProtectedResourceMetadata`].
pub(crate) const MEMBERS: &[&str] = &[
    "resource",
    "authorization_servers",
    "jwks_uri",
    "scopes_supported",
    "bearer_methods_supported",
    "resource_signing_alg_values_supported",
    "resource_name",
    "resource_documentation",
    "resource_policy_uri",
    "resource_tos_uri",
    "tls_client_certificate_bound_access_tokens",
    "authorization_details_types_supported",
    "dpop_signing_alg_values_supported",
    "dpop_bound_access_tokens_required",
];

impl ProtectedResourceMetadata {
    /// Parse a received document (at most [`super::MAX_DOCUMENT_BYTES`]; a repeated typed
    /// member is an error). Call [`Self::validate`] before using it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DocumentError> {
        parse(bytes)
    }

    /// Serialize for serving (`Content-Type: application/json`).
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }

    /// Check a received document before use:
    ///
    /// - META-03 (RFC 9728 §3.3): `resource` is what `candidate` requires, see
    ///   [`ResourceMetadataCandidate::accepts`];
    /// - `resource` and `jwks_uri` are `https` (or loopback `http` under a development policy);
    /// - RS-01: `authorization_servers` has at least one entry.
    ///
    /// Each listed authorization server is checked when one is picked, not here.
    pub fn validate(
        &self,
        candidate: &ResourceMetadataCandidate,
        policy: &ValidationPolicy,
    ) -> Result<(), ValidationError> {
        if !candidate.accepts(&self.resource, &policy.accepted_resource_prefixes) {
            return Err(ValidationError::ResourceMismatch {
                expected: candidate.expected(),
                found: self.resource.to_string(),
            });
        }
        if !policy.scheme.permits_str(self.resource.as_str()) {
            return Err(ValidationError::InsecureUrl {
                member: "resource",
                url: self.resource.to_string(),
            });
        }
        check_endpoint("jwks_uri", self.jwks_uri.as_ref(), policy.scheme)?;
        if self.authorization_servers.is_empty() {
            return Err(ValidationError::NoAuthorizationServers);
        }
        Ok(())
    }

    /// The path-inserted URL at which this document is served (META-01, RS-01).
    pub fn well_known_url(&self) -> Result<Url, WellKnownError> {
        crate::well_known::protected_resource_metadata_url(&self.resource)
    }

    /// Whether this resource's document should also be served at the host's root URL
    /// (`/.well-known/oauth-protected-resource`): true when the resource has a path, which
    /// makes the root URL distinct (RS-01: serve it when this is the only resource on the
    /// host).
    #[must_use]
    pub fn root_url_is_distinct(&self) -> bool {
        match (
            self.well_known_url(),
            crate::well_known::protected_resource_metadata_root_url(&self.resource),
        ) {
            (Ok(a), Ok(b)) => a != b,
            _ => false,
        }
    }

    /// The path component of [`Self::well_known_url`], for mounting a route. Starts with
    /// `/.well-known/oauth-protected-resource`.
    pub fn well_known_path(&self) -> Result<String, WellKnownError> {
        Ok(self.well_known_url()?.path().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::well_known::protected_resource_metadata_candidates;

    const PRM_EXAMPLE: &str = r#"{"resource":"https://tools.toolhub.test/mcp",
 "authorization_servers":["https://as.toolhub.test"],
 "scopes_supported":["tickets:read","tickets:write"],
 "bearer_methods_supported":["header"],
 "resource_name":"ToolHub Tickets MCP"}"#;

    fn candidates(requested: &str, header: Option<&str>) -> Vec<ResourceMetadataCandidate> {
        protected_resource_metadata_candidates(
            &Resource::new(requested).unwrap(),
            header.map(|h| Url::parse(h).unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn parses_the_wire_example() {
        let md = ProtectedResourceMetadata::from_json(PRM_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(md.resource, "https://tools.toolhub.test/mcp");
        assert_eq!(md.resource_name.as_deref(), Some("ToolHub Tickets MCP"));
        assert_eq!(md.bearer_methods_supported, ["header"]);
        let c = candidates("https://tools.toolhub.test/mcp", None);
        md.validate(&c[0], &ValidationPolicy::default()).unwrap();
        assert_eq!(
            md.well_known_url().unwrap().as_str(),
            "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            md.well_known_path().unwrap(),
            "/.well-known/oauth-protected-resource/mcp"
        );
        assert!(md.root_url_is_distinct());
    }

    #[test]
    fn meta_03_resource_must_match_the_requested_url() {
        let md = ProtectedResourceMetadata::from_json(PRM_EXAMPLE.as_bytes()).unwrap();
        // Fetched through the header for a different requested URL.
        let c = candidates(
            "https://tools.toolhub.test/other",
            Some("https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp"),
        );
        let err = md
            .validate(&c[0], &ValidationPolicy::default())
            .unwrap_err();
        assert_eq!(
            err,
            ValidationError::ResourceMismatch {
                expected: "https://tools.toolhub.test/other".into(),
                found: "https://tools.toolhub.test/mcp".into()
            }
        );
        assert_eq!(err.requirement(), "META-03");
        // A trailing slash is a different identifier.
        let c = candidates("https://tools.toolhub.test/mcp/", None);
        assert!(matches!(
            md.validate(&c[0], &ValidationPolicy::default()),
            Err(ValidationError::ResourceMismatch { .. })
        ));
    }

    #[test]
    fn meta_03_root_document_may_name_the_host() {
        let md = ProtectedResourceMetadata::from_json(
            br#"{"resource":"https://tools.toolhub.test","authorization_servers":["https://as.toolhub.test"]}"#,
        )
        .unwrap();
        let c = candidates("https://tools.toolhub.test/mcp", None);
        let (inserted, root) = (&c[0], &c[1]);
        assert!(matches!(
            md.validate(inserted, &ValidationPolicy::default()),
            Err(ValidationError::ResourceMismatch { .. })
        ));
        md.validate(root, &ValidationPolicy::default()).unwrap();
    }

    #[test]
    fn oq_12_prefix_allow_list_is_opt_in() {
        let md = ProtectedResourceMetadata::from_json(
            br#"{"resource":"https://h/api","authorization_servers":["https://as.example"]}"#,
        )
        .unwrap();
        let c = candidates("https://h/api/mcp", None);
        assert!(md.validate(&c[0], &ValidationPolicy::default()).is_err());
        let policy = ValidationPolicy::default()
            .accept_resource_prefix(Resource::new("https://h/api").unwrap());
        md.validate(&c[0], &policy).unwrap();
    }

    #[test]
    fn rs_01_at_least_one_authorization_server() {
        let md = ProtectedResourceMetadata::from_json(br#"{"resource":"https://h/mcp"}"#).unwrap();
        let c = candidates("https://h/mcp", None);
        assert_eq!(
            md.validate(&c[0], &ValidationPolicy::default()),
            Err(ValidationError::NoAuthorizationServers)
        );
    }

    #[test]
    fn https_required_unless_development_loopback() {
        let md = ProtectedResourceMetadata::from_json(
            br#"{"resource":"http://127.0.0.1:3000/mcp","authorization_servers":["http://127.0.0.1:9000"]}"#,
        )
        .unwrap();
        let c = candidates("http://127.0.0.1:3000/mcp", None);
        assert_eq!(
            md.validate(&c[0], &ValidationPolicy::strict()),
            Err(ValidationError::InsecureUrl {
                member: "resource",
                url: "http://127.0.0.1:3000/mcp".into()
            })
        );
        md.validate(&c[0], &ValidationPolicy::development())
            .unwrap();
    }

    #[test]
    fn strict_parsing_and_unknown_members() {
        let dup = br#"{"resource":"https://h/mcp","resource":"https://evil/mcp"}"#;
        assert!(matches!(
            ProtectedResourceMetadata::from_json(dup),
            Err(DocumentError::Json { .. })
        ));
        assert!(matches!(
            ProtectedResourceMetadata::from_json(br#"{"resource":"https://h/mcp#frag"}"#),
            Err(DocumentError::Json { .. })
        ));
        assert!(matches!(
            ProtectedResourceMetadata::from_json(
                br#"{"resource":"https://h/mcp","authorization_servers":["https://as?x=1"]}"#
            ),
            Err(DocumentError::Json { .. })
        ));
        let md = ProtectedResourceMetadata::from_json(
            br#"{"resource":"https://h/mcp","signed_metadata":"eyJ.x.y","x":{"y":[true]}}"#,
        )
        .unwrap();
        assert_eq!(md.extra.len(), 2);
        let back: serde_json::Value = serde_json::from_slice(&md.to_json().unwrap()).unwrap();
        assert_eq!(back["x"]["y"][0], true);
    }

    #[test]
    fn member_list_matches_the_struct() {
        let url = Url::parse("https://h/x").unwrap();
        let strings = vec!["x".to_owned()];
        let md = ProtectedResourceMetadata {
            resource: Resource::new("https://h/mcp").unwrap(),
            authorization_servers: vec![Issuer::new("https://as.example").unwrap()],
            jwks_uri: Some(url.clone()),
            scopes_supported: strings.clone(),
            bearer_methods_supported: strings.clone(),
            resource_signing_alg_values_supported: strings.clone(),
            resource_name: Some("n".into()),
            resource_documentation: Some(url.clone()),
            resource_policy_uri: Some(url.clone()),
            resource_tos_uri: Some(url),
            tls_client_certificate_bound_access_tokens: Some(false),
            authorization_details_types_supported: strings.clone(),
            dpop_signing_alg_values_supported: strings,
            dpop_bound_access_tokens_required: Some(true),
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
    }
}
