//! What signing one access token costs, next to the bare ECDSA P-256
//! signature it contains, measured in the same run: the difference is what
//! the JWT layer (claims to JSON, base64url, `r ‖ s`) adds to every
//! client_credentials token.
//!
//! Run: `cargo bench -p auth-server --bench token_signing`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use auth_server::domain::signing_alg::SigningAlg;
use auth_server::keys::signing::SigningKey;
use criterion::{criterion_group, criterion_main, Criterion};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::sha::sha256;
use serde_json::{json, Map, Value};

/// The claims of a client_credentials access token, as the server mints them.
fn claims() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "iss": "https://auth.example.com/t/bench-tokens",
        "sub": "cli_8Jf0aQ3kR2mXn5pL7vB9tA",
        "aud": "bench-api",
        "client_id": "cli_8Jf0aQ3kR2mXn5pL7vB9tA",
        "scope": "bench:read",
        "iat": 1_796_000_000,
        "nbf": 1_796_000_000,
        "exp": 1_796_000_900,
        "jti": "0b0f6c52-8f0e-4d5c-9a47-2f3d3c1e9a10",
        "tid": "5d1c2b7e-3f4a-4e8b-9c0d-1e2f3a4b5c6d",
    }) else {
        unreachable!()
    };
    map
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::generate(SigningAlg::ES256).unwrap();
    let claims = claims();
    let token = key.sign_jwt("at+jwt", &claims).unwrap();
    let signing_input = token.rsplit_once('.').unwrap().0.as_bytes().to_vec();
    let bare = EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap();

    let mut group = c.benchmark_group("es256");
    group.bench_function("access_token", |b| {
        b.iter(|| black_box(key.sign_jwt("at+jwt", black_box(&claims)).unwrap()));
    });
    group.bench_function("bare_ecdsa_p256_of_the_same_input", |b| {
        b.iter(|| {
            let digest = sha256(black_box(&signing_input));
            black_box(EcdsaSig::sign(&digest, &bare).unwrap())
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
