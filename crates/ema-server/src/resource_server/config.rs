//! Resource-server configuration, validated at construction.

use std::collections::BTreeMap;

use ema_jwt::Algorithm;
use ema_jwt::verify::{DEFAULT_SKEW_SECS, MAX_SKEW_SECS};
use ema_metadata::{ProtectedResourceMetadata, ProtectedResourceMetadataBuilder, SchemePolicy};
use ema_types::{Issuer, Resource, Scope, ScopeSet};

/// The configuration of a resource server cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The protected-resource metadata cannot be built from the configuration (RS-01).
    #[error("protected-resource metadata: {0}")]
    Metadata(String),
    /// `offline_access` is listed in `scopes_supported` (RS-08).
    #[error("RS-08: offline_access must not be in scopes_supported")]
    OfflineAccess,
    /// No algorithm is allowed, or `none`/`HS*` was asked for.
    #[error("at least one asymmetric algorithm must be allowed")]
    NoAlgorithms,
    /// The clock skew is above [`MAX_SKEW_SECS`].
    #[error("clock skew {0} s is above the {MAX_SKEW_SECS} s maximum")]
    Skew(u64),
}

/// What a resource server (the MCP server) is and trusts: its canonical resource URI, the
/// authorization server whose access tokens it accepts, the scopes it supports and its
/// protected-resource metadata (RS-01..RS-08). Build it with [`ResourceServerConfig::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResourceServerConfig {
    pub(crate) resource: Resource,
    pub(crate) issuer: Issuer,
    pub(crate) scopes_supported: ScopeSet,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) skew: u64,
    pub(crate) implied: BTreeMap<Scope, ScopeSet>,
    pub(crate) metadata: ProtectedResourceMetadata,
    pub(crate) metadata_json: Vec<u8>,
    pub(crate) metadata_url: String,
    pub(crate) metadata_paths: Vec<String>,
    pub(crate) external_origin: String,
}

impl ResourceServerConfig {
    /// Start a configuration for the resource `resource` (its canonical URI, META-08) that
    /// accepts access tokens of the authorization server `issuer` only (RS-07).
    pub fn builder(resource: Resource, issuer: Issuer) -> ResourceServerConfigBuilder {
        ResourceServerConfigBuilder {
            resource,
            issuer,
            scopes_supported: ScopeSet::new(),
            algorithms: vec![Algorithm::ES256, Algorithm::RS256],
            skew: DEFAULT_SKEW_SECS,
            resource_name: None,
            serve_root_metadata: false,
            scheme: SchemePolicy::HttpsOnly,
            implied: BTreeMap::new(),
            external_origin: None,
        }
    }

    /// The external origin (`scheme://host[:port]`) DPoP proofs are checked against: a
    /// request's `htu` is this origin followed by the request path (RS-10). Default: the
    /// origin of the resource identifier; set it with
    /// [`ResourceServerConfigBuilder::external_origin`] behind a proxy that changes it.
    #[must_use]
    pub fn external_origin(&self) -> &str {
        &self.external_origin
    }

    /// The resource identifier.
    #[must_use]
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// The authorization server whose tokens are accepted.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// `scopes_supported`.
    #[must_use]
    pub fn scopes_supported(&self) -> &ScopeSet {
        &self.scopes_supported
    }

    /// The protected-resource metadata document (RS-01).
    #[must_use]
    pub fn metadata(&self) -> &ProtectedResourceMetadata {
        &self.metadata
    }

    /// The path-inserted metadata URL, sent as `resource_metadata` in every challenge.
    #[must_use]
    pub fn metadata_url(&self) -> &str {
        &self.metadata_url
    }

    /// The paths at which the metadata is served: the path-inserted one, then the root one
    /// when configured and distinct (RS-01).
    #[must_use]
    pub fn metadata_paths(&self) -> &[String] {
        &self.metadata_paths
    }
}

/// Builds a [`ResourceServerConfig`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ResourceServerConfigBuilder {
    resource: Resource,
    issuer: Issuer,
    scopes_supported: ScopeSet,
    algorithms: Vec<Algorithm>,
    skew: u64,
    resource_name: Option<String>,
    serve_root_metadata: bool,
    scheme: SchemePolicy,
    implied: BTreeMap<Scope, ScopeSet>,
    external_origin: Option<String>,
}

