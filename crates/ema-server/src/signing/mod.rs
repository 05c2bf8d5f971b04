//! The server's own signing keys, with rotation (access tokens at the AS, ID-JAGs at the IdP).

use std::sync::{Arc, RwLock};

use ema_jwt::{JwkSet, KeySet, SigningKey, VerifyingKey};

/// One active signing key plus the verifying keys of previous ones, all published in the JWKS
/// so tokens signed before a rotation keep verifying until they expire.
///
/// Cloning shares the keys: [`SigningKeys::rotate`] on one clone is seen by all.
///
/// ```
/// use ema_jwt::{Algorithm, SigningKey};
/// use ema_server::signing::SigningKeys;
/// let keys = SigningKeys::new(SigningKey::generate(Algorithm::ES256)?.with_kid("as-1"));
/// keys.rotate(SigningKey::generate(Algorithm::ES256)?.with_kid("as-2"));
/// assert_eq!(keys.active().kid(), "as-2");
/// let kids: Vec<_> = keys.jwks().keys.iter().filter_map(|k| k.kid.clone()).collect();
/// assert_eq!(kids, ["as-2", "as-1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SigningKeys {
    inner: Arc<RwLock<Inner>>,
    max_previous: usize,
}

#[derive(Debug)]
struct Inner {
    active: SigningKey,
    previous: Vec<VerifyingKey>,
}

impl SigningKeys {
    /// At most this many previous keys are kept by default.
    pub const DEFAULT_MAX_PREVIOUS: usize = 4;

    /// Keys with `active` as the signing key and no previous key.
    #[must_use]
    pub fn new(active: SigningKey) -> Self {
        Self {
            inner: Arc::new(RwLock::new(Inner {
                active,
                previous: Vec::new(),
            })),
            max_previous: Self::DEFAULT_MAX_PREVIOUS,
        }
    }

    /// Also publish `previous` (keys retired before start-up), newest first.
    #[must_use]
    pub fn with_previous(self, previous: impl IntoIterator<Item = VerifyingKey>) -> Self {
        {
            let mut inner = self.write();
            inner.previous.extend(previous);
            inner.previous.truncate(self.max_previous);
        }
        self
    }

    /// Keep at most `n` previous keys (oldest dropped first).
    #[must_use]
    pub fn with_max_previous(mut self, n: usize) -> Self {
        self.max_previous = n;
        self.write().previous.truncate(n);
        self
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The active signing key (a cheap clone).
    #[must_use]
    pub fn active(&self) -> SigningKey {
        self.read().active.clone()
    }

    /// Make `new` the active key; the old active key's verifying key is still published.
    pub fn rotate(&self, new: SigningKey) {
        let mut inner = self.write();
        let old = std::mem::replace(&mut inner.active, new);
        inner.previous.insert(0, old.verifying_key().clone());
        inner.previous.truncate(self.max_previous);
    }

    /// The verifying keys, active first, then the previous ones: what a verifier of this
    /// server's own tokens trusts (no key is parsed again).
    #[must_use]
    pub fn key_set(&self) -> KeySet {
        let inner = self.read();
        KeySet::from_keys(
            std::iter::once(inner.active.verifying_key())
                .chain(inner.previous.iter())
                .cloned()
                .collect(),
        )
    }

    /// The JWKS to publish: the active key first, then the previous ones (public parts only).
    #[must_use]
    pub fn jwks(&self) -> JwkSet {
        let inner = self.read();
        std::iter::once(inner.active.verifying_key())
            .chain(inner.previous.iter())
            .map(VerifyingKey::to_jwk)
            .collect()
    }
}
