//! Configuration of the resource authorization server (AS-06, OQ-02, OQ-04, OQ-19, OQ-20).

use std::collections::HashSet;

use ema_jwt::Algorithm;
use ema_jwt::mint::{ACCESS_TOKEN_DEFAULT_TTL_SECS, ACCESS_TOKEN_MAX_TTL_SECS};
use ema_jwt::verify::{DEFAULT_SKEW_SECS, MAX_SKEW_SECS};
use ema_types::{Issuer, Resource, ScopeSet};

use crate::ConfigError;

/// An identity-assertion issuer (IdP) the AS trusts (AS-06): the exact `iss` string, the
/// algorithms accepted from it and, optionally, the tenant its ID-JAGs must carry (§6 step 15).
/// Its keys come from the [`KeySource`](crate::keys::KeySource); which clients may present its
/// ID-JAGs is in the client registry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedIssuer {
    /// The issuer, compared byte for byte with `iss`.
    pub issuer: Issuer,
    /// Algorithms accepted (§6 step 6). Default: ES256.
    pub algorithms: Vec<Algorithm>,
    /// The `tenant` claim required, if any.
    pub tenant: Option<String>,
}

impl TrustedIssuer {
    /// Trust `issuer` with ES256.
    #[must_use]
    pub fn new(issuer: Issuer) -> Self {
        Self {
            issuer,
            algorithms: vec![Algorithm::ES256],
            tenant: None,
        }
    }

    /// Set the accepted algorithms.
    #[must_use]
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Require the `tenant` claim to be `tenant`.
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }
}

/// A resource (MCP server) the AS issues access tokens for, with the scopes it knows and the
/// scopes granted when an ID-JAG carries no `scope` (OQ-04).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceConfig {
    /// The resource identifier (the access token's `aud`, AS-09).
    pub resource: Resource,
    /// Every scope of this resource.
    pub scopes: ScopeSet,
    /// Granted when the ID-JAG has no `scope` claim (a subset of `scopes`).
    pub default_scopes: ScopeSet,
}

impl ResourceConfig {
    /// A resource with `scopes` and no default scopes.
    #[must_use]
    pub fn new(resource: Resource, scopes: ScopeSet) -> Self {
        Self {
            resource,
            scopes,
            default_scopes: ScopeSet::new(),
        }
    }

    /// Set the default scopes.
    #[must_use]
    pub fn with_default_scopes(mut self, scopes: ScopeSet) -> Self {
        self.default_scopes = scopes;
        self
    }
}

/// The resource AS configuration. Build with [`AuthorizationServerConfig::builder`]; the
/// builder validates.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthorizationServerConfig {
    /// This AS's issuer identifier (the only `aud` accepted in an ID-JAG, §6 step 11).
    pub issuer: Issuer,
    /// Trusted identity-assertion issuers.
    pub trusted_issuers: Vec<TrustedIssuer>,
    /// Resources served.
    pub resources: Vec<ResourceConfig>,
    /// Clock skew in seconds (JWT-06, ≤ 300).
    pub skew: u64,
    /// Access-token lifetime in seconds (≤ 86400, OQ-20).
    pub access_token_ttl: u64,
    /// Accept an ID-JAG without `resource` when exactly one resource is served (OQ-02).
    pub allow_missing_resource: bool,
    /// Refuse an ID-JAG without `scope` instead of granting the default scopes (OQ-04).
    pub require_scope_claim: bool,
    /// Serve public clients whose registration says so (AS-03, OQ-08).
    pub allow_public_clients: bool,
    /// Accept ID-JAGs carrying `act` (OQ-19; the claim is otherwise ignored).
    pub allow_actor_claim: bool,
    /// Accept the token endpoint URL as a client assertion's `aud` (JWT-10 legacy).
    pub legacy_token_endpoint_audience: Option<String>,
    /// The absolute URL of this AS's token endpoint as clients call it: the `htu` of DPoP
    /// proofs (AS-17). `None`: the issuer followed by `/token` (see
    /// [`Self::dpop_token_endpoint`]).
    pub token_endpoint: Option<String>,
    /// Refuse ID-JAGs that are not DPoP-bound and requests without a DPoP proof (AS-17:
    /// `invalid_grant`; default off).
    pub require_dpop: bool,
}

