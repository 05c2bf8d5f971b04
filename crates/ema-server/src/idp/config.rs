//! IdP configuration, validated at construction.

use ema_jwt::Algorithm;
use ema_jwt::mint::ID_JAG_DEFAULT_TTL_SECS;
use ema_jwt::verify::{DEFAULT_SKEW_SECS, ID_JAG_MAX_LIFETIME_SECS, MAX_SKEW_SECS};
use ema_metadata::{AuthorizationServerMetadata, IdentityProviderMetadataBuilder, SchemePolicy};
use ema_types::{Issuer, Resource, urn};

/// The IdP configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdpConfigError {
    /// The ID-JAG lifetime is outside 1..=600 s (IDP-16).
    #[error("ID-JAG lifetime {0} s is outside 1..={ID_JAG_MAX_LIFETIME_SECS} s")]
    Lifetime(u64),
    /// The clock skew is above the maximum.
    #[error("clock skew {0} s is above the {MAX_SKEW_SECS} s maximum")]
    Skew(u64),
    /// No ID-token algorithm is allowed.
    #[error("at least one ID-token algorithm must be allowed")]
    NoAlgorithms,
    /// Two audiences (or an alias and an audience) share a name.
    #[error("audience `{0}` is configured twice")]
    DuplicateAudience(String),
    /// An audience has no allowed resource (IDP-10: nothing could be granted for it).
    #[error("audience `{0}` has no allowed resource")]
    NoResources(String),
    /// The metadata cannot be built (IDP-21).
    #[error("metadata: {0}")]
    Metadata(String),
    /// The signing key cannot be used.
    #[error("signing key: {0}")]
    SigningKey(String),
}

/// An authorization server the IdP issues ID-JAGs for (IDP-09, IDP-10, IDP-24).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedAudience {
    /// The AS issuer identifier: the `audience` clients send and the ID-JAG `aud`.
    pub issuer: Issuer,
    /// Other `audience` values that name this AS (IDP-09 MAY, OQ-13), for example URNs.
    pub aliases: Vec<String>,
    /// The resources (MCP servers) of this AS an ID-JAG may name (IDP-10).
    pub resources: Vec<Resource>,
    /// Write the user's `email` into ID-JAGs for this AS (IDP-24, OQ-11; default off).
    pub include_email: bool,
    /// `tenant`: this (multi-tenant) IdP's tenant, written when the AS needs it (IDP-14).
    pub tenant: Option<String>,
    /// `aud_tenant`: the AS's tenant, for a multi-tenant AS (IDP-14).
    pub aud_tenant: Option<String>,
}

impl TrustedAudience {
    /// The AS `issuer`, with no resource allowed yet.
    #[must_use]
    pub fn new(issuer: Issuer) -> Self {
        Self {
            issuer,
            aliases: Vec::new(),
            resources: Vec::new(),
            include_email: false,
            tenant: None,
            aud_tenant: None,
        }
    }

    /// Accept `alias` as an `audience` value naming this AS.
    #[must_use]
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.aliases.push(alias.into());
        self
    }

    /// Allow the (this AS, `resource`) pair (IDP-10).
    #[must_use]
    pub fn resource(mut self, resource: Resource) -> Self {
        self.resources.push(resource);
        self
    }

    /// Include `email` in ID-JAGs for this AS (IDP-24).
    #[must_use]
    pub fn include_email(mut self, include: bool) -> Self {
        self.include_email = include;
        self
    }

    /// Write `tenant` (the IdP tenant the AS expects for its users, IDP-14) into ID-JAGs for
    /// this AS.
    #[must_use]
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Write `aud_tenant` (the AS's own tenant, IDP-14) into ID-JAGs for this AS.
    #[must_use]
    pub fn aud_tenant(mut self, aud_tenant: impl Into<String>) -> Self {
        self.aud_tenant = Some(aud_tenant.into());
        self
    }

    /// Whether `audience` names this AS: the issuer byte-for-byte, or an alias (IDP-09).
    #[must_use]
    pub fn is_named_by(&self, audience: &str) -> bool {
        self.issuer.as_str() == audience || self.aliases.iter().any(|a| a == audience)
    }

    /// The configured resource a presented `resource` names (exact, except for the case of
    /// scheme and host, META-08).
    #[must_use]
    pub fn allowed_resource(&self, presented: &Resource) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.matches_presented(presented.as_str()))
    }
}

/// The IdP's token-exchange configuration: its issuer, the authorization servers it serves,
/// the ID-JAG lifetime and the ID-token rules. Build it with [`IdpConfig::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdpConfig {
    pub(crate) issuer: Issuer,
    pub(crate) audiences: Vec<TrustedAudience>,
    pub(crate) ttl: u64,
    pub(crate) skew: u64,
    pub(crate) id_token_algorithms: Vec<Algorithm>,
    pub(crate) token_endpoint: String,
}

impl IdpConfig {
    /// Start a configuration for the IdP `issuer`.
    pub fn builder(issuer: Issuer) -> IdpConfigBuilder {
        IdpConfigBuilder {
            issuer,
            audiences: Vec::new(),
            ttl: ID_JAG_DEFAULT_TTL_SECS,
            skew: DEFAULT_SKEW_SECS,
            id_token_algorithms: vec![Algorithm::ES256, Algorithm::RS256],
            token_endpoint: None,
        }
    }

    /// The absolute URL of the IdP token endpoint, the `htu` DPoP proofs must carry
    /// (IDP-20): the one given to [`IdpConfigBuilder::token_endpoint`], by default the
    /// issuer followed by `/token`.
    #[must_use]
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// The IdP issuer.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The authorization servers served.
    #[must_use]
    pub fn audiences(&self) -> &[TrustedAudience] {
        &self.audiences
    }

