//! The in-memory replay store: a bounded open-addressing table of 16-byte slots, failing closed
//! when full.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{ReplayError, ReplayKey, ReplayStore};

/// Slots in a new table (grown by doubling up to the configured bound).
const INITIAL_SLOTS: usize = 64;

/// A bounded in-memory [`ReplayStore`] for a single server instance.
///
/// - **Sizing.** `capacity` is the number of live reservations the store can hold. A
///   reservation lives until the token's `exp` (plus the caller's skew), so size it as
///   *peak reservation rate × maximum token lifetime*: 100 ID-JAGs per second with a 300 s
///   maximum lifetime need 30 000. Some headroom (×2) keeps reclaim sweeps rare.
/// - **Bounded memory.** Each reservation takes one 16-byte slot; the table grows by doubling
///   up to `capacity × 1.5` slots (load ≤ ⅔), so the store never holds more than about
///   24 bytes × `capacity` (24 MB for one million live reservations), whatever the traffic.
/// - **Fails closed.** When `capacity` unexpired reservations are held, [`ReplayStore::reserve`]
///   returns [`ReplayError::Full`] and the caller refuses the request: an attacker flooding the
///   store can deny service but never get a replay accepted. A replay is still detected when
///   full.
/// - **Expiry** by the caller's time. A slot whose reservation has expired is reused by the
///   next reservation probing through it; when the table reaches its bound, one sweep drops
///   every expired slot (at most one sweep per second of caller time while full, since a sweep
///   is skipped until the earliest surviving expiry has passed).
/// - **Atomic**: one mutex guards the check and the insert.
/// - **Small entries.** A reservation is stored as a 96-bit keyed hash of
///   `(kind, issuer, jti)` plus a 32-bit expiry (seconds after the first reservation the store
///   saw; expiries beyond 136 years are held until then), not as the strings. The hash is two
///   domain-separated SipHash-1-3 evaluations under one random 128-bit key drawn per store by
///   std's `RandomState`. The key is secret and the tags are never exposed, so an attacker
///   cannot aim for collisions. A chance collision needs 96 equal bits with one of the few
///   slots a lookup compares (probability below 2⁻⁸⁰ per reservation at a million live
///   entries); it can only make a *fresh* token look replayed, which fails closed (one refused
///   request), never the reverse.
///
/// Several server instances behind a load balancer need a shared store:
/// `RedisReplayStore` (feature `redis`).
#[derive(Debug, Clone)]
pub struct MemoryReplayStore {
    inner: Arc<Mutex<Table>>,
    hasher: RandomState,
    capacity: usize,
}

/// A slot: the 96-bit tag in bits 127..32, the relative expiry (≥ 1) in bits 31..0; 0 is
/// empty. The tag's top 64 bits are the probe hash, so the table can be rehashed from slots.
type Slot = u128;

fn slot_tag(slot: Slot) -> u128 {
    slot >> 32
}

fn slot_expiry(slot: Slot) -> u32 {
    // Truncation intended: the low 32 bits are the expiry.
    slot as u32
}

/// The home position of a slot (or a tag shifted into a slot) in a table of `len` slots:
/// Lemire's multiply-shift reduction of the top 64 bits.
fn home(slot: Slot, len: usize) -> usize {
    let hash = (slot >> 64) as u64;
    ((u128::from(hash) * len as u128) >> 64) as usize
}

/// Whether `k` (a home position) lies cyclically outside `(hole, j]`, so the entry at `j` may
/// move back into `hole` (backward-shift deletion for linear probing).
fn may_fill(hole: usize, j: usize, k: usize) -> bool {
    if hole <= j {
        k <= hole || k > j
    } else {
        k <= hole && k > j
    }
}

#[derive(Debug)]
struct Table {
    /// Linear-probing slots; at least one is always empty.
    slots: Vec<Slot>,
    /// Non-empty slots (live reservations and expired ones not yet reclaimed).
    occupied: usize,
    /// Most slots the table may grow to.
    max_slots: usize,
    /// Live reservations allowed.
    capacity: usize,
    /// Unix time that relative expiry 0 stands for: the first `now` seen.
    base: Option<u64>,
    /// No slot expires before this (relative); a sweep before it would reclaim nothing.
    earliest: u32,
}

/// Where a reservation would go, after probing its chain.
enum Probe {
    /// The tag is reserved and unexpired.
    Replay,
    /// A slot holding an expired reservation (or this tag's expired one) to overwrite.
    Reuse(usize),
    /// The empty slot ending the chain.
    Empty(usize),
}

impl Table {
    fn new(capacity: usize) -> Self {
        let max_slots = capacity.saturating_add(capacity / 2).saturating_add(1);
        Self {
            slots: vec![0; INITIAL_SLOTS.min(max_slots)],
            occupied: 0,
            max_slots,
            capacity,
            base: None,
            earliest: u32::MAX,
        }
    }

