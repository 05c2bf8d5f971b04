//! A small cache of documents keyed by exact URL, with an expiry per entry (META-09).

use std::collections::HashMap;

/// Entries expire at a Unix time; at capacity, expired entries go first, then the one
/// closest to expiry.
#[derive(Debug)]
pub(crate) struct TtlCache<T> {
    entries: HashMap<String, (T, u64)>,
    capacity: usize,
}

impl<T: Clone> TtlCache<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// The value cached for exactly `url`, if still fresh at `now`.
    pub(crate) fn get(&mut self, url: &str, now: u64) -> Option<T> {
        match self.entries.get(url) {
            Some((value, expires)) if now < *expires => Some(value.clone()),
            Some(_) => {
                self.entries.remove(url);
                None
            }
            None => None,
        }
    }

    /// Cache `value` for `url` until `now + ttl` (nothing when `ttl` is 0 or capacity 0).
    pub(crate) fn insert(&mut self, url: String, value: T, now: u64, ttl: u64) {
        if ttl == 0 || self.capacity == 0 {
            return;
        }
        if !self.entries.contains_key(&url) && self.entries.len() >= self.capacity {
            self.entries.retain(|_, (_, expires)| now < *expires);
            if self.entries.len() >= self.capacity {
                let soonest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (_, expires))| *expires)
                    .map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    self.entries.remove(&k);
                }
            }
        }
        self.entries.insert(url, (value, now.saturating_add(ttl)));
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_09_expiry_and_exact_keys() {
        let mut c = TtlCache::new(4);
        c.insert("https://h/a".into(), 1, 100, 10);
        assert_eq!(c.get("https://h/a", 109), Some(1));
        assert_eq!(c.get("https://h/a", 110), None);
        assert_eq!(c.len(), 0);
        c.insert("https://h/a".into(), 1, 100, 10);
        assert_eq!(c.get("https://h/a/", 100), None);
        assert_eq!(c.get("https://H/a", 100), None);
        c.insert("https://h/z".into(), 2, 100, 0);
        assert_eq!(c.get("https://h/z", 100), None);
        c.insert("https://h/a".into(), 3, 100, u64::MAX);
        assert_eq!(c.get("https://h/a", u64::MAX - 1), Some(3));
    }

    #[test]
    fn bounded_capacity() {
        let mut c = TtlCache::new(2);
        c.insert("a".into(), 1, 0, 50);
        c.insert("b".into(), 2, 0, 10);
        c.insert("c".into(), 3, 0, 30);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("b", 1), None, "closest to expiry evicted");
        assert_eq!(c.get("a", 1), Some(1));
        assert_eq!(c.get("c", 1), Some(3));
        // Expired entries are evicted first.
        c.insert("d".into(), 4, 40, 100);
        assert_eq!(c.get("a", 41), Some(1));
        assert_eq!(c.get("d", 41), Some(4));
        c.clear();
        assert_eq!(c.len(), 0);
        let mut off = TtlCache::new(0);
        off.insert("a".into(), 1, 0, 10);
        assert_eq!(off.get("a", 0), None);
    }
}
