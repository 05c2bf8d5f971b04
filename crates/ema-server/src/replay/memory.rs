//! The in-memory replay store: a bounded Robin Hood table of 8-byte slots, allocated once at
//! its bound, failing closed when full.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, Mutex};

use siphasher::sip128::{Hasher128, SipHasher13};

use super::{ReplayError, ReplayKey, ReplayStore, Reservation};

/// Bits of a slot's relative expiry (bits 23..0).
const EXPIRY_BITS: u32 = 24;
/// Bits of a slot's probe distance from its home (bits 29..24).
const DIST_BITS: u32 = 6;
/// Bits of a slot's tag (bits 63..30).
const TAG_BITS: u32 = 34;
const DIST_SHIFT: u32 = EXPIRY_BITS;
const TAG_SHIFT: u32 = EXPIRY_BITS + DIST_BITS;
const EXPIRY_MASK: u64 = (1 << EXPIRY_BITS) - 1;
const DIST_MASK: u64 = ((1 << DIST_BITS) - 1) << DIST_SHIFT;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;
/// Largest probe distance a slot can record.
const MAX_DIST: usize = (1 << DIST_BITS) - 1;
/// Relative expiries are below this (2²⁴ s, about 194 days).
const HORIZON: u64 = 1 << EXPIRY_BITS;
/// Once the caller's time is this far past the base (2²³ s, about 97 days), the table is
/// rebased to it, so any lifetime below 2²³ s always fits.
const REBASE_AFTER: u64 = 1 << (EXPIRY_BITS - 1);
/// Capacities above this are clamped (the slot count must stay allocatable).
const MAX_CAPACITY: usize = (isize::MAX as usize) / 16;

/// A bounded in-memory [`ReplayStore`] for a single server instance.
///
/// - **Sizing.** `capacity` is the number of live reservations the store can hold. A
///   reservation lives until the token's `exp` (plus the caller's skew), so size it as
///   *peak reservation rate × maximum token lifetime*: 100 ID-JAGs per second with a 300 s
///   maximum lifetime need 30 000. Some headroom (×1.25 to ×2) keeps reclaim sweeps rare.
/// - **Bounded memory, allocated once.** The table is `capacity × 1.5 + 1` slots of 8 bytes
///   (load ≤ ⅔), allocated and written in [`new`](Self::new) and never grown: 12 bytes ×
///   `capacity` (15 MB for a capacity of 1.25 million) resident from the start, whatever the
///   traffic, so no request pays a first-touch page fault.
/// - **Fails closed.** When `capacity` unexpired reservations are held, [`ReplayStore::reserve`]
///   returns [`ReplayError::Full`] and the caller refuses the request: an attacker flooding the
///   store can deny service but never get a replay accepted. A replay is still detected when
///   full.
/// - **Expiry** by the caller's time. An expired slot met on the probe path is reused by the
///   next reservation; when the store is full, the reservation sweeps the table from where the
///   last sweep stopped, 32 768 slots at a time, until it frees a slot, so reclaiming is spread
///   over many reservations rather than one pause (measured at a capacity of 1.25 million at
///   steady state: the slowest reservation 0.2 to 0.4 ms, against 12 ms for one sweep of the
///   whole table). A full store whose entries are all live is swept once, and then not again until
///   the earliest surviving expiry has passed. Expiries are stored as 24-bit seconds after a
///   base (the first `now` seen); once the caller's time is 2²³ s (about 97 days) past the
///   base, one pass over the table drops expired slots and rebases the others to the current
///   time. A reservation whose expiry lies 2²⁴ s (about 194 days) or more after the base —
///   never the case for a lifetime under 97 days — is refused with
///   [`ReplayError::ExpiryBeyondHorizon`] rather than stored shorter.
/// - **Atomic**: one mutex guards the check and the insert.
/// - **Small entries.** A reservation is one 8-byte slot: a 34-bit tag, the 6-bit distance
///   from its home slot, and the 24-bit relative expiry — not the strings. One keyed
///   SipHash-1-3-128 pass over the length-prefixed `(kind, issuer, jti)` gives the home
///   position (one 64-bit half) and the tag (34 bits of the other half). The 128-bit key is
///   drawn per store from std's `RandomState` (random per process); it is secret and the tags
///   are never exposed, so an attacker cannot aim for collisions or long probe chains.
/// - **False replays, never false freshness.** A lookup compares only entries with the same
///   home, so a fresh key looks reserved only if a live entry has both its home and its 34-bit
///   tag: about `load × 2⁻³⁴` per reservation (load ≤ ⅔: below 4 × 10⁻¹¹, one spurious refusal
///   in about 300 days at a sustained 1 000 reservations per second). Such a collision fails
///   closed (one refused request); a reserved key is always found, so a replay is never
///   accepted.
/// - **Probe distance.** Insertion is Robin Hood (an entry farther from its home takes the
///   slot of one nearer to its own), which keeps probe distances short: at load ⅔ with 1.25
///   million entries the largest is about 16, and the tail falls geometrically, so a distance
///   above the 63 a slot can record is negligible (far below 2⁻⁴⁰ per reservation) under the
///   keyed hash. Should it happen, the store sweeps expired slots once (if any can have
///   expired) and otherwise refuses with [`ReplayError::Full`].
///
/// Several server instances behind a load balancer need a shared store:
/// `RedisReplayStore` (feature `redis`).
#[derive(Debug, Clone)]
pub struct MemoryReplayStore {
    inner: Arc<Mutex<Table>>,
    key: TagKey,
    capacity: usize,
}