    fn relative(&self, t: u64) -> u32 {
        let since = t.saturating_sub(self.base.unwrap_or(0));
        u32::try_from(since).unwrap_or(u32::MAX)
    }

    fn get(&self, i: usize) -> Slot {
        self.slots.get(i).copied().unwrap_or(0)
    }

    fn set(&mut self, i: usize, slot: Slot) {
        if let Some(s) = self.slots.get_mut(i) {
            *s = slot;
        }
    }

    fn next(&self, i: usize) -> usize {
        let n = i + 1;
        if n == self.slots.len() { 0 } else { n }
    }

    fn probe(&self, tag: u128, now: u32) -> Probe {
        let len = self.slots.len();
        let mut i = home(tag << 32, len);
        let mut reuse = None;
        // At least one slot is empty, so the walk ends within `len` steps.
        for _ in 0..len {
            let slot = self.get(i);
            if slot == 0 {
                return reuse.map_or(Probe::Empty(i), Probe::Reuse);
            }
            let live = slot_expiry(slot) > now;
            if slot_tag(slot) == tag {
                return if live { Probe::Replay } else { Probe::Reuse(i) };
            }
            if !live && reuse.is_none() {
                reuse = Some(i);
            }
            i = self.next(i);
        }
        reuse.map_or(Probe::Empty(i), Probe::Reuse)
    }

    /// Whether one more slot may be occupied without passing the capacity or a ⅔ load.
    fn has_room(&self) -> bool {
        self.occupied < self.capacity
            && (self.occupied + 1).saturating_mul(3) <= self.slots.len().saturating_mul(2)
    }

    /// Drops every expired slot in place (backward-shift deletion) and recomputes `earliest`.
    fn sweep(&mut self, now: u32) {
        let len = self.slots.len();
        let mut earliest = u32::MAX;
        let mut i = 0;
        while i < len {
            let slot = self.get(i);
            if slot != 0 && slot_expiry(slot) <= now {
                self.remove(i);
                // The slot now holds whatever shifted back into it: examine it again.
                continue;
            }
            if slot != 0 {
                earliest = earliest.min(slot_expiry(slot));
            }
            i += 1;
        }
        self.earliest = earliest;
    }

    fn remove(&mut self, mut hole: usize) {
        let len = self.slots.len();
        let mut j = hole;
        for _ in 0..len {
            j = self.next(j);
            let slot = self.get(j);
            if slot == 0 {
                break;
            }
            if may_fill(hole, j, home(slot, len)) {
                self.set(hole, slot);
                hole = j;
            }
        }
        self.set(hole, 0);
        self.occupied = self.occupied.saturating_sub(1);
    }

    /// Rebuilds into `len` slots, dropping expired ones. `false` when the allocation failed.
    fn rehash(&mut self, len: usize, now: u32) -> bool {
        let mut slots = Vec::new();
        if slots.try_reserve_exact(len).is_err() {
            return false;
        }
        slots.resize(len, 0);
        let old = std::mem::replace(&mut self.slots, slots);
        self.occupied = 0;
        self.earliest = u32::MAX;
        for slot in old {
            if slot == 0 || slot_expiry(slot) <= now {
                continue;
            }
            let mut i = home(slot, len);
            while self.get(i) != 0 {
                i = self.next(i);
            }
            self.set(i, slot);
            self.occupied += 1;
            self.earliest = self.earliest.min(slot_expiry(slot));
        }
        true
    }

    /// Makes room for one more occupied slot: grow while below the bound, else reclaim
    /// expired slots. `false` when every allowed slot holds a live reservation.
    fn make_room(&mut self, now: u32) -> bool {
        if self.occupied < self.capacity && self.slots.len() < self.max_slots {
            let grown = self.slots.len().saturating_mul(2).min(self.max_slots);
            return self.rehash(grown, now) && self.has_room();
        }
        if self.earliest <= now {
            self.sweep(now);
        }
        self.has_room()
    }

    fn reserve(&mut self, tag: u128, now: u64, expires_at: u64) -> Result<bool, ReplayError> {
        if self.base.is_none() {
            self.base = Some(now);
        }
        let now_rel = self.relative(now);
        let mut probe = self.probe(tag, now_rel);
        if matches!(probe, Probe::Replay) {
            return Ok(false);
        }
        if expires_at <= now {
            // Already expired: nothing to protect (the verifier refuses such tokens), and
            // storing it would only take a slot.
            return Ok(true);
        }
        let expiry = self.relative(expires_at);
        if expiry <= now_rel {
            // Only past the 32-bit horizon (136 years after the first reservation): the
            // reservation cannot be represented, so refuse rather than accept unprotected.
            return Err(ReplayError::Full);
        }
        if matches!(probe, Probe::Empty(_)) && !self.has_room() {
            if !self.make_room(now_rel) {
                return Err(ReplayError::Full);
            }
            probe = self.probe(tag, now_rel);
        }
        let slot = (tag << 32) | Slot::from(expiry);
        match probe {
            Probe::Replay => return Ok(false),
            Probe::Reuse(i) => self.set(i, slot),
            Probe::Empty(i) => {
                self.set(i, slot);
                self.occupied += 1;
            }
        }
        self.earliest = self.earliest.min(expiry);
        Ok(true)
    }
}