impl ResourceServerConfigBuilder {
    /// The origin (`scheme://host[:port]`) clients reach this server at, for the `htu` of DPoP
    /// proofs (RS-10). Default: the resource identifier's origin. A path, query or fragment
    /// is refused by [`Self::build`].
    pub fn external_origin(mut self, origin: impl Into<String>) -> Self {
        self.external_origin = Some(origin.into());
        self
    }

    /// `scopes_supported` of the metadata, and the scopes of a missing-token challenge when an
    /// operation names none (RS-02). `offline_access` is refused (RS-08).
    pub fn scopes_supported(mut self, scopes: ScopeSet) -> Self {
        self.scopes_supported = scopes;
        self
    }

    /// Access-token algorithms accepted (default ES256 and RS256, JWT-02).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Clock skew in seconds (default 60, at most 300; JWT-06).
    pub fn skew(mut self, secs: u64) -> Self {
        self.skew = secs;
        self
    }

    /// `resource_name` of the metadata (RECOMMENDED by RFC 9728).
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// Also serve the metadata at the host's root well-known URL (RS-01: when this is the only
    /// resource on the host).
    pub fn serve_root_metadata(mut self, serve: bool) -> Self {
        self.serve_root_metadata = serve;
        self
    }

    /// Allow `http` on loopback hosts (development only; default `https` only).
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.scheme = if allow {
            SchemePolicy::AllowLoopbackHttp
        } else {
            SchemePolicy::HttpsOnly
        };
        self
    }

    /// Scope hierarchy (RS-05): a token granted `scope` also satisfies `implies` (for example
    /// `tickets:write` implies `tickets:read`). Not transitive.
    pub fn scope_implies(mut self, scope: Scope, implies: ScopeSet) -> Self {
        let entry = self.implied.entry(scope).or_default();
        *entry = entry.union(&implies);
        self
    }

    /// Check and produce the configuration.
    pub fn build(self) -> Result<ResourceServerConfig, ConfigError> {
        if self.scopes_supported.contains("offline_access") {
            return Err(ConfigError::OfflineAccess);
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        if self.skew > MAX_SKEW_SECS {
            return Err(ConfigError::Skew(self.skew));
        }
        let external_origin = match &self.external_origin {
            Some(o) => origin_of(o.trim_end_matches('/'))
                .filter(|parsed| parsed == o.trim_end_matches('/'))
                .ok_or_else(|| {
                    ConfigError::Metadata(format!("external origin `{o}` is not an origin"))
                })?,
            None => origin_of(self.resource.as_str()).ok_or_else(|| {
                ConfigError::Metadata("resource identifier has no origin".to_owned())
            })?,
        };
        let mut builder = ProtectedResourceMetadataBuilder::new(self.resource.clone())
            .authorization_server(self.issuer.clone())
            .scopes_supported(self.scopes_supported.iter().map(|s| s.as_str().to_owned()))
            .scheme_policy(self.scheme);
        if let Some(name) = self.resource_name {
            builder = builder.resource_name(name);
        }
        let metadata = builder
            .build()
            .map_err(|e| ConfigError::Metadata(e.to_string()))?;
        let metadata_json = metadata
            .to_json()
            .map_err(|e| ConfigError::Metadata(e.to_string()))?;
        let url = metadata
            .well_known_url()
            .map_err(|e| ConfigError::Metadata(e.to_string()))?;
        let mut metadata_paths = vec![url.path().to_owned()];
        if self.serve_root_metadata && metadata.root_url_is_distinct() {
            metadata_paths.push(ema_types::urn::WELL_KNOWN_PROTECTED_RESOURCE.to_owned());
        }
        Ok(ResourceServerConfig {
            resource: self.resource,
            issuer: self.issuer,
            scopes_supported: self.scopes_supported,
            algorithms: self.algorithms,
            skew: self.skew,
            implied: self.implied,
            metadata,
            metadata_json,
            metadata_url: url.to_string(),
            metadata_paths,
            external_origin,
        })
    }
}

/// `scheme://authority` of an absolute `http(s)` URL.
fn origin_of(url: &str) -> Option<String> {
    let uri = http::Uri::try_from(url).ok()?;
    let scheme = uri
        .scheme_str()
        .filter(|s| matches!(*s, "http" | "https"))?;
    let authority = uri.authority()?;
    Some(format!("{scheme}://{authority}"))
}
