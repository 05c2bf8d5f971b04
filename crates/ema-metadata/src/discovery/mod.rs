//! The client's discovery walk (CL-03 to CL-05, META-02 to META-05, META-09): from an MCP
//! server URL or its `401` to validated protected-resource and authorization-server
//! metadata, over [`HttpClient`].
//!
//! # Order and fall-through
//!
//! - Protected-resource metadata: the challenge's `resource_metadata` URL, then the
//!   path-inserted URL, then the root URL (META-02).
//! - Authorization-server metadata: the META-04 order for the selected issuer.
//!
//! Discovery moves to the next URL only when the current one answers with a **4xx** status
//! (404, 410, 401, ...): the server says "not here". Every other failure ends discovery with
//! a typed error naming that URL: a transport failure or timeout, a redirect (never
//! followed), a 5xx, a wrong content type, an oversized body, a document that does not parse,
//! and a document that fails validation. In particular a META-05 `issuer` mismatch or a
//! META-03 `resource` mismatch is a hard error: a server that answers with the wrong document
//! is misconfigured or hostile, and looking elsewhere would hide it.
//!
//! # Hardening
//!
//! URLs must be `https` (loopback `http` only with [`DiscoveryConfig::development`]). Bodies
//! are capped ([`DiscoveryConfig::max_body_bytes`], 256 KiB); the content type must be
//! `application/json`. Timeouts are the transport's: use one that applies a deadline (as
//! [`crate::ReqwestClient`] does); [`ema_types::transport::TransportError::Timeout`] becomes
//! [`DiscoveryError::Timeout`]. Nothing is retried.
//!
//! # Cache
//!
//! Validated documents are cached by exact URL, for `Cache-Control: max-age` (minus `Age`),
//! or [`DiscoveryConfig::default_ttl`] without one, never longer than 24 hours (META-09);
//! `no-store` and `no-cache` responses are not cached. A cached document is validated again
//! for each use, since what it must match depends on the request. Time comes from the
//! injected [`Clock`].
//!
//! ```
//! use ema_metadata::discovery::Discovery;
//! use ema_types::transport::{HttpRequest, HttpResponse, TransportError};
//!
//! // A transport is any async closure; here a fake server.
//! let client = |req: HttpRequest| async move {
//!     let json = |body: &str| http::Response::builder()
//!         .header("content-type", "application/json").body(body.as_bytes().to_vec());
//!     let res = match req.uri().to_string().as_str() {
//!         "https://tools.toolhub.test/mcp" => http::Response::builder().status(401)
//!             .header("www-authenticate", r#"Bearer resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp""#)
//!             .body(Vec::new()),
//!         "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp" => json(
//!             r#"{"resource":"https://tools.toolhub.test/mcp","authorization_servers":["https://as.toolhub.test"]}"#),
//!         "https://as.toolhub.test/.well-known/oauth-authorization-server" => json(
//!             r#"{"issuer":"https://as.toolhub.test","token_endpoint":"https://as.toolhub.test/oauth/token",
//!                 "grant_types_supported":["urn:ietf:params:oauth:grant-type:jwt-bearer"],
//!                 "authorization_grant_profiles_supported":["urn:ietf:params:oauth:grant-profile:id-jag"]}"#),
//!         _ => http::Response::builder().status(404).body(Vec::new()),
//!     };
//!     res.map_err(|e| TransportError::Other(e.to_string()))
//! };
//! # let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! # rt.block_on(async {
//! let discovery = Discovery::new(client);
//! let found = discovery.discover(&"https://tools.toolhub.test/mcp".parse()?).await?;
//! assert_eq!(found.authorization_server.metadata.issuer, "https://as.toolhub.test");
//! assert!(found.supports_id_jag());
//! # Ok::<(), Box<dyn std::error::Error>>(()) })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cache;
mod cache_control;
mod config;
mod error;
mod fetch;
mod selector;

pub use config::{DiscoveryConfig, MAX_METADATA_TTL};
pub use error::{Attempt, DiscoveryError};
pub use selector::{AuthorizationServerSelector, FirstListed};

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ema_types::transport::HttpClient;
use ema_types::{Clock, Issuer, Resource, SystemClock};
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::challenge::{Challenge, find_resource_metadata, parse_www_authenticate_headers};
use crate::document::{AuthorizationServerMetadata, DocumentError, ProtectedResourceMetadata};
use crate::validation::ValidationError;
use crate::well_known::{
    ResourceMetadataCandidate, ResourceMetadataSource, ServerMetadataCandidate, WellKnownDocument,
    authorization_server_metadata_candidates, protected_resource_metadata_candidates,
};
use cache::TtlCache;
use cache_control::Freshness;
use fetch::Fetched;