/// The store's keyed SipHash-1-3-128 state (keys set, nothing hashed yet); its `Debug` shows
/// no key.
#[derive(Clone, Copy)]
struct TagKey(SipHasher13);

impl std::fmt::Debug for TagKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TagKey(..)")
    }
}

/// What the table knows of a key: the hash half giving its home, and its 34-bit tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    home_hash: u64,
    tag: u64,
}

/// A slot: tag in bits 63..30, probe distance in bits 29..24, relative expiry (≥ 1) in bits
/// 23..0; 0 is empty (any non-empty slot has a non-zero expiry, so a tag of 0 is harmless).
type Slot = u64;

fn slot_tag(slot: Slot) -> u64 {
    slot >> TAG_SHIFT
}

fn slot_dist(slot: Slot) -> usize {
    ((slot & DIST_MASK) >> DIST_SHIFT) as usize
}

fn slot_expiry(slot: Slot) -> u32 {
    // Lossless: the field has 24 bits.
    (slot & EXPIRY_MASK) as u32
}

fn with_dist(slot: Slot, dist: usize) -> Slot {
    (slot & !DIST_MASK) | (((dist as u64) << DIST_SHIFT) & DIST_MASK)
}

/// Lemire's multiply-shift reduction of `hash` to `0..len`.
fn reduce(hash: u64, len: usize) -> usize {
    ((u128::from(hash) * len as u128) >> 64) as usize
}

#[derive(Debug)]
struct Table {
    /// Robin Hood linear-probing slots, allocated once; at least one is always empty.
    slots: Vec<Slot>,
    /// Non-empty slots (live reservations and expired ones not yet reclaimed).
    occupied: usize,
    /// Live reservations allowed (below the slot count).
    capacity: usize,
    /// Unix time that relative expiry 0 stands for: the first `now` seen, moved forward by
    /// rebasing.
    base: Option<u64>,
    /// No slot expires before this (relative); a sweep before it would reclaim nothing.
    earliest: u32,
    /// Where the next partial sweep of [`Table::reclaim`] starts.
    cursor: usize,
    /// Slots swept in the current cycle of partial sweeps (a cycle covers every slot once).
    cycle_swept: usize,
    /// The lowest expiry of the current cycle: of the entries its sweeps kept, and of every
    /// entry written or moved forward since it began. When the cycle ends this bounds every
    /// slot, and becomes `earliest`.
    cycle_earliest: u32,
    /// Slots a partial sweep examines ([`SWEEP_CHUNK`]; small in tests).
    sweep_chunk: usize,
}

/// Slots one partial sweep examines: about 0.2 ms of work, so no reservation waits out a
/// sweep of the whole table (measured: 12 ms for 1.9 million slots) behind the lock.
const SWEEP_CHUNK: usize = 1 << 15;

/// What inserting a new entry would do (or did).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Insert {
    /// It took an empty slot.
    Grew,
    /// It overwrote an expired slot.
    Reused,
    /// Some entry would need a probe distance above [`MAX_DIST`]: nothing was written.
    Overflow,
}

/// Slots in a 4 KiB page.
const SLOTS_PER_PAGE: usize = 4096 / std::mem::size_of::<Slot>();

impl Table {
    fn new(capacity: usize) -> Self {
        let max_slots = capacity.saturating_add(capacity / 2).saturating_add(1);
        let mut slots = vec![0; max_slots];
        // Write one slot of every page now, so the whole table is resident from the start:
        // left to the zeroed pages of a lazy allocation, each first reservation on a page
        // would take a copy-on-write fault and a TLB shootdown across the server's threads
        // (measured: about 16 µs per token request while a large table fills). The value
        // goes through `black_box` so the stores cannot be optimized away.
        let zero = std::hint::black_box(0);
        for page in slots.chunks_mut(SLOTS_PER_PAGE) {
            if let Some(first) = page.first_mut() {
                *first = zero;
            }
        }
        Self {
            slots,
            occupied: 0,
            capacity,
            base: None,
            earliest: u32::MAX,
            cursor: 0,
            cycle_swept: 0,
            cycle_earliest: u32::MAX,
            sweep_chunk: SWEEP_CHUNK,
        }
    }