impl AuthorizationServerConfig {
    /// The `htu` DPoP proofs must carry at the token endpoint (AS-17): [`Self::token_endpoint`]
    /// when set, else the issuer followed by `/token`.
    #[must_use]
    pub fn dpop_token_endpoint(&self) -> String {
        self.token_endpoint
            .clone()
            .unwrap_or_else(|| crate::dpop::default_token_endpoint(self.issuer.as_str()))
    }

    /// A builder for the AS `issuer`.
    pub fn builder(issuer: Issuer) -> AuthorizationServerConfigBuilder {
        AuthorizationServerConfigBuilder {
            config: Self {
                issuer,
                trusted_issuers: Vec::new(),
                resources: Vec::new(),
                skew: DEFAULT_SKEW_SECS,
                access_token_ttl: ACCESS_TOKEN_DEFAULT_TTL_SECS,
                allow_missing_resource: false,
                require_scope_claim: false,
                allow_public_clients: false,
                allow_actor_claim: false,
                legacy_token_endpoint_audience: None,
                token_endpoint: None,
                require_dpop: false,
            },
        }
    }

    /// The trusted issuer named exactly `iss`.
    #[must_use]
    pub fn trusted_issuer(&self, iss: &str) -> Option<&TrustedIssuer> {
        self.trusted_issuers
            .iter()
            .find(|t| t.issuer.as_str() == iss)
    }

    /// The served resource a presented value names.
    #[must_use]
    pub fn resource(&self, presented: &str) -> Option<&ResourceConfig> {
        self.resources
            .iter()
            .find(|r| r.resource.matches_presented(presented))
    }

    /// Every scope of every served resource (for `scopes_supported`).
    #[must_use]
    pub fn all_scopes(&self) -> ScopeSet {
        self.resources
            .iter()
            .fold(ScopeSet::new(), |acc, r| acc.union(&r.scopes))
    }
}

/// Builds and validates an [`AuthorizationServerConfig`].
#[derive(Debug, Clone)]
#[must_use]
pub struct AuthorizationServerConfigBuilder {
    config: AuthorizationServerConfig,
}

impl AuthorizationServerConfigBuilder {
    /// Trust an issuer.
    pub fn trusted_issuer(mut self, issuer: TrustedIssuer) -> Self {
        self.config.trusted_issuers.push(issuer);
        self
    }

    /// Serve a resource.
    pub fn resource(mut self, resource: ResourceConfig) -> Self {
        self.config.resources.push(resource);
        self
    }

    /// Clock skew in seconds (default 60, at most 300).
    pub fn skew(mut self, secs: u64) -> Self {
        self.config.skew = secs;
        self
    }

    /// Access-token lifetime in seconds (default 3600, at most 86400).
    pub fn access_token_ttl(mut self, secs: u64) -> Self {
        self.config.access_token_ttl = secs;
        self
    }

    /// OQ-02 `allow_missing_resource` (default off).
    pub fn allow_missing_resource(mut self, allow: bool) -> Self {
        self.config.allow_missing_resource = allow;
        self
    }

    /// OQ-04 `require_scope_claim` (default off).
    pub fn require_scope_claim(mut self, require: bool) -> Self {
        self.config.require_scope_claim = require;
        self
    }

    /// AS-03 public-client opt-in (default off).
    pub fn allow_public_clients(mut self, allow: bool) -> Self {
        self.config.allow_public_clients = allow;
        self
    }

    /// OQ-19: accept ID-JAGs carrying `act` (default off).
    pub fn allow_actor_claim(mut self, allow: bool) -> Self {
        self.config.allow_actor_claim = allow;
        self
    }

    /// JWT-10 legacy: accept `token_endpoint` as a client assertion's `aud` (default off).
    pub fn legacy_token_endpoint_audience(mut self, token_endpoint: impl Into<String>) -> Self {
        self.config.legacy_token_endpoint_audience = Some(token_endpoint.into());
        self
    }

