//! Server-side benchmarks: the full ID-JAG validation of the resource AS (issuer lookup, kid
//! lookup, every §6 check, in-memory replay reservation) and the in-memory replay store at one
//! million live entries, with its heap bytes per entry (counted by an instrumented global
//! allocator). `bash bench/run.sh` runs them with the ema-jwt benchmarks and prints ratios.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::alloc::System;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ema_jwt::mint::{IdJagGrant, IdJagMinter};
use ema_jwt::verify::{IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, BACKEND, KeySet, SigningKey};
use ema_server::keys::{KeySource, StaticKeySource};
use ema_server::replay::{MemoryReplayStore, ReplayKey, ReplayStore};
use ema_types::{ClientId, Clock as _, FixedClock, Issuer, Resource, ScopeSet, SystemRandom};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const NOW: u64 = 1_793_000_000;
const IDP: &str = "https://login.acme-idp.test";
const AS: &str = "https://as.toolhub.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const CLIENT: &str = "cli_42b19c";

/// Live reservations in the replay benchmarks.
const LIVE: u64 = 1_000_000;
/// Simulated reservation rate (per second) and lifetime (seconds): `LIVE` = rate × lifetime.
const RATE: u64 = 1_000;
const LIFETIME: u64 = LIVE / RATE;
/// Capacity = live × 1.25: the headroom that keeps reclaim sweeps rare (see MemoryReplayStore).
const CAPACITY: u64 = LIVE + LIVE / 4;

/// Polls a future that never waits (the in-memory store and static key source) to completion.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("the benchmarked future waited"),
    }
}

/// `EMA_BENCH_COUNT=ID:K` (for `valgrind --tool=callgrind --toggle-collect=*ema_counted*`):
/// instead of benchmarking, run only the operation `ID` `K` times, each inside
/// [`ema_counted`], so callgrind counts the instructions of exactly those calls.
fn count_mode() -> Option<(String, u64)> {
    let spec = std::env::var("EMA_BENCH_COUNT").ok()?;
    let (id, k) = spec.rsplit_once(':')?;
    Some((id.to_owned(), k.parse().ok()?))
}

/// The measured call in count mode (never inlined, so callgrind can find it by name).
#[inline(never)]
fn ema_counted(op: &mut dyn FnMut()) {
    op();
}

/// Bytes of a benchmark `jti`: 16 hex digits of the counter, then a fixed suffix.
const JTI_LEN: usize = 31;

/// The `jti` of reservation `i` (`{i:016x}-8f3c-4b1e-a0d2`), formatted into a stack buffer, so
/// the replay benchmarks read no key from the heap and measure the store, not the harness.
fn jti(i: u64, buf: &mut [u8; JTI_LEN]) -> &str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (n, b) in buf[..16].iter_mut().enumerate() {
        *b = HEX[((i >> (60 - 4 * n)) & 0xf) as usize];
    }
    buf[16..].copy_from_slice(b"-8f3c-4b1e-a0d2");
    std::str::from_utf8(buf).unwrap()
}

fn id_jag_validation(c: &mut Criterion) {
    let backend = BACKEND.unwrap_or("none");
    let clock = FixedClock::new(NOW);
    let idp = Issuer::new(IDP).unwrap();
    let as_issuer = Issuer::new(AS).unwrap();
    let mcp = Resource::new(MCP).unwrap();
    let idp_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-2");
    let keys = KeySet::from_keys(vec![
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("idp-1")
            .verifying_key()
            .clone(),
        idp_key.verifying_key().clone(),
    ]);
    let source = StaticKeySource::new().with_issuer(&idp, keys);
    // The AS finds the unverified `iss` among its configured trusted issuers by string.
    let trusted = [
        Issuer::new("https://login.other-idp.test").unwrap(),
        idp.clone(),
    ];
    let minter = IdJagMinter::new(idp, idp_key);
    let verifier = IdJagVerifier::new(as_issuer.clone(), [mcp.clone()]);
    let store = MemoryReplayStore::new(100_000);
    let algs = [Algorithm::ES256];
    let grant = IdJagGrant::new("00u8k2p9xq", as_issuer, ClientId::new(CLIENT).unwrap())
        .with_resource(mcp)
        .with_scope(ScopeSet::parse("tickets:read").unwrap());
    let rng = SystemRandom;

    // What the jwt-bearer grant does between form parsing and minting (§6 steps 4-16, 21).
    let validate = |token: &str| {
        let jws = verifier.decode(token).unwrap();
        let iss = jws.unverified_issuer().unwrap();
        let issuer = trusted.iter().find(|t| t.as_str() == iss).unwrap();
        let kid = jws.header().kid.as_deref();
        let keys = ready(source.keys(issuer, kid)).unwrap();
        let anchor = TrustAnchor::new(issuer.as_str(), &keys, &algs);
        let claims = verifier.verify(jws, &anchor, CLIENT, &clock).unwrap();
        let key = ReplayKey {
            kind: "id-jag",
            issuer: issuer.as_str(),
            jti: &claims.jti,
        };
        assert!(ready(store.reserve(key, clock.now_unix(), claims.exp + 60)).unwrap());
        claims
    };
    // 100 ID-JAGs per simulated second: with their 300 s lifetime (+ 60 s skew) the store
    // holds about 36 000 live reservations, as an AS at that rate would.
    let minted = AtomicU64::new(0);
    let mint = || {
        clock.set(NOW + minted.fetch_add(1, Ordering::Relaxed) / 100);
        minter
            .mint(grant.clone(), &clock, &rng)
            .unwrap()
            .token
            .expose()
            .to_owned()
    };
    let id = format!("{backend}/ema/id_jag_full_validation_es256");
    match count_mode() {
        Some((target, k)) if target == id => {
            for token in (0..k).map(|_| mint()).collect::<Vec<_>>() {
                ema_counted(&mut || {
                    black_box(validate(&token));
                });
            }
            return;
        }
        Some(_) => return,
        None => {}
    }
    // A fresh ID-JAG (fresh jti) per iteration, minted outside the measurement.
    c.bench_function(&id, |b| {
        b.iter_batched(
            mint,
            |token| black_box(validate(&token)),
            BatchSize::SmallInput,
        );
    });
}