impl MemoryReplayStore {
    /// A store holding at most `capacity` live reservations (at least 1); size it as peak
    /// reservation rate × maximum token lifetime (see the [type documentation](Self)).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            inner: Arc::new(Mutex::new(Table::new(capacity))),
            hasher: RandomState::new(),
            capacity,
        }
    }

    /// The capacity.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Reservations held: the live ones and expired ones not yet reclaimed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().occupied
    }

    /// Whether the store holds no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // No code path panics while holding the lock; recover the data if one ever did.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The 96-bit tag of `key` (in the low 96 bits).
    fn tag(&self, key: &ReplayKey<'_>) -> u128 {
        let half = |domain: u8| {
            let mut h = self.hasher.build_hasher();
            h.write_u8(domain);
            // Length-prefixed fields: no two distinct keys give the same byte stream.
            for part in [key.kind, key.issuer, key.jti] {
                h.write_usize(part.len());
                h.write(part.as_bytes());
            }
            h.finish()
        };
        (u128::from(half(0)) << 32) | u128::from(half(1) >> 32)
    }
}

#[async_trait]
impl ReplayStore for MemoryReplayStore {
    async fn reserve(
        &self,
        key: ReplayKey<'_>,
        now: u64,
        expires_at: u64,
    ) -> Result<bool, ReplayError> {
        let tag = self.tag(&key);
        self.lock().reserve(tag, now, expires_at)
    }
}

#[cfg(test)]
mod tests {
    use ema_types::{Clock, FixedClock};

    use super::*;

