//! Where codes, refresh tokens and their single-use markers live: a small key-value store with
//! atomic insert-if-absent and take (get-and-delete), in memory (bounded) or on Redis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

/// Largest value a [`GrantStore`] accepts (a serialized code or refresh-token record).
pub const MAX_GRANT_VALUE_BYTES: usize = 8 * 1024;

/// What a stored entry is. Keys of different kinds never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantKind {
    /// An authorization code not yet redeemed.
    Code,
    /// A redeemed code: remembers its token family, so a second redemption revokes it.
    UsedCode,
    /// A refresh token not yet used.
    RefreshToken,
    /// A used (rotated) refresh token: remembers its family, so reuse revokes it.
    UsedRefreshToken,
    /// A revoked token family.
    RevokedFamily,
}

impl GrantKind {
    /// The kind's name in store keys.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::UsedCode => "used-code",
            Self::RefreshToken => "refresh",
            Self::UsedRefreshToken => "used-refresh",
            Self::RevokedFamily => "revoked-family",
        }
    }
}

/// A store key: the kind and an identifier (the SHA-256 of a code or token, never the
/// credential itself, or a family id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantKey<'a> {
    /// The kind.
    pub kind: GrantKind,
    /// The identifier.
    pub id: &'a str,
}

/// The store failed. Callers fail closed: the request is refused with `server_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantStoreError {
    /// The memory store is at capacity.
    #[error("grant store is full")]
    Full,
    /// A value is larger than [`MAX_GRANT_VALUE_BYTES`].
    #[error("grant store value too large")]
    TooLarge,
    /// The backing service failed (Redis).
    #[error("grant store unavailable: {0}")]
    Unavailable(String),
}

/// Atomic storage for authorization codes, refresh tokens and their single-use markers.
///
/// `now` is always the caller's time (its injected clock), as for
/// [`ReplayStore`](crate::replay::ReplayStore): the store never judges expiry by its own clock.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Store `value` under `key` until `expires_at` unless the key is present. `Ok(false)`
    /// when it was present (nothing changed). An entry whose expiry has passed is not stored
    /// and reported as stored.
    async fn insert(
        &self,
        key: GrantKey<'_>,
        value: &[u8],
        now: u64,
        expires_at: u64,
    ) -> Result<bool, GrantStoreError>;

    /// Remove and return the value under `key`, atomically: of concurrent takes, one gets it.
    async fn take(&self, key: GrantKey<'_>, now: u64) -> Result<Option<Vec<u8>>, GrantStoreError>;

    /// The value under `key`, left in place.
    async fn get(&self, key: GrantKey<'_>, now: u64) -> Result<Option<Vec<u8>>, GrantStoreError>;
}

#[async_trait]
impl<S: GrantStore + ?Sized> GrantStore for Arc<S> {
    async fn insert(
        &self,
        key: GrantKey<'_>,
        value: &[u8],
        now: u64,
        expires_at: u64,
    ) -> Result<bool, GrantStoreError> {
        (**self).insert(key, value, now, expires_at).await
    }

    async fn take(&self, key: GrantKey<'_>, now: u64) -> Result<Option<Vec<u8>>, GrantStoreError> {
        (**self).take(key, now).await
    }

    async fn get(&self, key: GrantKey<'_>, now: u64) -> Result<Option<Vec<u8>>, GrantStoreError> {
        (**self).get(key, now).await
    }
}

struct Entry {
    value: Vec<u8>,
    expires_at: u64,
}

/// An in-memory [`GrantStore`] for one server instance: at most `capacity` live entries;
/// expired entries are swept when the store is full, and a store still full refuses the
/// insert ([`GrantStoreError::Full`], fail closed).
pub struct MemoryGrantStore {
    entries: Mutex<HashMap<(GrantKind, String), Entry>>,
    capacity: usize,
}

impl std::fmt::Debug for MemoryGrantStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryGrantStore")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl MemoryGrantStore {
    /// A store holding at most `capacity` entries.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// Entries held (expired ones not yet swept included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(GrantKind, String), Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl GrantStore for MemoryGrantStore {
    async fn insert(
        &self,
        key: GrantKey<'_>,
        value: &[u8],
        now: u64,
        expires_at: u64,
    ) -> Result<bool, GrantStoreError> {
        if value.len() > MAX_GRANT_VALUE_BYTES {
            return Err(GrantStoreError::TooLarge);
        }
        let mut entries = self.lock();
        let map_key = (key.kind, key.id.to_owned());
        if let Some(existing) = entries.get(&map_key) {
            if existing.expires_at > now {
                return Ok(false);
            }
            entries.remove(&map_key);
        }
        if expires_at <= now {
            return Ok(true);
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, e| e.expires_at > now);
            if entries.len() >= self.capacity {
                return Err(GrantStoreError::Full);
            }
        }
        entries.insert(
            map_key,
            Entry {
                value: value.to_vec(),
                expires_at,
            },
        );
        Ok(true)
    }

    async fn take(&self, key: GrantKey<'_>, now: u64) -> Result<Option<Vec<u8>>, GrantStoreError> {
        let removed = self.lock().remove(&(key.kind, key.id.to_owned()));
        Ok(removed.filter(|e| e.expires_at > now).map(|e| e.value))
    }

    async fn get(&self, key: GrantKey<'_>, now: u64) -> Result<Option<Vec<u8>>, GrantStoreError> {
        Ok(self
            .lock()
            .get(&(key.kind, key.id.to_owned()))
            .filter(|e| e.expires_at > now)
            .map(|e| e.value.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: GrantKind, id: &str) -> GrantKey<'_> {
        GrantKey { kind, id }
    }

    #[tokio::test]
    async fn insert_take_get_expiry_and_capacity() {
        let store = MemoryGrantStore::new(2);
        assert!(
            store
                .insert(key(GrantKind::Code, "a"), b"1", 100, 160)
                .await
                .unwrap()
        );
        assert!(
            !store
                .insert(key(GrantKind::Code, "a"), b"2", 100, 160)
                .await
                .unwrap()
        );
        // Kinds do not collide.
        assert!(
            store
                .insert(key(GrantKind::UsedCode, "a"), b"3", 100, 160)
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .insert(key(GrantKind::Code, "b"), b"4", 100, 160)
                .await,
            Err(GrantStoreError::Full)
        );
        assert_eq!(
            store
                .get(key(GrantKind::Code, "a"), 100)
                .await
                .unwrap()
                .as_deref(),
            Some(&b"1"[..])
        );
        assert_eq!(
            store
                .take(key(GrantKind::Code, "a"), 100)
                .await
                .unwrap()
                .as_deref(),
            Some(&b"1"[..])
        );
        assert_eq!(
            store.take(key(GrantKind::Code, "a"), 100).await.unwrap(),
            None
        );
        // Expired entries are invisible and swept when full.
        assert_eq!(
            store.get(key(GrantKind::UsedCode, "a"), 160).await.unwrap(),
            None
        );
        assert!(
            store
                .insert(key(GrantKind::Code, "b"), b"4", 170, 200)
                .await
                .unwrap()
        );
        assert!(
            store
                .insert(key(GrantKind::Code, "c"), b"5", 170, 200)
                .await
                .unwrap()
        );
        assert_eq!(store.len(), 2);
        let big = vec![0u8; MAX_GRANT_VALUE_BYTES + 1];
        assert_eq!(
            store
                .insert(key(GrantKind::Code, "d"), &big, 170, 200)
                .await,
            Err(GrantStoreError::TooLarge)
        );
    }
}
