//! AS-11: the in-memory replay store's heap use, counted by an instrumented global allocator:
//! at most 40 bytes per live reservation at one million, bounded by the configured capacity
//! whatever the traffic, and refusing (fail closed) once that many are live.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::alloc::System;
use std::task::{Context, Poll, Waker};

use ema_server::replay::{MemoryReplayStore, ReplayError, ReplayKey, ReplayStore};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const NOW: u64 = 1_793_000_000;

/// The store never waits: poll its future once.
fn reserve(store: &MemoryReplayStore, jti: &str, now: u64, exp: u64) -> Result<bool, ReplayError> {
    let key = ReplayKey {
        kind: "id-jag",
        issuer: "https://login.acme-idp.test",
        jti,
    };
    let mut f = std::pin::pin!(store.reserve(key, now, exp));
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => panic!("the memory store waited"),
    }
}

fn net_bytes(region: &Region<'_, System>) -> i128 {
    let s = region.change();
    // stats_alloc adds a reallocation's growth to `bytes_allocated` (its shrinking to
    // `bytes_deallocated`), so these two give the live bytes.
    s.bytes_allocated as i128 - s.bytes_deallocated as i128
}

// One test in this binary, so no other test allocates while it counts.
#[test]
fn as_11_memory_store_bytes_per_entry_capacity_and_fail_closed() {
    const LIVE: usize = 1_000_000;
    const CAPACITY: usize = LIVE + LIVE / 4;
    let region = Region::new(GLOBAL);
    let store = MemoryReplayStore::new(CAPACITY);
    let mut jti = String::with_capacity(32);
    for i in 0..LIVE {
        jti.clear();
        std::fmt::Write::write_fmt(&mut jti, format_args!("{i:016x}")).unwrap();
        assert_eq!(reserve(&store, &jti, NOW, NOW + 600), Ok(true));
    }
    assert_eq!(store.len(), LIVE);
    let at_1m = net_bytes(&region);
    let per_entry = at_1m as f64 / LIVE as f64;
    assert!(per_entry <= 40.0, "{per_entry} bytes per live entry");

    // Up to capacity, then refused: the memory does not grow past the configured bound.
    for i in LIVE..CAPACITY {
        jti.clear();
        std::fmt::Write::write_fmt(&mut jti, format_args!("{i:016x}")).unwrap();
        assert_eq!(reserve(&store, &jti, NOW, NOW + 600), Ok(true));
    }
    let at_capacity = net_bytes(&region);
    for i in CAPACITY..CAPACITY + 1000 {
        jti.clear();
        std::fmt::Write::write_fmt(&mut jti, format_args!("{i:016x}")).unwrap();
        assert_eq!(
            reserve(&store, &jti, NOW + 1, NOW + 600),
            Err(ReplayError::Full)
        );
    }
    // A replay is still a replay when full.
    assert_eq!(
        reserve(&store, &format!("{:016x}", 7), NOW + 1, NOW + 600),
        Ok(false)
    );
    // (The test harness may allocate a few bytes meanwhile: allow 1 KiB, not per entry.)
    assert!((net_bytes(&region) - at_capacity).abs() < 1024);
    // The table is allocated once at its bound: 8-byte slots, capacity × 1.5 of them.
    assert!(at_capacity as f64 <= 12.0 * CAPACITY as f64 + 4096.0);

    // Once they expire, the slots are reclaimed: new reservations succeed in the same memory.
    for i in CAPACITY + 1000..CAPACITY + 2000 {
        jti.clear();
        std::fmt::Write::write_fmt(&mut jti, format_args!("{i:016x}")).unwrap();
        assert_eq!(reserve(&store, &jti, NOW + 600, NOW + 1200), Ok(true));
    }
    // Reclaimed a chunk of the table at a time, as reservations need the room: the count
    // (expired slots not yet reclaimed included) stays within the bound.
    assert!(store.len() <= CAPACITY);
    assert!(store.len() < CAPACITY - 1000, "{} held", store.len());
    // An expired key is free again.
    assert_eq!(
        reserve(&store, &format!("{:016x}", 7), NOW + 600, NOW + 1200),
        Ok(true)
    );
    assert!((net_bytes(&region) - at_capacity).abs() < 1024);
}
