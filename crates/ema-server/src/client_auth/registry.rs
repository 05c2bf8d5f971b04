//! Registered clients and where they are looked up.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::{Algorithm, KeySet};
use ema_types::{ClientId, ScopeSet, Secret};

/// A client as the server registered it.
///
/// Build one with [`RegisteredClient::confidential`] or [`RegisteredClient::public`] and the
/// `with_*` methods. A confidential client needs at least one credential: a shared secret
/// (`client_secret_basic` / `client_secret_post`) and/or registered keys (`private_key_jwt`).
/// The secret is redacted in `Debug`.
#[derive(Clone)]
#[non_exhaustive]
pub struct RegisteredClient {
    /// The client identifier at this server.
    pub client_id: ClientId,
    /// The shared secret, for `client_secret_basic` and `client_secret_post`.
    pub secret: Option<Secret>,
    /// The registered verification keys, for `private_key_jwt`.
    pub keys: Option<Arc<KeySet>>,
    /// Algorithms accepted for this client's assertions.
    pub algorithms: Vec<Algorithm>,
    /// Grant types the client may use (`grant_type` values).
    pub grant_types: Vec<String>,
    /// Identity-assertion issuers whose ID-JAGs this client may present at the resource AS
    /// (AS-04, §6 step 7). `None`: every trusted issuer.
    pub trusted_issuers: Option<Vec<String>>,
    /// Scopes the client may be granted (AS-07 client allow-list). `None`: no restriction.
    pub scopes: Option<ScopeSet>,
    /// A public client: it has no credentials and authenticates by `client_id` alone, which
    /// is accepted only where the server opts in (AS-03, OQ-08).
    pub public: bool,
    /// Redirect URIs registered for the authorization-code grant (RFC 6749 §3.1.2), matched
    /// exactly (see [`crate::authorization_code::redirect_uri_matches`]).
    pub redirect_uris: Vec<String>,
}

impl fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredClient")
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("keys", &self.keys.as_ref().map(|k| k.len()))
            .field("algorithms", &self.algorithms)
            .field("grant_types", &self.grant_types)
            .field("trusted_issuers", &self.trusted_issuers)
            .field("scopes", &self.scopes)
            .field("public", &self.public)
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

impl RegisteredClient {
    /// A confidential client with no credential yet; add one with
    /// [`RegisteredClient::with_secret`] or [`RegisteredClient::with_keys`].
    #[must_use]
    pub fn confidential(client_id: ClientId) -> Self {
        Self {
            client_id,
            secret: None,
            keys: None,
            algorithms: Vec::new(),
            grant_types: Vec::new(),
            trusted_issuers: None,
            scopes: None,
            public: false,
            redirect_uris: Vec::new(),
        }
    }

    /// A public client (no credentials; AS-03: served only when the server opts in).
    #[must_use]
    pub fn public(client_id: ClientId) -> Self {
        Self {
            public: true,
            ..Self::confidential(client_id)
        }
    }

    /// Register a shared secret (`client_secret_basic`, `client_secret_post`).
    #[must_use]
    pub fn with_secret(mut self, secret: Secret) -> Self {
        self.secret = Some(secret);
        self.public = false;
        self
    }

    /// Register keys for `private_key_jwt`, with the algorithms accepted from them.
    #[must_use]
    pub fn with_keys(
        mut self,
        keys: KeySet,
        algorithms: impl IntoIterator<Item = Algorithm>,
    ) -> Self {
        self.keys = Some(Arc::new(keys));
        self.algorithms = algorithms.into_iter().collect();
        self.public = false;
        self
    }

    /// Allow a grant type (`grant_type` value).
    #[must_use]
    pub fn with_grant_type(mut self, grant_type: impl Into<String>) -> Self {
        self.grant_types.push(grant_type.into());
        self
    }

    /// Restrict the identity-assertion issuers this client may present (AS-04).
    #[must_use]
    pub fn with_trusted_issuers<I, S>(mut self, issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.trusted_issuers = Some(issuers.into_iter().map(Into::into).collect());
        self
    }

    /// Restrict the scopes this client may be granted (AS-07).
    #[must_use]
    pub fn with_scopes(mut self, scopes: ScopeSet) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Register a redirect URI for the authorization-code grant (RFC 6749 §3.1.2).
    #[must_use]
    pub fn with_redirect_uri(mut self, redirect_uri: impl Into<String>) -> Self {
        self.redirect_uris.push(redirect_uri.into());
        self
    }

    /// Whether the client may use `grant_type`.
    #[must_use]
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    /// Whether the client may present ID-JAGs from `issuer` (exact match).
    #[must_use]
    pub fn allows_issuer(&self, issuer: &str) -> bool {
        self.trusted_issuers
            .as_ref()
            .is_none_or(|list| list.iter().any(|i| i == issuer))
    }
}

/// The registry failed (a database error, say). The request is refused with `server_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client registry unavailable: {0}")]
#[non_exhaustive]
pub struct ClientRegistryError(pub String);

impl ClientRegistryError {
    /// An error saying `reason` (the store failure; logged, never sent on the wire).
    #[must_use]
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Looks clients up by id. Implement it over the application's own client store.
///
/// Implementations must not perform network fetches of client keys on behalf of unauthenticated
/// callers without their own rate limits; the static registry never fetches.
#[async_trait]
pub trait ClientRegistry: Send + Sync {
    /// The client registered as `client_id`, or `None`.
    async fn client(
        &self,
        client_id: &ClientId,
    ) -> Result<Option<Arc<RegisteredClient>>, ClientRegistryError>;
}

/// A fixed table of clients, built at start-up.
#[derive(Debug, Clone, Default)]
pub struct StaticClientRegistry {
    clients: HashMap<ClientId, Arc<RegisteredClient>>,
}

impl StaticClientRegistry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a client.
    #[must_use]
    pub fn with_client(mut self, client: RegisteredClient) -> Self {
        self.insert(client);
        self
    }

    /// Add (or replace) a client.
    pub fn insert(&mut self, client: RegisteredClient) {
        self.clients
            .insert(client.client_id.clone(), Arc::new(client));
    }

    /// Number of clients.
    #[must_use]
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether the registry is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }
}

#[async_trait]
impl ClientRegistry for StaticClientRegistry {
    async fn client(
        &self,
        client_id: &ClientId,
    ) -> Result<Option<Arc<RegisteredClient>>, ClientRegistryError> {
        Ok(self.clients.get(client_id).cloned())
    }
}

#[async_trait]
impl<R: ClientRegistry + ?Sized> ClientRegistry for Arc<R> {
    async fn client(
        &self,
        client_id: &ClientId,
    ) -> Result<Option<Arc<RegisteredClient>>, ClientRegistryError> {
        (**self).client(client_id).await
    }
}
