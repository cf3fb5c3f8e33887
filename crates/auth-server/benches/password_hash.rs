//! One argon2id hash and one verify at the server's parameters (OWASP floor:
//! m = 19456 KiB, t = 2, p = 1), through the same per-thread buffer engine
//! the hashing pool's workers use. The hash's time is the "t" of the login
//! throughput limit: a machine with `cores` cores cannot complete more than
//! `cores / t` password logins per second.
//!
//! Run: `cargo bench -p auth-server --bench password_hash`
//! (`scripts/bench-login` runs it and reads the estimate from
//! `target/criterion/argon2id_m19456_t2_p1/hash/new/estimates.json`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use argon2::Params;
use auth_server::password::HashEngine;
use criterion::{criterion_group, criterion_main, Criterion};

const PASSWORD: &[u8] = b"correct horse battery staple 42";

fn bench(c: &mut Criterion) {
    // The server's defaults (config.rs): 19 MiB, 2 passes, 1 lane, 32-byte output.
    let params = Params::new(19_456, 2, 1, Some(32)).unwrap();
    let mut engine = HashEngine::new(params);
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
