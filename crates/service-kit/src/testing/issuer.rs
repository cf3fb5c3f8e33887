//! A stand-in issuer for services that check ConnectAuth tokens: it serves
//! `/t/{slug}/.well-known/openid-configuration` and `/t/{slug}/jwks.json`
//! like the auth server, with keys made by OpenSSL, and tokens are signed
//! with another JOSE library (jsonwebtoken), so a service's token checking
//! never vouches for itself.
use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use serde_json::{json, Map, Value};

/// An ES256 key pair: its public JWK and a signing key.
pub struct TestKey {
    pub kid: &'static str,
    pub jwk: Value,
    pub encoding: EncodingKey,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TestKey {
    pub fn generate(kid: &'static str) -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
        let ec = EcKey::generate(&group).expect("key");
        let (mut x, mut y) = (BigNum::new().expect("bn"), BigNum::new().expect("bn"));
        let mut ctx = BigNumContext::new().expect("ctx");
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
            .expect("coordinates");
        let pkey = PKey::from_ec_key(ec).expect("pkey");
        let pem = pkey.private_key_to_pem_pkcs8().expect("pem");
        Self {
            kid,
            jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
                        "x": b64(&x.to_vec_padded(32).expect("x")),
                        "y": b64(&y.to_vec_padded(32).expect("y"))}),
            encoding: EncodingKey::from_ec_pem(&pem).expect("encoding key"),
        }
    }

    /// Signs `claims` as an RFC 9068 access token.
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        self.sign_typed(claims, "at+jwt")
    }

    /// Signs `claims` with `typ` (`JWT` for an OpenID Connect ID token).
    pub fn sign_typed(&self, claims: &Map<String, Value>, typ: &str) -> String {
        self.sign_with_typ(claims, Some(typ))
    }

    /// Signs `claims` with `typ`, or with no `typ` header at all (as some
    /// providers' ID tokens come).
    pub fn sign_with_typ(&self, claims: &Map<String, Value>, typ: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = typ.map(str::to_owned);
        header.kid = Some(self.kid.into());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

/// Starts the issuer on a loopback port, publishing each tenant's key at
/// `/t/{slug}`; returns its base URL.
pub fn start_issuer(tenants: &[(&'static str, &'static TestKey)]) -> String {
    let keys: Arc<HashMap<&'static str, Value>> = Arc::new(
        tenants
            .iter()
            .map(|(slug, key)| (*slug, key.jwk.clone()))
            .collect(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind issuer");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let origin = base.clone();
    let server = HttpServer::new(move || {
        let origin = origin.clone();
        let keys = keys.clone();
        App::new()
            .route(
                "/t/{slug}/.well-known/openid-configuration",
                web::get().to(move |slug: web::Path<String>| {
                    let issuer = format!("{origin}/t/{slug}");
                    async move {
                        HttpResponse::Ok().json(
                            json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks.json")}),
                        )
                    }
                }),
            )
            .route(
                "/t/{slug}/jwks.json",
                web::get().to(move |slug: web::Path<String>| {
                    let key = keys.get(slug.as_str()).cloned();
                    async move {
                        match key {
                            Some(jwk) => HttpResponse::Ok().json(json!({ "keys": [jwk] })),
                            None => HttpResponse::NotFound().finish(),
                        }
                    }
                }),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    base
}