    /// The ID-JAG lifetime in seconds.
    #[must_use]
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// The audience an `audience` value names (IDP-09).
    #[must_use]
    pub fn resolve_audience(&self, audience: &str) -> Option<&TrustedAudience> {
        self.audiences.iter().find(|a| a.is_named_by(audience))
    }

    /// The IdP's metadata (IDP-21): `issuer`, the given endpoints, `response_types_supported`
    /// `["code"]`, `grant_types_supported` with the token-exchange grant,
    /// `identity_chaining_requested_token_types_supported` with the ID-JAG type, and the
    /// client authentication methods of [`crate::client_auth`], and
    /// `dpop_signing_alg_values_supported` ES256, EdDSA (IDP-20; a warning is logged when
    /// `token_endpoint` is not [`Self::token_endpoint`]). `loopback_http` allows `http`
    /// on loopback hosts (development).
    pub fn metadata(
        &self,
        authorization_endpoint: &str,
        token_endpoint: &str,
        jwks_uri: &str,
        loopback_http: bool,
    ) -> Result<AuthorizationServerMetadata, IdpConfigError> {
        let bad = |what: &str| IdpConfigError::Metadata(format!("{what} is not a URL"));
        if token_endpoint != self.token_endpoint {
            tracing::warn!(
                token_endpoint,
                dpop_htu = %self.token_endpoint,
                "the advertised token_endpoint is not the DPoP htu the IdP checks; set \
                 IdpConfigBuilder::token_endpoint (IDP-20)"
            );
        }
        let algs: Vec<&str> = self
            .id_token_algorithms
            .iter()
            .map(|a| a.as_str())
            .collect();
        IdentityProviderMetadataBuilder::new(
            self.issuer.clone(),
            authorization_endpoint
                .parse()
                .map_err(|_| bad("authorization_endpoint"))?,
            token_endpoint.parse().map_err(|_| bad("token_endpoint"))?,
            jwks_uri.parse().map_err(|_| bad("jwks_uri"))?,
        )
        .grant_types_supported(["authorization_code", urn::GRANT_TYPE_TOKEN_EXCHANGE])
        .token_endpoint_auth_methods_supported([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ])
        .token_endpoint_auth_signing_alg_values_supported(["ES256", "RS256"])
        .subject_types_supported(["public"])
        .id_token_signing_alg_values_supported(algs)
        .dpop_signing_alg_values_supported(
            ema_jwt::verify::DPOP_DEFAULT_ALGORITHMS
                .iter()
                .map(|a| a.as_str().to_owned()),
        )
        .scheme_policy(if loopback_http {
            SchemePolicy::AllowLoopbackHttp
        } else {
            SchemePolicy::HttpsOnly
        })
        .build()
        .map_err(|e| IdpConfigError::Metadata(e.to_string()))
    }
}

/// Builds an [`IdpConfig`].
#[derive(Debug, Clone)]
#[must_use]
pub struct IdpConfigBuilder {
    issuer: Issuer,
    audiences: Vec<TrustedAudience>,
    ttl: u64,
    skew: u64,
    id_token_algorithms: Vec<Algorithm>,
    token_endpoint: Option<String>,
}

impl IdpConfigBuilder {
    /// The absolute `http(s)` URL of the token endpoint this grant is served at, as clients
    /// call it: the `htu` of DPoP proofs (IDP-20). Default: the issuer followed by `/token`.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }

    /// Serve an authorization server (IDP-09, IDP-10).
    pub fn audience(mut self, audience: TrustedAudience) -> Self {
        self.audiences.push(audience);
        self
    }

    /// ID-JAG lifetime in seconds (default 300, at most 600; IDP-16).
    pub fn ttl(mut self, secs: u64) -> Self {
        self.ttl = secs;
        self
    }

    /// Clock skew for subject ID tokens (default 60, at most 300; JWT-06).
    pub fn skew(mut self, secs: u64) -> Self {
        self.skew = secs;
        self
    }

    /// Algorithms accepted on subject ID tokens (default ES256, RS256).
    pub fn id_token_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.id_token_algorithms = algorithms.into_iter().collect();
        self
    }

    /// Check and produce the configuration.
    pub fn build(self) -> Result<IdpConfig, IdpConfigError> {
        if self.ttl == 0 || self.ttl > ID_JAG_MAX_LIFETIME_SECS {
            return Err(IdpConfigError::Lifetime(self.ttl));
        }
        if self.skew > MAX_SKEW_SECS {
            return Err(IdpConfigError::Skew(self.skew));
        }
        if self.id_token_algorithms.is_empty() {
            return Err(IdpConfigError::NoAlgorithms);
        }
        let token_endpoint = match self.token_endpoint {
            Some(url) => url,
            None => crate::dpop::default_token_endpoint(self.issuer.as_str()),
        };
        if !crate::dpop::is_absolute_http_url(&token_endpoint) {
            return Err(IdpConfigError::Metadata(
                "token_endpoint is not an absolute http(s) URL".to_owned(),
            ));
        }
        let mut names: Vec<&str> = Vec::new();
        for a in &self.audiences {
            if a.resources.is_empty() {
                return Err(IdpConfigError::NoResources(a.issuer.to_string()));
            }
            for name in
                std::iter::once(a.issuer.as_str()).chain(a.aliases.iter().map(String::as_str))
            {
                if names.contains(&name) {
                    return Err(IdpConfigError::DuplicateAudience(name.to_owned()));
                }
                names.push(name);
            }
        }
        Ok(IdpConfig {
            issuer: self.issuer,
            audiences: self.audiences,
            ttl: self.ttl,
            skew: self.skew,
            id_token_algorithms: self.id_token_algorithms,
            token_endpoint,
        })
    }
}