    /// `t` in seconds after the base (0 before it).
    fn relative(&self, t: u64) -> u32 {
        let since = t.saturating_sub(self.base.unwrap_or(0));
        u32::try_from(since).unwrap_or(u32::MAX)
    }

    fn home(&self, fp: Fingerprint) -> usize {
        reduce(fp.home_hash, self.slots.len())
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

    /// The slot holding `fp` (live or expired), if any. Only entries with the same home (the
    /// same distance at the same position) are compared; the walk stops at an empty slot or
    /// at an entry nearer its home than the walk is (Robin Hood order: `fp` is not beyond).
    fn find(&self, fp: Fingerprint) -> Option<usize> {
        let mut i = self.home(fp);
        for dist in 0..=MAX_DIST {
            let slot = self.get(i);
            if slot == 0 {
                return None;
            }
            let d = slot_dist(slot);
            if d < dist {
                return None;
            }
            if d == dist && slot_tag(slot) == fp.tag {
                return Some(i);
            }
            i = self.next(i);
        }
        None
    }

    /// Robin Hood insertion of `slot` (its distance field is set here) at `home`. With
    /// `write == false`, only reports what the insertion would do: an [`Insert::Overflow`]
    /// then leaves the table as it was, and a following write does the same walk.
    fn insert(&mut self, home: usize, mut slot: Slot, now: u32, write: bool) -> Insert {
        let mut i = home;
        let mut dist = 0;
        // At least one slot is empty, so the walk ends within `len` steps.
        for _ in 0..self.slots.len() {
            let held = self.get(i);
            if held == 0 {
                if write {
                    self.set(i, with_dist(slot, dist));
                }
                return Insert::Grew;
            }
            let held_dist = slot_dist(held);
            if held_dist <= dist && slot_expiry(held) <= now {
                // Overwriting an expired entry no farther from its home keeps Robin Hood
                // order (`dist(i + 1) ≤ dist(i) + 1`) and the occupied count.
                if write {
                    self.set(i, with_dist(slot, dist));
                }
                return Insert::Reused;
            }
            if held_dist < dist {
                // The held entry is nearer its home: it yields the slot and moves on (it is
                // live, since an expired one would have been overwritten above).
                if write {
                    self.set(i, with_dist(slot, dist));
                    slot = held;
                    // It moves forward, perhaps past the cursor into slots this cycle swept.
                    self.cycle_earliest = self.cycle_earliest.min(slot_expiry(held));
                }
                dist = held_dist;
            }
            dist += 1;
            if dist > MAX_DIST {
                return Insert::Overflow;
            }
            i = self.next(i);
        }
        Insert::Overflow
    }

    /// Drops every expired slot in place (backward-shift deletion) and recomputes `earliest`
    /// exactly; a cycle of partial sweeps starts over.
    fn sweep(&mut self, now: u32) {
        self.earliest = self.sweep_range(0, self.slots.len(), now);
        self.cycle_swept = 0;
        self.cycle_earliest = u32::MAX;
    }

    /// Reclaims expired slots a chunk of [`SWEEP_CHUNK`] slots at a time, from the cursor on,
    /// until a chunk frees one or nothing expired is left. The end of a cycle sets `earliest`,
    /// so a full table with nothing expired is not swept again until then. If entries kept by
    /// the cycle's earlier sweeps have expired since, a new cycle goes on from the cursor: it
    /// frees them, or, swept entirely at this `now`, ends with `earliest` past it (so one call
    /// sweeps at most about twice the table).
    fn reclaim(&mut self, now: u32) {
        let len = self.slots.len();
        let before = self.occupied;
        loop {
            let n = self
                .sweep_chunk
                .max(1)
                .min(len.saturating_sub(self.cycle_swept));
            let kept = self.sweep_range(self.cursor, n, now);
            self.cycle_earliest = self.cycle_earliest.min(kept);
            self.cursor = (self.cursor + n) % len;
            self.cycle_swept += n;
            if self.cycle_swept >= len {
                // Every slot was swept once since the cycle began, and every entry written or
                // moved forward since then is counted: `cycle_earliest` bounds them all.
                self.earliest = self.cycle_earliest;
                self.cycle_swept = 0;
                self.cycle_earliest = u32::MAX;
                if self.earliest > now {
                    return;
                }
            }
            if self.occupied < before {
                return;
            }
        }
    }

    /// Drops the expired slots among `n` slots from `start` (wrapping), and returns the lowest
    /// expiry among those kept. A deletion shifts later entries back, so the slot it empties
    /// is examined again; entries shifted in from past the range are examined too, and the
    /// ones shifted within the unswept rest stay for a later sweep.
    fn sweep_range(&mut self, start: usize, n: usize, now: u32) -> u32 {
        let len = self.slots.len();
        // Expiry - 1, wrapping: an empty slot (expiry field 0) reads as `u32::MAX`, above any
        // time and any stored expiry (below 2²⁴), so one comparison tells an expired entry and
        // one `min` keeps the earliest, with no branch on emptiness (occupied or not is a coin
        // toss at load ⅔, which a branch predictor cannot learn).
        let mut earliest_less_one = u32::MAX;
        let mut i = if start < len { start } else { 0 };
        let mut k = 0;
        while k < n {
            let less_one = slot_expiry(self.get(i)).wrapping_sub(1);
            if less_one < now {
                self.remove(i);
                // The slot now holds whatever shifted back into it: examine it again.
                continue;
            }
            earliest_less_one = earliest_less_one.min(less_one);
            k += 1;
            i = self.next(i);
        }
        // `u32::MAX` (nothing kept) stays itself.
        earliest_less_one.saturating_add(1)
    }

    /// Backward-shift deletion: the entries after `hole` that are away from their home move
    /// back one slot each (keeping Robin Hood order), up to an empty slot or one at its home.
    fn remove(&mut self, mut hole: usize) {
        for _ in 0..self.slots.len() {
            let j = self.next(hole);
            let slot = self.get(j);
            if slot == 0 || slot_dist(slot) == 0 {
                break;
            }
            self.set(hole, with_dist(slot, slot_dist(slot) - 1));
            hole = j;
        }
        self.set(hole, 0);
        self.occupied = self.occupied.saturating_sub(1);
    }

    /// Moves the base to `now`: drops the expired slots and subtracts the shift from the
    /// others' expiries (positions and distances are unchanged). O(slots), once per 2²³ s of
    /// caller time.
    fn rebase(&mut self, now: u64) {
        let Some(base) = self.base else {
            self.base = Some(now);
            return;
        };
        let delta = now.saturating_sub(base);
        // Every stored expiry is below 2²⁴: past that, everything has expired.
        let delta_rel = u32::try_from(delta.min(HORIZON)).unwrap_or(u32::MAX);
        self.sweep(delta_rel);
        // Every remaining slot expires after `delta_rel`, so its expiry stays ≥ 1 and the
        // subtraction does not borrow from the distance field.
        let shift = u64::from(delta_rel);
        for slot in &mut self.slots {
            if *slot != 0 {
                *slot -= shift;
            }
        }
        if self.earliest != u32::MAX {
            self.earliest -= delta_rel;
        }
        // (The sweep above started a new cycle: `cycle_earliest` is unset.)
        self.base = Some(now);
    }

    fn reserve(&mut self, fp: Fingerprint, now: u64, expires_at: u64) -> Result<bool, ReplayError> {
        let base = *self.base.get_or_insert(now);
        if now.saturating_sub(base) >= REBASE_AFTER {
            self.rebase(now);
        }
        let now_rel = self.relative(now);
        let found = self.find(fp);
        if let Some(i) = found
            && slot_expiry(self.get(i)) > now_rel
        {
            return Ok(false);
        }
        if expires_at <= now {
            // Already expired: nothing to protect (the verifier refuses such tokens), and
            // storing it would only take a slot.
            return Ok(true);
        }
        let since = expires_at.saturating_sub(self.base.unwrap_or(now));
        if since >= HORIZON {
            // Not representable; storing it shorter would let a replay through later.
            return Err(ReplayError::ExpiryBeyondHorizon);
        }
        // `since > now_rel` unless the caller's time is before the base (a clock stepping
        // back); then holding the key until just after the base is the longer, safe side.
        let expiry = u32::try_from(since)
            .unwrap_or(u32::MAX)
            .max(now_rel.saturating_add(1));
        if let Some(i) = found {
            // This key's own expired slot: renew it in place.
            let slot = self.get(i);
            self.set(i, (slot & !EXPIRY_MASK) | u64::from(expiry));
        } else {
            let home = self.home(fp);
            let slot = ((fp.tag & TAG_MASK) << TAG_SHIFT) | u64::from(expiry);
            let blocked = |table: &Self, plan: Insert| {
                plan == Insert::Overflow
                    || (plan == Insert::Grew && table.occupied >= table.capacity)
            };
            let mut plan = self.insert(home, slot, now_rel, false);
            if blocked(self, plan) && self.earliest <= now_rel {
                if plan == Insert::Overflow {
                    // A chain too long (negligible under the keyed hash): sweep all of it.
                    self.sweep(now_rel);
                } else {
                    self.reclaim(now_rel);
                }
                plan = self.insert(home, slot, now_rel, false);
            }
            if blocked(self, plan) {
                return Err(ReplayError::Full);
            }
            if self.insert(home, slot, now_rel, true) == Insert::Grew {
                self.occupied += 1;
            }
        }
        self.earliest = self.earliest.min(expiry);
        self.cycle_earliest = self.cycle_earliest.min(expiry);
        Ok(true)
    }
}

impl MemoryReplayStore {
    /// A store holding at most `capacity` live reservations (at least 1); size it as peak
    /// reservation rate × maximum token lifetime (see the [type documentation](Self)). The
    /// table (12 bytes × `capacity`) is allocated here, zeroed, and never grows.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_CAPACITY);
        // SipHash of two constants under std's random per-process keys: a secret 128-bit key
        // for this store, drawn without a fallible call.
        let random = RandomState::new();
        let key = SipHasher13::new_with_keys(random.hash_one(0u8), random.hash_one(1u8));
        Self {
            inner: Arc::new(Mutex::new(Table::new(capacity))),
            key: TagKey(key),
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

    /// One keyed SipHash-1-3-128 pass over the length-prefixed fields (no two distinct keys
    /// give the same byte stream): the high half places the key, 34 bits of the low half tag
    /// it.
    fn fingerprint(&self, key: &ReplayKey<'_>) -> Fingerprint {
        let mut h = self.key.0;
        for part in [key.kind, key.issuer, key.jti] {
            h.write_u64(part.len() as u64);
            h.write(part.as_bytes());
        }
        let hash = u128::from(h.finish128());
        Fingerprint {
            home_hash: (hash >> 64) as u64,
            tag: (hash as u64) & TAG_MASK,
        }
    }
}

/// The reservation is made when `reserve` is called, and returned ready.
impl ReplayStore for MemoryReplayStore {
    fn reserve<'a>(&'a self, key: ReplayKey<'a>, now: u64, expires_at: u64) -> Reservation<'a> {
        let fp = self.fingerprint(&key);
        Reservation::ready(self.lock().reserve(fp, now, expires_at))
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

    #[tokio::test]
    async fn len_and_capacity_keep_their_meaning() {
        let store = MemoryReplayStore::new(3);
        assert_eq!(store.capacity(), 3);
        assert!(store.is_empty());
        assert_eq!(store.reserve(key("a"), 1000, 1010).await, Ok(true));
        assert_eq!(store.reserve(key("b"), 1000, 1020).await, Ok(true));
        assert_eq!(store.len(), 2);
        // A replay and an already expired reservation take no slot.
        assert_eq!(store.reserve(key("a"), 1000, 1010).await, Ok(false));
        assert_eq!(store.reserve(key("x"), 1000, 1000).await, Ok(true));
        assert_eq!(store.len(), 2);
        // An expired reservation counts until reclaimed; reusing its slot keeps the count.
        assert_eq!(store.reserve(key("a"), 1010, 1030).await, Ok(true));
        assert_eq!(store.len(), 2);
        assert_eq!(MemoryReplayStore::new(0).capacity(), 1);
        // Clones share the table (and the key).
        let clone = store.clone();
        assert_eq!(clone.reserve(key("b"), 1010, 1020).await, Ok(false));
        assert_eq!(clone.len(), 2);
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
        assert_ne!(store.fingerprint(&a), store.fingerprint(&b));
        assert_eq!(store.fingerprint(&a), store.fingerprint(&a));
        assert_eq!(store.fingerprint(&a).tag >> TAG_BITS, 0);
        // Another store has another key.
        assert_ne!(
            store.fingerprint(&a),
            MemoryReplayStore::new(4).fingerprint(&a)
        );
        assert_eq!(format!("{:?}", store.key), "TagKey(..)");
    }

    /// Keys that all share one home slot (position 0), so every probe walks one long chain.
    fn colliding(i: u32) -> Fingerprint {
        Fingerprint {
            home_hash: 0,
            tag: u64::from(i) + 1,
        }
    }

    /// Keys spread over the table.
    fn spread(i: u32) -> Fingerprint {
        Fingerprint {
            home_hash: (u64::from(i) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            tag: u64::from(i).wrapping_mul(0xF39C_C060_5CED_C835) & TAG_MASK,
        }
    }

    fn max_dist(table: &Table) -> usize {
        table
            .slots
            .iter()
            .filter(|s| **s != 0)
            .map(|s| slot_dist(*s))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn table_is_allocated_once_at_its_bound() {
        let table = Table::new(10);
        assert_eq!(table.slots.len(), 16);
        assert_eq!(Table::new(1).slots.len(), 2);
    }

    #[test]
    fn as_11_filling_to_capacity_keeps_every_reservation() {
        let store = MemoryReplayStore::new(100_000);
        let mut table = Table::new(100_000);
        let len = table.slots.len();
        let fps: Vec<Fingerprint> = (0..100_000u32)
            .map(|i| store.fingerprint(&key(&format!("{i:08x}"))))
            .collect();
        for (i, fp) in fps.iter().enumerate() {
            assert_eq!(table.reserve(*fp, 1000, 2000), Ok(true), "{i}");
        }
        assert_eq!(table.occupied, 100_000);
        assert_eq!(table.slots.len(), len);
        // Robin Hood keeps the probe distances far below the 63 a slot records, at load ⅔.
        assert!(max_dist(&table) < 32, "{}", max_dist(&table));
        for (i, fp) in fps.iter().enumerate() {
            assert_eq!(table.reserve(*fp, 1500, 2000), Ok(false), "{i}");
        }
        assert_eq!(
            table.reserve(store.fingerprint(&key("one more")), 1500, 2000),
            Err(ReplayError::Full)
        );
    }

    #[test]
    fn as_11_sweep_reclaims_expired_slots_inside_a_collision_chain() {
        let mut table = Table::new(6);
        // Alternate short- and long-lived reservations on one chain.
        for i in 0..6u32 {
            let exp = if i % 2 == 0 { 1010 } else { 1100 };
            assert_eq!(table.reserve(colliding(i), 1000, exp), Ok(true));
        }
        assert_eq!(
            table.reserve(colliding(99), 1000, 1100),
            Err(ReplayError::Full)
        );
        // At 1010 the short-lived ones are gone; the long-lived ones are still replays,
        // wherever the sweep shifted them.
        for i in [1u32, 3, 5] {
            assert_eq!(table.reserve(colliding(i), 1010, 1100), Ok(false));
        }
        table.sweep(table.relative(1010));
        assert_eq!(table.occupied, 3);
        for i in [1u32, 3, 5] {
            assert_eq!(table.reserve(colliding(i), 1010, 1100), Ok(false));
        }
        for i in [0u32, 2, 4] {
            assert_eq!(table.reserve(colliding(i), 1010, 1100), Ok(true));
        }
        assert_eq!(table.occupied, 6);
    }

    /// Robin Hood order in the form the tests check: an occupied slot's successor is empty,
    /// at its home, or at most one farther from it.
    fn in_robin_hood_order(table: &Table) -> bool {
        let len = table.slots.len();
        (0..len).all(|i| {
            let (a, b) = (table.get(i), table.get((i + 1) % len));
            b == 0 || slot_dist(b) == 0 || (a != 0 && slot_dist(b) <= slot_dist(a) + 1)
        })
    }

    #[test]
    fn as_11_sweep_compacts_a_chain_that_wraps_past_the_end() {
        let mut table = Table::new(20);
        let len = table.slots.len();
        // Keys whose home is the second-to-last slot: their chain wraps to the start.
        let near_end = |i: u32| Fingerprint {
            home_hash: u64::try_from(((len as u128 - 2) << 64).div_ceil(len as u128))
                .unwrap_or(u64::MAX),
            tag: u64::from(i) + 1,
        };
        for i in 0..8u32 {
            let exp = if i % 3 == 0 { 1100 } else { 1010 };
            assert_eq!(table.reserve(near_end(i), 1000, exp), Ok(true));
        }
        // Keys homed at the start, behind the wrapped part of the chain.
        for i in 0..4u32 {
            assert_eq!(table.reserve(colliding(100 + i), 1000, 1100), Ok(true));
        }
        assert_eq!(table.home(near_end(0)), len - 2);
        assert!(table.get(0) != 0 && slot_dist(table.get(0)) == 2, "wraps");
        let before = max_dist(&table);
        let now = table.relative(1010);
        table.sweep(now);
        // Live: near_end 0, 3, 6 and the four at the start.
        assert_eq!(table.occupied, 7);
        assert!(in_robin_hood_order(&table));
        assert!(max_dist(&table) <= before);
        assert_eq!(table.earliest, table.relative(1100));
        for i in [0u32, 3, 6] {
            assert_eq!(table.reserve(near_end(i), 1010, 1100), Ok(false), "{i}");
        }
        for i in 0..4u32 {
            assert_eq!(table.reserve(colliding(100 + i), 1010, 1100), Ok(false));
        }
        for i in [1u32, 2, 4, 5, 7] {
            assert_eq!(table.find(near_end(i)), None, "{i}");
        }
    }

    #[test]
    fn as_11_a_full_table_is_reclaimed_a_chunk_at_a_time() {
        let store = MemoryReplayStore::new(1);
        let capacity = 100_000u32;
        let mut table = Table::new(capacity as usize);
        let fp = |i: u32| store.fingerprint(&key(&format!("{i:08x}")));
        for i in 0..capacity {
            let exp = if i % 2 == 0 { 1010 } else { 1100 };
            assert_eq!(table.reserve(fp(i), 1000, exp), Ok(true));
        }
        // At 1010 half have expired. The next reservation sweeps one chunk, not the table.
        assert_eq!(table.reserve(fp(capacity), 1010, 1100), Ok(true));
        let freed = capacity as usize + 1 - table.occupied;
        assert!((1..SWEEP_CHUNK).contains(&freed), "{freed}");
        assert!(freed < capacity as usize / 4, "{freed}");
        for i in (1..capacity).step_by(2) {
            assert_eq!(table.reserve(fp(i), 1010, 1100), Ok(false), "{i}");
        }
        // Each later chunk frees more as the store fills again: it never refuses while an
        // expired slot is left, and refuses once every held reservation is live.
        for i in capacity + 1..capacity + capacity / 2 {
            assert_eq!(table.reserve(fp(i), 1010, 1100), Ok(true), "{i}");
        }
        assert_eq!(table.occupied, capacity as usize);
        assert_eq!(
            table.reserve(fp(u32::MAX), 1010, 1100),
            Err(ReplayError::Full)
        );
        assert_eq!(table.earliest, table.relative(1100));
    }

    #[test]
    fn as_11_expired_slot_is_reused_without_growing_the_count() {
        let mut table = Table::new(4);
        assert_eq!(table.reserve(colliding(1), 1000, 1010), Ok(true));
        assert_eq!(table.reserve(colliding(2), 1000, 1100), Ok(true));
        assert_eq!(table.occupied, 2);
        assert_eq!(table.reserve(colliding(3), 1020, 1100), Ok(true));
        assert_eq!(table.occupied, 2);
        assert_eq!(table.reserve(colliding(2), 1020, 1100), Ok(false));
        assert_eq!(table.reserve(colliding(3), 1020, 1100), Ok(false));
    }

    #[test]
    fn as_11_full_store_sweeps_at_most_once_per_second() {
        let mut table = Table::new(2);
        assert_eq!(table.reserve(colliding(1), 1000, 1050), Ok(true));
        assert_eq!(table.reserve(colliding(2), 1000, 1060), Ok(true));
        let earliest = table.earliest;
        assert_eq!(
            table.reserve(colliding(3), 1001, 1100),
            Err(ReplayError::Full)
        );
        assert_eq!(table.earliest, earliest);
        assert_eq!(table.reserve(colliding(3), 1050, 1100), Ok(true));
    }

    #[test]
    fn as_11_probe_distance_overflow_sweeps_then_fails_closed() {
        let mut table = Table::new(200);
        // 64 keys on one home fill distances 0..=63.
        for i in 0..=MAX_DIST as u32 {
            assert_eq!(table.reserve(colliding(i), 1000, 2000), Ok(true));
        }
        assert_eq!(max_dist(&table), MAX_DIST);
        // A short-lived reservation elsewhere (home 150 of 301 slots, off the chain).
        let far = Fingerprint {
            home_hash: u64::MAX / 2,
            tag: 7,
        };
        assert_eq!(table.reserve(far, 1000, 1010), Ok(true));
        assert_eq!(table.occupied, 65);
        // The 65th key on the chain would need distance 64. Nothing can have expired yet:
        // refused without a sweep.
        assert_eq!(
            table.reserve(colliding(100), 1005, 2000),
            Err(ReplayError::Full)
        );
        assert_eq!(table.occupied, 65);
        // Once something may have expired, one sweep runs (reclaiming `far`), and the chain
        // still cannot take the key: refused.
        assert_eq!(
            table.reserve(colliding(100), 1020, 2000),
            Err(ReplayError::Full)
        );
        assert_eq!(table.occupied, 64);
        assert_eq!(table.earliest, table.relative(2000));
        // Every reservation on the chain is still a replay, the refused key was not stored.
        for i in 0..=MAX_DIST as u32 {
            assert_eq!(table.reserve(colliding(i), 1020, 2000), Ok(false));
        }
        assert_eq!(table.find(colliding(100)), None);
        // An expired entry on the chain makes room in place.
        let mut table = Table::new(200);
        for i in 0..=MAX_DIST as u32 {
            let exp = if i == 10 { 1010 } else { 2000 };
            assert_eq!(table.reserve(colliding(i), 1000, exp), Ok(true));
        }
        assert_eq!(table.reserve(colliding(100), 1020, 2000), Ok(true));
        assert_eq!(table.reserve(colliding(100), 1020, 2000), Ok(false));
        assert_eq!(table.occupied, 64);
    }

    #[test]
    fn as_11_rebase_across_the_2_23_boundary_keeps_live_reservations() {
        let mut table = Table::new(16);
        let start = 1000;
        let later = start + REBASE_AFTER + 10;
        // Long-lived keys on one chain, interleaved with short-lived ones, and one elsewhere.
        for i in 0..8u32 {
            let exp = if i % 2 == 0 { start + 50 } else { later + 90 };
            assert_eq!(table.reserve(colliding(i), start, exp), Ok(true));
        }
        assert_eq!(table.reserve(spread(1), start, later + 30), Ok(true));
        assert_eq!(table.occupied, 9);
        // The first reservation past the boundary rebases: the expired slots are dropped, the
        // live ones keep their exact expiry.
        assert_eq!(table.reserve(colliding(1), later, later + 90), Ok(false));
        assert_eq!(table.base, Some(later));
        assert_eq!(table.occupied, 5);
        assert_eq!(table.earliest, 30);
        for i in [1u32, 3, 5, 7] {
            assert_eq!(
                table.reserve(colliding(i), later + 89, later + 100),
                Ok(false)
            );
        }
        assert_eq!(table.reserve(spread(1), later + 29, later + 100), Ok(false));
        assert_eq!(table.reserve(spread(1), later + 30, later + 100), Ok(true));
        for i in [0u32, 2, 4, 6] {
            assert_eq!(
                table.reserve(colliding(i), later + 30, later + 100),
                Ok(true)
            );
        }
        assert_eq!(
            table.reserve(colliding(3), later + 90, later + 100),
            Ok(true)
        );
        // After rebasing, a lifetime up to the full 24-bit horizon fits again.
        assert_eq!(
            table.reserve(spread(9), later + 90, later + HORIZON - 1),
            Ok(true)
        );
    }

    #[test]
    fn as_11_expiry_beyond_the_horizon_fails_closed() {
        let mut table = Table::new(4);
        assert_eq!(
            table.reserve(colliding(1), 0, u64::MAX),
            Err(ReplayError::ExpiryBeyondHorizon)
        );
        assert_eq!(
            table.reserve(colliding(1), 0, HORIZON),
            Err(ReplayError::ExpiryBeyondHorizon)
        );
        assert_eq!(table.occupied, 0);
        assert_eq!(table.reserve(colliding(1), 0, HORIZON - 1), Ok(true));
        // The replay check comes first: a replay is a replay whatever its expiry.
        assert_eq!(table.reserve(colliding(1), 1, u64::MAX), Ok(false));
        // A lifetime below 2²³ s always fits, however old the base (before it is rebased).
        let late = REBASE_AFTER - 1;
        assert_eq!(
            table.reserve(colliding(2), late, late + REBASE_AFTER),
            Ok(true)
        );
        assert_eq!(table.base, Some(0));
    }

    #[test]
    fn as_11_clock_before_the_base_holds_the_key_longer() {
        let mut table = Table::new(4);
        assert_eq!(table.reserve(colliding(1), 1000, 1010), Ok(true));
        // A caller whose clock reads earlier than the base: the key is held until just after
        // the base (longer than asked, never shorter).
        assert_eq!(table.reserve(colliding(2), 990, 995), Ok(true));
        assert_eq!(table.reserve(colliding(2), 994, 995), Ok(false));
        assert_eq!(table.reserve(colliding(2), 1000, 1005), Ok(false));
        assert_eq!(table.reserve(colliding(2), 1001, 1005), Ok(true));
    }

    proptest::proptest! {
        /// The table answers exactly as a map of live reservations with the same capacity,
        /// through slot reuse, sweeps, Robin Hood displacement and long collision chains (half
        /// of the keys share one home slot).
        #[test]
        fn as_11_table_matches_a_reference_model(
            ops in proptest::collection::vec((0u32..48, 0u64..3, 1u64..12), 1..400),
            capacity in 1usize..24,
            sweep_chunk in 1usize..40,
        ) {
            let mut table = Table::new(capacity);
            table.sweep_chunk = sweep_chunk;
            let mut model: std::collections::HashMap<u32, u64> = Default::default();
            let mut now = 1000;
            for (k, advance, lifetime) in ops {
                now += advance;
                let fp = if k % 2 == 0 { colliding(k) } else { spread(k) };
                model.retain(|_, exp| *exp > now);
                let expected = if model.contains_key(&k) {
                    Ok(false)
                } else if model.len() >= capacity {
                    Err(ReplayError::Full)
                } else {
                    model.insert(k, now + lifetime);
                    Ok(true)
                };
                proptest::prop_assert_eq!(table.reserve(fp, now, now + lifetime), expected);
                proptest::prop_assert!(table.occupied >= model.len());
                proptest::prop_assert!(table.occupied <= capacity);
                // Robin Hood order holds everywhere.
                proptest::prop_assert!(in_robin_hood_order(&table));
            }
        }
    }
}
