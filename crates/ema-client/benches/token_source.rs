//! The cached [`TokenSource`] hit path: `access_token(server)` for a server whose token is
//! cached and fresh (no I/O), after one warm-up flow against ema-server's real IdP and AS on
//! loopback. `bash bench/run.sh` reports it beside the other token benchmarks.
//!
//! `cargo bench -p ema-client --bench token_source`

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/fanout_support/mod.rs"]
mod fanout_support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use fanout_support::{Extras, World};

fn cached_hit(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let world = runtime.block_on(World::start(1, Extras::default()));
    let source = world.client(Duration::from_secs(10));
    let server = world.allowed[0].clone();
    let first = runtime.block_on(source.access_token(&server)).unwrap();
    c.bench_function("client/token_source_cached_hit", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    let token = source.access_token(black_box(&server)).await.unwrap();
                    black_box(token);
                }
                started.elapsed()
            })
        });
    });
    // Every call was served from the cache: still the first token.
    let last = runtime.block_on(source.access_token(&server)).unwrap();
    assert_eq!(first.token.expose(), last.token.expose());
}

criterion_group!(benches, cached_hit);
criterion_main!(benches);
