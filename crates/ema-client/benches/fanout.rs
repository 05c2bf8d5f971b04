//! Zero touch, measured: the time to connect N = 1, 10, 50 MCP servers after one sign-in
//! ([`Session::connect`]), on loopback against ema-server's real IdP, AS and resource
//! servers, concurrently (the default 8 in flight) beside sequentially (1 in flight). Each
//! iteration starts from a fresh token source (cold discovery and key caches), as after a
//! sign-in. Group `session_connect`: plain loopback (CPU-bound: every leg signs or verifies);
//! group `session_connect_rtt10ms`: each HTTP answer delayed by 10 ms, like a network round
//! trip, where the concurrency pays off.
//!
//! `cargo bench -p ema-client --bench fanout`

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/fanout_support/mod.rs"]
mod fanout_support;

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ema_client::{Session, SessionConfig};
use fanout_support::{Extras, World};

fn run_group(c: &mut Criterion, runtime: &tokio::runtime::Runtime, name: &str, latency: Duration) {
    let world = runtime.block_on(World::start(
        50,
        Extras {
            latency,
            ..Extras::default()
        },
    ));
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    for n in [1usize, 10, 50] {
        let modes = [
            ("concurrent", SessionConfig::default().max_in_flight),
            ("sequential", 1),
        ];
        for (mode, in_flight) in modes {
            group.bench_with_input(BenchmarkId::new(mode, n), &n, |b, &n| {
                b.iter_custom(|iterations| {
                    runtime.block_on(async {
                        let mut total = Duration::ZERO;
                        for _ in 0..iterations {
                            let session = Session::new(world.client(Duration::from_secs(10)))
                                .with_config(
                                    SessionConfig::default().with_max_in_flight(in_flight),
                                );
                            let servers = world.allowed[..n].to_vec();
                            let started = Instant::now();
                            let report = session.connect(servers).await;
                            total += started.elapsed();
                            assert_eq!(report.connected().count(), n, "{report}");
                        }
                        total
                    })
                });
            });
        }
    }
    group.finish();
}

fn fanout(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    run_group(c, &runtime, "session_connect", Duration::ZERO);
    run_group(
        c,
        &runtime,
        "session_connect_rtt10ms",
        Duration::from_millis(10),
    );
}

criterion_group!(benches, fanout);
criterion_main!(benches);
