//! The trust an issuer is given: its keys and algorithms.

use crate::{Algorithm, KeySet};

/// What a verifier trusts for one issuer: the exact issuer string, its keys, the algorithms
/// allowed for it (AS-06), and optionally the tenant it must assert (§6 step 15).
#[derive(Debug, Clone, Copy)]
pub struct TrustAnchor<'a> {
    /// The issuer, compared byte-for-byte with `iss` (for a client assertion: the client id).
    pub issuer: &'a str,
    /// The issuer's keys.
    pub keys: &'a KeySet,
    /// Algorithms accepted from this issuer (§6 step 6).
    pub algorithms: &'a [Algorithm],
    /// When set, the `tenant` claim must equal it (IDP-14, §6 step 15).
    pub tenant: Option<&'a str>,
}

impl<'a> TrustAnchor<'a> {
    /// An anchor with no tenant constraint.
    #[must_use]
    pub fn new(issuer: &'a str, keys: &'a KeySet, algorithms: &'a [Algorithm]) -> Self {
        Self {
            issuer,
            keys,
            algorithms,
            tenant: None,
        }
    }

    /// Require the `tenant` claim to equal `tenant`.
    #[must_use]
    pub fn with_tenant(mut self, tenant: &'a str) -> Self {
        self.tenant = Some(tenant);
        self
    }
}