    fn key(jti: &str) -> ReplayKey<'_> {
        ReplayKey {
            kind: "id-jag",
            issuer: "https://idp.example",
            jti,
        }
    }

    #[tokio::test]
    async fn as_11_second_reservation_is_a_replay_until_expiry() {
        let clock = FixedClock::new(1000);
        let store = MemoryReplayStore::new(8);
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1100).await,
            Ok(true)
        );
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1100).await,
            Ok(false)
        );
        // Another kind or issuer is another namespace.
        let other_kind = ReplayKey {
            kind: "client-assertion",
            ..key("a")
        };
        assert_eq!(
            store.reserve(other_kind, clock.now_unix(), 1100).await,
            Ok(true)
        );
        clock.set(1100);
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1200).await,
            Ok(true)
        );
    }

    #[tokio::test]
    async fn full_store_fails_closed_then_recovers_after_expiry() {
        let clock = FixedClock::new(1000);
        let store = MemoryReplayStore::new(2);
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1010).await,
            Ok(true)
        );
        assert_eq!(
            store.reserve(key("b"), clock.now_unix(), 1020).await,
            Ok(true)
        );
        assert_eq!(
            store.reserve(key("c"), clock.now_unix(), 1020).await,
            Err(ReplayError::Full)
        );
        // A replay is still detected when full.
        assert_eq!(
            store.reserve(key("a"), clock.now_unix(), 1010).await,
            Ok(false)
        );
        clock.set(1010);
        assert_eq!(
            store.reserve(key("c"), clock.now_unix(), 1020).await,
            Ok(true)
        );
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let store = MemoryReplayStore::new(4);
        let a = ReplayKey {
            kind: "k",
            issuer: "ab",
            jti: "c",
        };
        let b = ReplayKey {
            kind: "k",
            issuer: "a",
            jti: "bc",
        };
        assert_ne!(store.tag(&a), store.tag(&b));
        assert_eq!(store.tag(&a), store.tag(&a));
        assert_eq!(store.tag(&a) >> 96, 0);
    }

    /// Tags that all share one home slot, so every probe walks one long chain.
    fn colliding_tag(i: u32) -> u128 {
        (u128::from(i) + 1) & ((1 << 64) - 1)
    }

    #[test]
    fn as_11_growth_keeps_every_reservation() {
        let mut table = Table::new(10_000);
        for i in 0..10_000u32 {
            let tag = (u128::from(i) * 0x9E37_79B9_7F4A_7C15_F39C_C060) & ((1 << 96) - 1);
            assert_eq!(table.reserve(tag, 1000, 2000), Ok(true), "{i}");
        }
        assert_eq!(table.occupied, 10_000);
        assert_eq!(table.slots.len(), table.max_slots);
        for i in 0..10_000u32 {
            let tag = (u128::from(i) * 0x9E37_79B9_7F4A_7C15_F39C_C060) & ((1 << 96) - 1);
            assert_eq!(table.reserve(tag, 1500, 2000), Ok(false), "{i}");
        }
    }

    #[test]
    fn as_11_sweep_reclaims_expired_slots_inside_a_collision_chain() {
        let mut table = Table::new(6);
        // Alternate short- and long-lived reservations on one chain.
        for i in 0..6u32 {
            let exp = if i % 2 == 0 { 1010 } else { 1100 };
            assert_eq!(table.reserve(colliding_tag(i), 1000, exp), Ok(true));
        }
        assert_eq!(
            table.reserve(colliding_tag(99), 1000, 1100),
            Err(ReplayError::Full)
        );
        // At 1010 the short-lived ones are gone; the long-lived ones are still replays,
        // wherever the sweep shifted them.
        for i in [1u32, 3, 5] {
            assert_eq!(table.reserve(colliding_tag(i), 1010, 1100), Ok(false));
        }
        table.sweep(table.relative(1010));
        assert_eq!(table.occupied, 3);
        for i in [1u32, 3, 5] {
            assert_eq!(table.reserve(colliding_tag(i), 1010, 1100), Ok(false));
        }
        for i in [0u32, 2, 4] {
            assert_eq!(table.reserve(colliding_tag(i), 1010, 1100), Ok(true));
        }
        assert_eq!(table.occupied, 6);
    }

    #[test]
    fn as_11_expired_slot_is_reused_without_growing_the_count() {
        let mut table = Table::new(4);
        assert_eq!(table.reserve(colliding_tag(1), 1000, 1010), Ok(true));
        assert_eq!(table.reserve(colliding_tag(2), 1000, 1100), Ok(true));
        assert_eq!(table.occupied, 2);
        assert_eq!(table.reserve(colliding_tag(3), 1020, 1100), Ok(true));
        assert_eq!(table.occupied, 2);
        assert_eq!(table.reserve(colliding_tag(2), 1020, 1100), Ok(false));
        assert_eq!(table.reserve(colliding_tag(3), 1020, 1100), Ok(false));
    }

    #[test]
    fn as_11_full_store_sweeps_at_most_once_per_second() {
        let mut table = Table::new(2);
        assert_eq!(table.reserve(colliding_tag(1), 1000, 1050), Ok(true));
        assert_eq!(table.reserve(colliding_tag(2), 1000, 1060), Ok(true));
        let earliest = table.earliest;
        assert_eq!(
            table.reserve(colliding_tag(3), 1001, 1100),
            Err(ReplayError::Full)
        );
        assert_eq!(table.earliest, earliest);
        assert_eq!(table.reserve(colliding_tag(3), 1050, 1100), Ok(true));
    }

    proptest::proptest! {
        /// The table answers exactly as a map of live reservations with the same capacity,
        /// through growth, slot reuse, sweeps and long collision chains (half of the keys
        /// share one home slot).
        #[test]
        fn as_11_table_matches_a_reference_model(
            ops in proptest::collection::vec((0u32..48, 0u64..3, 1u64..12), 1..400),
            capacity in 1usize..24,
        ) {
            let mut table = Table::new(capacity);
            let mut model: std::collections::HashMap<u32, u64> = Default::default();
            let mut now = 1000;
            for (k, advance, lifetime) in ops {
                now += advance;
                let tag = if k % 2 == 0 {
                    colliding_tag(k)
                } else {
                    (u128::from(k) * 0x9E37_79B9_7F4A_7C15_F39C_C060) & ((1 << 96) - 1)
                };
                model.retain(|_, exp| *exp > now);
                let expected = if model.contains_key(&k) {
                    Ok(false)
                } else if model.len() >= capacity {
                    Err(ReplayError::Full)
                } else {
                    model.insert(k, now + lifetime);
                    Ok(true)
                };
                proptest::prop_assert_eq!(table.reserve(tag, now, now + lifetime), expected);
                proptest::prop_assert!(table.occupied >= model.len());
                proptest::prop_assert!(table.slots.len() <= table.max_slots);
            }
        }
    }

    #[test]
    fn expiry_past_the_32_bit_horizon_fails_closed() {
        let mut table = Table::new(4);
        assert_eq!(table.reserve(colliding_tag(1), 0, u64::MAX), Ok(true));
        assert_eq!(table.reserve(colliding_tag(1), 1, 2), Ok(false));
        let late = u64::from(u32::MAX) + 10;
        assert_eq!(
            table.reserve(colliding_tag(2), late, late + 10),
            Err(ReplayError::Full)
        );
    }
}