/// Validated protected-resource metadata and where it came from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DiscoveredResource {
    /// The document (its `resource` passed META-03).
    pub metadata: ProtectedResourceMetadata,
    /// The URL it was fetched from.
    pub url: Url,
    /// Which candidate that URL was.
    pub source: ResourceMetadataSource,
}

/// Validated authorization-server metadata and where it came from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DiscoveredAuthorizationServer {
    /// The document (its `issuer` passed META-05).
    pub metadata: AuthorizationServerMetadata,
    /// The URL it was fetched from.
    pub url: Url,
    /// Which well-known document that was.
    pub document: WellKnownDocument,
}

/// The result of discovery.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Discovered {
    /// The resource's metadata. Its `resource` is the identifier to send as `resource`
    /// in token requests (CL-07, CL-12).
    pub resource: DiscoveredResource,
    /// The selected authorization server's metadata. Its `issuer` is the `audience` of the
    /// token exchange (CL-07).
    pub authorization_server: DiscoveredAuthorizationServer,
    /// The Bearer or DPoP challenge discovery started from, if any (its `scope` is the
    /// server's hint of what to ask for).
    pub challenge: Option<Challenge>,
}

impl Discovered {
    /// CL-06: whether the selected authorization server advertises the ID-JAG profile.
    #[must_use]
    pub fn supports_id_jag(&self) -> bool {
        self.authorization_server.metadata.supports_id_jag()
    }

    /// The resource identifier to request tokens for.
    #[must_use]
    pub fn resource(&self) -> &Resource {
        &self.resource.metadata.resource
    }

    /// The authorization server's issuer.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.authorization_server.metadata.issuer
    }
}

enum Loaded<T> {
    Found(T),
    ClientError(StatusCode),
}

/// Runs discovery over an [`HttpClient`]; holds the document cache. Share one per
/// application (it is `Send + Sync`).
pub struct Discovery {
    client: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
    selector: Arc<dyn AuthorizationServerSelector>,
    config: DiscoveryConfig,
    resources: Mutex<TtlCache<ProtectedResourceMetadata>>,
    servers: Mutex<TtlCache<AuthorizationServerMetadata>>,
}

