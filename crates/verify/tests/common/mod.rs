//! Test fixtures: keys generated at test time with OpenSSL, tokens signed
//! with the `jsonwebtoken` crate (an independent JOSE implementation), so the
//! tests prove interoperability rather than round-tripping our own code.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod issuer;

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use connectauth_verify::{KeySet, ValidationConfig, Validator};
use jsonwebtoken::{Algorithm as JwtAlg, EncodingKey, Header};
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{json, Value};

pub const ISSUER: &str = "https://issuer.example.org/realms/demo";
pub const AUDIENCE: &str = "https://orders.example.net";
/// Fixed "current time" for tests.
pub const NOW: i64 = 1_700_000_000;

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW as u64)
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `token` with one bit of its signature flipped: the same header and
/// claims, a signature that no longer matches them.
pub fn with_flipped_signature_bit(token: &str) -> String {
    let (signing_input, signature) = token.rsplit_once('.').expect("a compact JWS");
    let mut signature = URL_SAFE_NO_PAD
        .decode(signature)
        .expect("base64url signature");
    signature[5] ^= 1;
    format!("{signing_input}.{}", b64(&signature))
}

/// A private key (for signing) with its public JWK.
pub struct TestKey {
    pub kid: &'static str,
    pub pkey: PKey<Private>,
    pub encoding: EncodingKey,
    /// Public JWK without `alg`.
    pub jwk: Value,
    /// SubjectPublicKeyInfo PEM of the public key.
    pub public_pem: Vec<u8>,
}

impl TestKey {
    /// The public JWK with extra members set.
    pub fn jwk_with(&self, extra: Value) -> Value {
        let mut jwk = self.jwk.clone();
        for (k, v) in extra.as_object().unwrap() {
            jwk[k] = v.clone();
        }
        jwk
    }
}

fn ec_key(kid: &'static str, nid: Nid, crv: &str, len: i32) -> TestKey {
    let group = EcGroup::from_curve_name(nid).unwrap();
    let ec = EcKey::generate(&group).unwrap();
    let mut ctx = BigNumContext::new().unwrap();
    let (mut x, mut y) = (
        openssl::bn::BigNum::new().unwrap(),
        openssl::bn::BigNum::new().unwrap(),
    );
    ec.public_key()
        .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
        .unwrap();
    let pkey = PKey::from_ec_key(ec).unwrap();
    let encoding = EncodingKey::from_ec_pem(&pkey.private_key_to_pem_pkcs8().unwrap()).unwrap();
    TestKey {
        kid,
        jwk: json!({"kty": "EC", "crv": crv, "kid": kid, "use": "sig",
            "x": b64(&x.to_vec_padded(len).unwrap()), "y": b64(&y.to_vec_padded(len).unwrap())}),
        public_pem: pkey.public_key_to_pem().unwrap(),
        encoding,
        pkey,
    }
}

pub fn new_ec_p256(kid: &'static str) -> TestKey {
    ec_key(kid, Nid::X9_62_PRIME256V1, "P-256", 32)
}

pub fn new_rsa(kid: &'static str) -> TestKey {
    let rsa = Rsa::generate(2048).unwrap();
    let jwk =
        json!({"kty": "RSA", "kid": kid, "n": b64(&rsa.n().to_vec()), "e": b64(&rsa.e().to_vec())});
    let encoding = EncodingKey::from_rsa_pem(&rsa.private_key_to_pem().unwrap()).unwrap();
    let pkey = PKey::from_rsa(rsa).unwrap();
    TestKey {
        kid,
        jwk,
        public_pem: pkey.public_key_to_pem().unwrap(),
        encoding,
        pkey,
    }
}

pub fn new_ed25519(kid: &'static str) -> TestKey {
    let pkey = PKey::generate_ed25519().unwrap();
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64(&pkey.raw_public_key().unwrap())});
    let encoding = EncodingKey::from_ed_pem(&pkey.private_key_to_pem_pkcs8().unwrap()).unwrap();
    TestKey {
        kid,
        jwk,
        public_pem: pkey.public_key_to_pem().unwrap(),
        encoding,
        pkey,
    }
}

/// Shared keys (RSA generation is the slow part, so do it once per binary).
pub fn ec() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| new_ec_p256("ec-1"))
}
pub fn ec384() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| ec_key("ec384-1", Nid::SECP384R1, "P-384", 48))
}
pub fn rsa() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| new_rsa("rsa-1"))
}
pub fn ed() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| new_ed25519("ed-1"))
}

/// A JWKS document of the given JWKs.
pub fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

/// The standard key set: ES256 (`ec-1`), RS256 (`rsa-1`, explicit alg),
/// EdDSA (`ed-1`), all `alg`s as an issuer would publish them.
pub fn standard_keyset() -> KeySet {
    let ks = KeySet::from_jwks_json(&jwks(&[
        ec().jwk_with(json!({"alg": "ES256"})),
        rsa().jwk_with(json!({"alg": "RS256"})),
        ed().jwk_with(json!({"alg": "EdDSA"})),
    ]))
    .unwrap();
    assert_eq!((ks.len(), ks.skipped_count()), (3, 0));
    ks
}

pub fn config() -> ValidationConfig {
    ValidationConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        ..ValidationConfig::default()
    }
}

pub fn validator() -> Validator {
    Validator::new(config()).unwrap()
}

/// RFC 9068 claims valid at [`NOW`].
pub fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-7", "client_id": "cli-1",
        "iat": NOW - 60, "nbf": NOW - 60, "exp": NOW + 300, "jti": "jti-1",
        "scope": "orders:read profile", "tenant": "t-99"
    })
}

/// A header as an RFC 9068 issuer would send it.
pub fn header(alg: JwtAlg, kid: &str) -> Header {
    let mut h = Header::new(alg);
    h.typ = Some("at+jwt".into());
    h.kid = Some(kid.into());
    h
}

pub fn sign(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap()
}

/// Signs with the key's natural algorithm and kid.
pub fn token(key: &TestKey, alg: JwtAlg, claims: &Value) -> String {
    sign(&header(alg, key.kid), claims, &key.encoding)
}

/// Builds a token from raw header/payload JSON and a raw signature.
pub fn raw_token(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes()),
        b64(signature)
    )
}

/// Signs arbitrary header JSON with an OpenSSL Ed25519 key (for headers that
/// `jsonwebtoken` cannot express, such as RFC 9864 `alg: Ed25519`).
pub fn sign_ed25519_raw(key: &TestKey, header: &Value, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let mut signer = openssl::sign::Signer::new_without_digest(&key.pkey).unwrap();
    let sig = signer.sign_oneshot_to_vec(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&sig))
}