    /// The absolute `http(s)` URL of the token endpoint, the `htu` of DPoP proofs (AS-17;
    /// default: the issuer followed by `/token`).
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.token_endpoint = Some(url.into());
        self
    }

    /// AS-17: require sender-constrained (DPoP) access tokens (default off).
    pub fn require_dpop(mut self, require: bool) -> Self {
        self.config.require_dpop = require;
        self
    }

    /// Validate and build.
    ///
    /// # Errors
    ///
    /// No trusted issuer or resource; an issuer trusted twice or with no algorithm; the AS
    /// itself as a trusted issuer (AS-23: no chaining); a resource served twice; default
    /// scopes outside the resource's scopes; skew over 300 s; a lifetime of 0 or over 86400 s;
    /// `allow_missing_resource` with other than exactly one resource.
    pub fn build(self) -> Result<AuthorizationServerConfig, ConfigError> {
        let c = self.config;
        if c.token_endpoint
            .as_deref()
            .is_some_and(|u| !crate::dpop::is_absolute_http_url(u))
        {
            return Err(ConfigError::new(
                "token_endpoint is not an absolute http(s) URL",
            ));
        }
        if c.trusted_issuers.is_empty() {
            return Err(ConfigError::new("no trusted issuer"));
        }
        if c.resources.is_empty() {
            return Err(ConfigError::new("no resource"));
        }
        let mut seen = HashSet::new();
        for t in &c.trusted_issuers {
            if !seen.insert(t.issuer.as_str()) {
                return Err(ConfigError::new(format!(
                    "issuer {} trusted twice",
                    t.issuer.as_str()
                )));
            }
            if t.algorithms.is_empty() {
                return Err(ConfigError::new(format!(
                    "issuer {} has no algorithm",
                    t.issuer.as_str()
                )));
            }
            if t.issuer == c.issuer {
                return Err(ConfigError::new(
                    "the AS cannot trust itself as an identity-assertion issuer (AS-23)",
                ));
            }
        }
        let mut seen = HashSet::new();
        for r in &c.resources {
            if !seen.insert(r.resource.as_str()) {
                return Err(ConfigError::new(format!(
                    "resource {} configured twice",
                    r.resource.as_str()
                )));
            }
            if !r.default_scopes.is_subset(&r.scopes) {
                return Err(ConfigError::new(format!(
                    "default scopes of {} are not among its scopes",
                    r.resource.as_str()
                )));
            }
        }
        if c.skew > MAX_SKEW_SECS {
            return Err(ConfigError::new("skew must be at most 300 seconds"));
        }
        if c.access_token_ttl == 0 || c.access_token_ttl > ACCESS_TOKEN_MAX_TTL_SECS {
            return Err(ConfigError::new(
                "access-token lifetime must be 1..=86400 seconds",
            ));
        }
        if c.allow_missing_resource && c.resources.len() != 1 {
            return Err(ConfigError::new(
                "allow_missing_resource needs exactly one resource",
            ));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(s: &str) -> Issuer {
        Issuer::new(s).unwrap()
    }

    fn base() -> AuthorizationServerConfigBuilder {
        AuthorizationServerConfig::builder(issuer("https://as.example"))
            .trusted_issuer(TrustedIssuer::new(issuer("https://idp.example")))
            .resource(ResourceConfig::new(
                Resource::new("https://mcp.example/").unwrap(),
                ScopeSet::parse("a b").unwrap(),
            ))
    }

    #[test]
    fn as_06_config_is_validated() {
        let ok = base().build().unwrap();
        assert_eq!(ok.skew, 60);
        assert_eq!(ok.access_token_ttl, 3600);
        assert!(!ok.allow_public_clients && !ok.require_scope_claim && !ok.allow_missing_resource);
        assert!(ok.trusted_issuer("https://idp.example").is_some());
        assert!(ok.trusted_issuer("https://idp.example/").is_none());
        let bad = [
            AuthorizationServerConfig::builder(issuer("https://as.example")).build(),
            base()
                .trusted_issuer(TrustedIssuer::new(issuer("https://idp.example")))
                .build(),
            base()
                .trusted_issuer(TrustedIssuer::new(issuer("https://as.example")))
                .build(),
            base()
                .trusted_issuer(TrustedIssuer::new(issuer("https://x.example")).with_algorithms([]))
                .build(),
            base().skew(301).build(),
            base().access_token_ttl(0).build(),
            base().access_token_ttl(86_401).build(),
            base()
                .resource(ResourceConfig::new(
                    Resource::new("https://mcp2.example/").unwrap(),
                    ScopeSet::new(),
                ))
                .allow_missing_resource(true)
                .build(),
            base()
                .resource(
                    ResourceConfig::new(
                        Resource::new("https://mcp2.example/").unwrap(),
                        ScopeSet::parse("a").unwrap(),
                    )
                    .with_default_scopes(ScopeSet::parse("z").unwrap()),
                )
                .build(),
        ];
        for (i, b) in bad.into_iter().enumerate() {
            assert!(b.is_err(), "case {i}");
        }
        assert!(base().allow_missing_resource(true).build().is_ok());
    }
}
