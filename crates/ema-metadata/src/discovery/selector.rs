//! Picking the authorization server among those a resource lists (CL-05).

use ema_types::Issuer;

use crate::document::ProtectedResourceMetadata;

/// Picks the authorization server to use from a resource's metadata. Return `None` when
/// none is acceptable; the pick must be one of `authorization_servers`.
///
/// Any `Fn(&ProtectedResourceMetadata) -> Option<Issuer>` is a selector:
///
/// ```
/// use ema_metadata::discovery::AuthorizationServerSelector;
/// use ema_metadata::ProtectedResourceMetadata;
/// let prefer_acme = |prm: &ProtectedResourceMetadata| {
///     prm.authorization_servers.iter().find(|i| i.as_str().contains("acme")).cloned()
/// };
/// let prm = ProtectedResourceMetadata::from_json(br#"{"resource":"https://h/mcp",
///     "authorization_servers":["https://as.example","https://as.acme.example"]}"#)?;
/// assert_eq!(prefer_acme.select(&prm).unwrap(), "https://as.acme.example");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait AuthorizationServerSelector: Send + Sync {
    /// The issuer to use.
    fn select(&self, resource: &ProtectedResourceMetadata) -> Option<Issuer>;
}

impl<F> AuthorizationServerSelector for F
where
    F: Fn(&ProtectedResourceMetadata) -> Option<Issuer> + Send + Sync,
{
    fn select(&self, resource: &ProtectedResourceMetadata) -> Option<Issuer> {
        self(resource)
    }
}

/// The default selector: the first listed authorization server.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirstListed;

impl AuthorizationServerSelector for FirstListed {
    fn select(&self, resource: &ProtectedResourceMetadata) -> Option<Issuer> {
        resource.authorization_servers.first().cloned()
    }
}