/// Fills a store to `LIVE` reservations at the steady state of `RATE` per second, each living
/// `LIFETIME` seconds. Returns the store and the number of reservations made.
fn steady_store() -> (MemoryReplayStore, u64) {
    let store = MemoryReplayStore::new(usize::try_from(CAPACITY).unwrap());
    let mut buf = [0; JTI_LEN];
    for i in 0..LIVE + RATE {
        reserve_at(&store, i, jti(i, &mut buf));
    }
    (store, LIVE + RATE)
}

fn reserve_at(store: &MemoryReplayStore, i: u64, jti: &str) -> bool {
    let now = NOW + i / RATE;
    let key = ReplayKey {
        kind: "id-jag",
        issuer: IDP,
        jti,
    };
    ready(store.reserve(key, now, now + LIFETIME)).unwrap()
}

fn replay_store(c: &mut Criterion) {
    if count_mode().is_some() {
        return;
    }
    // Heap bytes per live entry, counted by the global allocator. The table is allocated
    // and written at its bound when the store is made, and counted in full here.
    let region = Region::new(GLOBAL);
    let (store, filled) = steady_store();
    let stats = region.change();
    let bytes = stats.bytes_allocated as i128 - stats.bytes_deallocated as i128;
    let live = store.len();
    println!(
        "EMA-METRIC replay_bytes_per_entry={:.1} live={live} capacity={CAPACITY} heap_bytes={bytes}",
        bytes as f64 / live as f64
    );

    // The slowest single reservation past the fill, over four times the headroom: the table
    // reaches capacity and reclaims expired slots as reservations need them.
    let mut buf = [0; JTI_LEN];
    let mut slowest = std::time::Duration::ZERO;
    let past = filled + 4 * (CAPACITY - LIVE);
    for i in filled..past {
        let key = jti(i, &mut buf);
        let started = Instant::now();
        let fresh = reserve_at(&store, i, key);
        slowest = slowest.max(started.elapsed());
        assert!(fresh);
    }
    println!(
        "EMA-METRIC replay_slowest_reservation_us={:.0} reservations={} capacity={CAPACITY}",
        slowest.as_secs_f64() * 1e6,
        past - filled
    );

    // Fresh keys: the counter continues where that stopped, so every key is new, and the
    // simulated time advances at `RATE`. Each key is formatted on the stack from its counter.
    let filled = past;
    assert!(reserve_at(&store, filled, jti(filled, &mut buf)));
    let next = std::cell::Cell::new(filled + 1);
    let mut group = c.benchmark_group("replay");
    group.bench_function("memory/reserve_fresh_at_1m_live", |b| {
        b.iter_custom(|iters| {
            let mut buf = [0; JTI_LEN];
            let started = Instant::now();
            for _ in 0..iters {
                let i = next.get();
                next.set(i + 1);
                assert!(reserve_at(&store, i, jti(black_box(i), &mut buf)));
            }
            started.elapsed()
        });
    });
    group.bench_function("memory/reserve_replayed_at_1m_live", |b| {
        b.iter_custom(|iters| {
            let i = next.get();
            // Keys reserved a little earlier, all still live, in a scattered order; their
            // counters are read sequentially, the keys formatted on the stack.
            let replayed: Vec<u64> = (0..iters)
                .map(|n| i - 1 - (n * 7919) % (i - filled).min(LIVE / 2))
                .collect();
            let mut buf = [0; JTI_LEN];
            let started = Instant::now();
            for j in replayed {
                assert!(!reserve_at(&store, i, jti(black_box(j), &mut buf)));
            }
            started.elapsed()
        });
    });
    // The floor of any table this size: one dependent load from a random place of an array as
    // large as the store's table (a pointer chase over a random cycle), the cache miss every
    // reservation of a fresh or replayed random key takes.
    let slots = usize::try_from(CAPACITY + CAPACITY / 2 + 1).unwrap();
    let chase = random_cycle(slots);
    let at = std::cell::Cell::new(0usize);
    group.bench_function("memory/dependent_load_table_sized", |b| {
        b.iter_custom(|iters| {
            let mut i = at.get();
            let started = Instant::now();
            for _ in 0..iters {
                i = chase[i];
            }
            let elapsed = started.elapsed();
            at.set(black_box(i));
            elapsed
        });
    });
    group.finish();
}

/// A random cyclic permutation of `0..n` (Sattolo's algorithm, xorshift): following it from
/// any index visits every index once, in an order no prefetcher can guess.
fn random_cycle(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, usize::try_from(x % i as u64).unwrap());
    }
    let mut next = vec![0; n];
    for (k, &from) in order.iter().enumerate() {
        next[from] = order[(k + 1) % n];
    }
    next
}

criterion_group!(server, id_jag_validation, replay_store);
criterion_main!(server);
