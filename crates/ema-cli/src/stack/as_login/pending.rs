//! Short-lived server-side state of the AS's sign-in (logins in progress, sessions, consent
//! forms): bounded, expiring, keyed by unguessable ids from the injected random source.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use ema_types::SecureRandom;

/// Bytes of randomness in an id (256 bits).
pub(crate) const ID_BYTES: usize = 32;

/// Why an entry could not be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingError {
    /// Every slot holds a live entry.
    Full,
    /// The random source failed.
    Random,
}

/// A bounded map of entries living `ttl` seconds.
#[derive(Debug)]
pub(crate) struct Pending<T> {
    entries: Mutex<HashMap<String, (u64, T)>>,
    capacity: usize,
    ttl: u64,
}

impl<T: Clone> Pending<T> {
    /// At most `capacity` entries, each living `ttl` seconds.
    pub(crate) fn new(capacity: usize, ttl: u64) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
            ttl,
        }
    }

    /// Seconds an entry lives.
    pub(crate) fn ttl(&self) -> u64 {
        self.ttl
    }

    /// Keep `value` under a fresh random id, returned.
    pub(crate) fn insert(
        &self,
        rng: &dyn SecureRandom,
        now: u64,
        value: T,
    ) -> Result<String, PendingError> {
        let id = rng.token_id(ID_BYTES).map_err(|_| PendingError::Random)?;
        self.insert_at(id.clone(), now, value)?;
        Ok(id)
    }

    /// Keep `value` under `id` (itself unguessable, e.g. an OAuth `state`).
    pub(crate) fn insert_at(&self, id: String, now: u64, value: T) -> Result<(), PendingError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.retain(|_, (expires, _)| *expires > now);
        }
        if entries.len() >= self.capacity {
            return Err(PendingError::Full);
        }
        entries.insert(id, (now.saturating_add(self.ttl), value));
        Ok(())
    }

    /// The live entry under `id`, kept.
    pub(crate) fn get(&self, id: &str, now: u64) -> Option<T> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(id)
            .filter(|(expires, _)| *expires > now)
            .map(|(_, v)| v.clone())
    }

    /// The live entry under `id`, removed (single use).
    pub(crate) fn take(&self, id: &str, now: u64) -> Option<T> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .remove(id)
            .filter(|(expires, _)| *expires > now)
            .map(|(_, v)| v)
    }

    /// Forget `id`.
    pub(crate) fn remove(&self, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(id);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use ema_types::SystemRandom;

    use super::*;

    #[test]
    fn cl_06_entries_expire_are_single_use_and_bounded() {
        let pending = Pending::new(2, 10);
        let a = pending.insert(&SystemRandom, 100, 1).unwrap();
        assert_eq!(a.len(), 43);
        assert_eq!(pending.get(&a, 109), Some(1));
        assert_eq!(pending.get(&a, 110), None);
        assert_eq!(pending.take(&a, 105), Some(1));
        assert_eq!(pending.take(&a, 105), None);
        pending.insert(&SystemRandom, 100, 2).unwrap();
        pending.insert(&SystemRandom, 100, 3).unwrap();
        assert_eq!(
            pending.insert(&SystemRandom, 105, 4),
            Err(PendingError::Full)
        );
        // Expired entries make room.
        pending.insert(&SystemRandom, 110, 5).unwrap();
    }
}
