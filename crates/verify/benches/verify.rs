//! `Validator::validate` on an ES256 access token, against raw josekit ES256
//! signature verification of the same token, in the same run; and
//! `Verifier::verify` with a warm key cache (JWKS served once over loopback).
//!
//! Run: `cargo bench --bench verify -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use connectauth_verify::{KeySet, ValidationConfig, Validator, Verifier, VerifierConfig};
use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::{Algorithm as JwtAlg, EncodingKey, Header};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use serde_json::json;

const NOW: u64 = 1_700_000_000;

/// The JWKS, a token valid at `NOW`, and the same token valid at the real
/// current time (for `Verifier`, which reads the system clock).
fn fixture() -> (String, String, String) {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let ec = EcKey::generate(&group).unwrap();
    let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
    ec.public_key()
        .affine_coordinates(&group, &mut x, &mut y, &mut BigNumContext::new().unwrap())
        .unwrap();
    let b64 = |b: &BigNum| URL_SAFE_NO_PAD.encode(b.to_vec_padded(32).unwrap());
    let jwks =
        json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
        "x": b64(&x), "y": b64(&y)}]})
        .to_string();

    let pem = PKey::from_ec_key(ec)
        .unwrap()
        .private_key_to_pem_pkcs8()
        .unwrap();
    let mut header = Header::new(JwtAlg::ES256);
    header.typ = Some("at+jwt".into());
    header.kid = Some("k1".into());
    let encoding = EncodingKey::from_ec_pem(&pem).unwrap();
    let claims_at = |now: i64| {
        json!({
            "iss": "https://auth.example.com/t/acme", "aud": "https://api.example.com",
            "sub": "user-42", "client_id": "web", "iat": now - 10, "nbf": now - 10, "exp": now + 300,
            "jti": "b0c1e0d2-7c2f-4a57-9d1c-0f6f2a1e9a11", "scope": "orders:read orders:write profile",
            "tenant": "acme"
        })
    };
    let sign = |now| jsonwebtoken::encode(&header, &claims_at(now), &encoding).unwrap();
    let real_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (jwks, sign(NOW as i64), sign(real_now))
}

/// Serves `jwks` over loopback HTTP from a thread; returns its URL.
fn serve_jwks(jwks: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: max-age=3600\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{jwks}",
                jwks.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

fn bench(c: &mut Criterion) {
    let (jwks, token, live_token) = fixture();
    let now = UNIX_EPOCH + Duration::from_secs(NOW);

    let keys = KeySet::from_jwks_json(&jwks).unwrap();
    let validator = Validator::new(ValidationConfig {
        issuer: "https://auth.example.com/t/acme".into(),
        audience: "https://api.example.com".into(),
        ..ValidationConfig::default()
    })
    .unwrap();
    validator.validate_at(&token, &keys, now).unwrap();

    // Raw josekit: a prebuilt verifier over the signing input and the
    // already decoded signature; no parsing, no claim checks.
    let jwk_json = serde_json::from_str::<serde_json::Value>(&jwks).unwrap()["keys"][0].clone();
    let jwk = josekit::jwk::Jwk::from_bytes(jwk_json.to_string()).unwrap();
    let verifier = josekit::jws::ES256.verifier_from_jwk(&jwk).unwrap();
    let dot = token.rfind('.').unwrap();
    let (input, signature) = (
        &token[..dot],
        URL_SAFE_NO_PAD.decode(&token[dot + 1..]).unwrap(),
    );
    josekit::jws::JwsVerifier::verify(&verifier, input.as_bytes(), &signature).unwrap();

    let mut group = c.benchmark_group("es256");
    group.bench_function("connectauth_verify::Validator::validate", |b| {
        b.iter(|| {
            validator
                .validate_at(black_box(&token), black_box(&keys), black_box(now))
                .unwrap()
        })
    });
    group.bench_function("josekit raw ES256 verify", |b| {
        b.iter(|| {
            josekit::jws::JwsVerifier::verify(
                &verifier,
                black_box(input.as_bytes()),
                black_box(&signature),
            )
            .unwrap()
        })
    });
    group.bench_function("josekit jwt::decode_with_verifier", |b| {
        b.iter(|| josekit::jwt::decode_with_verifier(black_box(&token), &verifier).unwrap())
    });
    group.finish();

    // Verifier::verify with the key set cached: the cost over
    // Validator::validate is the cache lookup (and block_on).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let verifier = rt
        .block_on(Verifier::new(VerifierConfig {
            issuer: "https://auth.example.com/t/acme".into(),
            audience: "https://api.example.com".into(),
            jwks_uri: Some(serve_jwks(jwks)),
            ..VerifierConfig::default()
        }))
        .unwrap();
    rt.block_on(verifier.verify(&live_token)).unwrap();
    let mut group = c.benchmark_group("es256_remote");
    group.bench_function("connectauth_verify::Verifier::verify (warm cache)", |b| {
        b.iter(|| {
            rt.block_on(verifier.verify(black_box(&live_token)))
                .unwrap()
        })
    });
    group.finish();
    assert_eq!(verifier.keys().fetch_count(), 1);
}

criterion_group!(benches, bench);
criterion_main!(benches);
