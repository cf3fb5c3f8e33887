//! One argon2id hash and one verify at the server's parameters (OWASP floor:
//! m = 19456 KiB, t = 2, p = 1), through the same per-thread buffer engine
//! the hashing pool's workers use. The hash's time is the "t" of the login
//! throughput limit: a machine with `cores` cores cannot complete more than
//! `cores / t` password logins per second.
//!
//! `hash_parallel` times one round of as many hashes at once as the machine
//! has cores, one per thread, each with its own engine, as the pool's
//! workers run under load: the hashes share the memory bandwidth, so a
//! round takes longer than one hash alone, and `cores / t_parallel` is what
//! the machine really allows.
//!
//! Run: `cargo bench -p auth-server --bench password_hash`
//! (`scripts/bench-login` runs it and reads the estimates from
//! `target/criterion/argon2id_m19456_t2_p1/{hash,hash_parallel}/new/estimates.json`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use argon2::Params;
use auth_server::password::HashEngine;
use criterion::{criterion_group, criterion_main, Criterion};

const PASSWORD: &[u8] = b"correct horse battery staple 42";

fn bench(c: &mut Criterion) {
    // The server's defaults (config.rs): 19 MiB, 2 passes, 1 lane, 32-byte output.
    let params = Params::new(19_456, 2, 1, Some(32)).unwrap();
    let mut engine = HashEngine::new(params.clone());
    // First use allocates the engine's buffer; keep that out of the figures,
    // as the pool's workers do after their first job.
    let phc = engine.hash(PASSWORD).unwrap();
    assert!(engine.verify(PASSWORD, &phc).unwrap().matches);

    let mut group = c.benchmark_group("argon2id_m19456_t2_p1");
    // ~15-30 ms per iteration: fewer, longer samples than criterion's default.
    group.sample_size(30);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("hash", |b| {
        b.iter(|| black_box(engine.hash(black_box(PASSWORD)).unwrap()));
    });
    group.bench_function("verify", |b| {
        b.iter(|| black_box(engine.verify(black_box(PASSWORD), black_box(&phc)).unwrap()));
    });
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut engines: Vec<HashEngine> = (0..cores)
        .map(|_| {
            let mut engine = HashEngine::new(params.clone());
            engine.hash(PASSWORD).unwrap();
            engine
        })
        .collect();
    // One iteration: every engine hashes once, all at the same time.
    group.bench_function("hash_parallel", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|scope| {
                for engine in &mut engines {
                    scope.spawn(move || {
                        for _ in 0..iters {
                            black_box(engine.hash(black_box(PASSWORD)).unwrap());
                        }
                    });
                }
            });
            start.elapsed()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