impl fmt::Debug for Discovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Discovery")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Discovery {
    /// Discovery over `client`, with the default (strict) configuration, the system clock
    /// and the first-listed authorization server.
    pub fn new(client: impl HttpClient + 'static) -> Self {
        let config = DiscoveryConfig::default();
        Self {
            client: Arc::new(client),
            clock: Arc::new(SystemClock),
            selector: Arc::new(FirstListed),
            resources: Mutex::new(TtlCache::new(config.cache_capacity)),
            servers: Mutex::new(TtlCache::new(config.cache_capacity)),
            config,
        }
    }

    /// Use `config` (empties the cache).
    #[must_use]
    pub fn with_config(mut self, config: DiscoveryConfig) -> Self {
        self.resources = Mutex::new(TtlCache::new(config.cache_capacity));
        self.servers = Mutex::new(TtlCache::new(config.cache_capacity));
        self.config = config;
        self
    }

    /// Use `clock` for cache expiry.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Use `selector` to pick the authorization server (CL-05).
    #[must_use]
    pub fn with_selector(mut self, selector: impl AuthorizationServerSelector + 'static) -> Self {
        self.selector = Arc::new(selector);
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &DiscoveryConfig {
        &self.config
    }

    /// Forget every cached document.
    pub fn clear_cache(&self) {
        lock(&self.resources).clear();
        lock(&self.servers).clear();
    }

    /// Discover from the MCP server URL: send it an unauthenticated `GET` and read the
    /// `resource_metadata` of a `401`/`403` challenge (CL-03); then as
    /// [`Self::discover_from_challenges`]. Any other answer (including a malformed challenge)
    /// leads to the well-known URLs, except a redirect, which is an error.
    pub async fn discover(&self, server: &Resource) -> Result<Discovered, DiscoveryError> {
        let url = self.checked_url("resource", server.as_str())?;
        let request = fetch::request(Method::GET, &url, "application/json, text/event-stream")?;
        let response = fetch::send(&*self.client, &url, request).await?;
        let status = response.status();
        if status.is_redirection() {
            return Err(fetch::redirect_error(&url, &response));
        }
        let challenges = if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            parse_www_authenticate_headers(response.headers()).unwrap_or_default()
        } else {
            Vec::new()
        };
        self.discover_from_challenges(server, &challenges).await
    }

    /// Discover from the headers of a `401` (or `403`) the client got from the MCP server at
    /// `server`. A missing or malformed `WWW-Authenticate` leads to the well-known URLs.
    pub async fn discover_from_headers(
        &self,
        server: &Resource,
        headers: &HeaderMap,
    ) -> Result<Discovered, DiscoveryError> {
        let challenges = parse_www_authenticate_headers(headers).unwrap_or_default();
        self.discover_from_challenges(server, &challenges).await
    }

    /// Discover from parsed challenges of the MCP server at `server`: protected-resource
    /// metadata (META-02, META-03), the authorization server picked by the selector
    /// (CL-05), its metadata (META-04, META-05).
    pub async fn discover_from_challenges(
        &self,
        server: &Resource,
        challenges: &[Challenge],
    ) -> Result<Discovered, DiscoveryError> {
        let found = find_resource_metadata(challenges);
        let challenge = match found {
            Some((c, _)) => Some(c.clone()),
            None => challenges.iter().find(|c| c.scheme().is_oauth()).cloned(),
        };
        let resource = self
            .protected_resource_metadata(server, found.map(|(_, url)| url))
            .await?;
        let issuer = self.selector.select(&resource.metadata).ok_or_else(|| {
            DiscoveryError::NoAuthorizationServerSelected {
                url: resource.url.to_string(),
            }
        })?;
        if !resource.metadata.authorization_servers.contains(&issuer) {
            return Err(DiscoveryError::SelectedIssuerNotListed {
                issuer: issuer.to_string(),
            });
        }
        let authorization_server = self.authorization_server_metadata(&issuer).await?;
        Ok(Discovered {
            resource,
            authorization_server,
            challenge,
        })
    }

    /// Fetch and validate the protected-resource metadata of `server` (CL-03, CL-04,
    /// META-02, META-03), starting with `resource_metadata` from a challenge when given.
    pub async fn protected_resource_metadata(
        &self,
        server: &Resource,
        resource_metadata: Option<&str>,
    ) -> Result<DiscoveredResource, DiscoveryError> {
        self.checked_url("resource", server.as_str())?;
        let header = resource_metadata
            .map(|value| self.header_url(value))
            .transpose()?;
        let candidates =
            protected_resource_metadata_candidates(server, header).map_err(|error| {
                DiscoveryError::WellKnown {
                    identifier: server.to_string(),
                    error,
                }
            })?;
        let policy = &self.config.validation;
        let found = self
            .first_found(
                &self.resources,
                &candidates,
                ResourceMetadataCandidate::url,
                ProtectedResourceMetadata::from_json,
                |doc, candidate| doc.validate(candidate, policy),
            )
            .await?;
        match found {
            Ok((metadata, candidate)) => Ok(DiscoveredResource {
                metadata,
                url: candidate.url().clone(),
                source: candidate.source(),
            }),
            Err(attempts) => Err(DiscoveryError::ProtectedResourceMetadataNotFound {
                resource: server.to_string(),
                attempts,
            }),
        }
    }

    /// Fetch and validate the metadata of `issuer` in the META-04 order (CL-05, META-05).
    /// Also serves to fetch an IdP's metadata.
    pub async fn authorization_server_metadata(
        &self,
        issuer: &Issuer,
    ) -> Result<DiscoveredAuthorizationServer, DiscoveryError> {
        self.checked_url("authorization server", issuer.as_str())?;
        let candidates = authorization_server_metadata_candidates(issuer).map_err(|error| {
            DiscoveryError::WellKnown {
                identifier: issuer.to_string(),
                error,
            }
        })?;
        let policy = &self.config.validation;
        let found = self
            .first_found(
                &self.servers,
                &candidates,
                ServerMetadataCandidate::url,
                AuthorizationServerMetadata::from_json,
                |doc, _| doc.validate(issuer, policy),
            )
            .await?;
        match found {
            Ok((metadata, candidate)) => Ok(DiscoveredAuthorizationServer {
                metadata,
                url: candidate.url().clone(),
                document: candidate.document(),
            }),
            Err(attempts) => Err(DiscoveryError::AuthorizationServerMetadataNotFound {
                issuer: issuer.to_string(),
                attempts,
            }),
        }
    }

    /// Parse `value` and check it against the scheme policy.
    fn checked_url(&self, what: &'static str, value: &str) -> Result<Url, DiscoveryError> {
        let url = Url::parse(value).map_err(|_| DiscoveryError::InvalidRequestUrl {
            url: value.to_owned(),
        })?;
        if !self.config.validation.scheme.permits(&url) {
            return Err(DiscoveryError::InsecureUrl {
                what,
                url: value.to_owned(),
            });
        }
        Ok(url)
    }

    /// A challenge's `resource_metadata`: an absolute http(s) URL without fragment, under
    /// the scheme policy.
    fn header_url(&self, value: &str) -> Result<Url, DiscoveryError> {
        let invalid = || DiscoveryError::InvalidResourceMetadataUrl {
            value: value.chars().take(256).collect(),
        };
        let url = Url::parse(value).map_err(|_| invalid())?;
        if url.cannot_be_a_base()
            || url.fragment().is_some()
            || !matches!(url.scheme(), "https" | "http")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(invalid());
        }
        if !self.config.validation.scheme.permits(&url) {
            return Err(DiscoveryError::InsecureUrl {
                what: "resource_metadata",
                url: url.to_string(),
            });
        }
        Ok(url)
    }

    /// Try `candidates` in order: the first valid document wins, a 4xx moves on to the next
    /// URL, anything else is a hard error. `Ok(Err(attempts))` when every URL answered 4xx.
    async fn first_found<'c, C, T: Clone>(
        &self,
        cache: &Mutex<TtlCache<T>>,
        candidates: &'c [C],
        url_of: fn(&C) -> &Url,
        parse: fn(&[u8]) -> Result<T, DocumentError>,
        validate: impl Fn(&T, &C) -> Result<(), ValidationError>,
    ) -> Result<Result<(T, &'c C), Vec<Attempt>>, DiscoveryError> {
        let mut attempts = Vec::new();
        for candidate in candidates {
            let url = url_of(candidate);
            match self
                .load(cache, url, parse, |doc| validate(doc, candidate))
                .await?
            {
                Loaded::Found(doc) => return Ok(Ok((doc, candidate))),
                Loaded::ClientError(status) => attempts.push(Attempt {
                    url: url.to_string(),
                    status: status.as_u16(),
                }),
            }
        }
        Ok(Err(attempts))
    }

    /// A validated document for `url`, from the cache or the network.
    async fn load<T: Clone>(
        &self,
        cache: &Mutex<TtlCache<T>>,
        url: &Url,
        parse: fn(&[u8]) -> Result<T, DocumentError>,
        validate: impl Fn(&T) -> Result<(), ValidationError>,
    ) -> Result<Loaded<T>, DiscoveryError> {
        let invalid = |error| DiscoveryError::Invalid {
            url: url.to_string(),
            error,
        };
        let cached = lock(cache).get(url.as_str(), self.clock.now_unix());
        if let Some(doc) = cached {
            validate(&doc).map_err(invalid)?;
            return Ok(Loaded::Found(doc));
        }
        match fetch::fetch_document(&*self.client, url, self.config.body_cap()).await? {
            Fetched::ClientError(status) => Ok(Loaded::ClientError(status)),
            Fetched::Document { body, freshness } => {
                let doc = parse(&body).map_err(|error| DiscoveryError::Document {
                    url: url.to_string(),
                    error,
                })?;
                validate(&doc).map_err(invalid)?;
                let ttl = match freshness {
                    Freshness::DoNotStore => 0,
                    Freshness::Fresh(secs) => secs.min(self.config.max_ttl_secs()),
                    Freshness::Unspecified => self.config.default_ttl_secs(),
                };
                lock(cache).insert(url.to_string(), doc.clone(), self.clock.now_unix(), ttl);
                Ok(Loaded::Found(doc))
            }
        }
    }
}

#[cfg(test)]
mod tests;
