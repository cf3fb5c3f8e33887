//! The machine's ceiling for the token endpoints, measured beside them in the
//! same run by `scripts/bench-tokens` (engine `reference`).
//!
//! A minimal actix-web server with no storage, no middleware and no checks:
//! `POST /t/{tenant}/token` signs one ES256 access token per request with
//! josekit (the key is made at start), and `GET /t/{tenant}/jwks.json` and
//! `GET /t/{tenant}/.well-known/openid-configuration` answer fixed bytes.
//! ConnectAuth's own cost per request (client lookup and secret check,
//! tenant, scopes, request id, log line, metrics, security headers) is the
//! difference between the two.
//!
//! ```sh
//! cargo run --release -p auth-server --example reference_endpoints -- 127.0.0.1:9999
//! ```
use std::time::{Duration, SystemTime};

use actix_web::{web, App, HttpResponse, HttpServer};
use josekit::jws::{JwsHeader, ES256};
use josekit::jwt::{self, JwtPayload};

type Failure = Box<dyn std::error::Error + Send + Sync>;

struct Keys {
    signer: josekit::jws::alg::ecdsa::EcdsaJwsSigner,
    jwks: String,
    discovery: String,
}

fn token(keys: &Keys) -> Result<String, josekit::JoseError> {
    let now = SystemTime::now();
    let mut header = JwsHeader::new();
    header.set_token_type("at+jwt");
    header.set_key_id("reference");
    let mut payload = JwtPayload::new();
    payload.set_issuer("http://127.0.0.1/t/bench-tokens");
    payload.set_subject("reference-client");
    payload.set_audience(vec!["bench-api"]);
    payload.set_issued_at(&now);
    payload.set_expires_at(&(now + Duration::from_secs(3600)));
    payload.set_jwt_id(uuid::Uuid::new_v4().simple().to_string());
    payload.set_claim("client_id", Some("reference-client".into()))?;
    payload.set_claim("scope", Some("bench:read".into()))?;
    let access_token = jwt::encode_with_signer(&payload, &header, &keys.signer)?;
    Ok(serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "bench:read",
    })
    .to_string())
}

async fn issue(keys: web::Data<Keys>, _body: web::Bytes) -> HttpResponse {
    match token(&keys) {
        Ok(body) => HttpResponse::Ok()
            .content_type("application/json")
            .insert_header(("Cache-Control", "no-store"))
            .body(body),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn jwks(keys: web::Data<Keys>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(keys.jwks.clone())
}

async fn discovery(keys: web::Data<Keys>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(keys.discovery.clone())
}

fn keys() -> Result<Keys, Failure> {
    let pair = ES256.generate_key_pair()?;
    let signer = ES256.signer_from_der(pair.to_der_private_key())?;
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("reference");
    public.set_key_use("sig");
    public.set_algorithm("ES256");
    let jwks = serde_json::json!({ "keys": [public] }).to_string();
    let issuer = "http://127.0.0.1/t/bench-tokens";
    let discovery = serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "id_token_signing_alg_values_supported": ["ES256"],
    })
    .to_string();
    Ok(Keys {
        signer,
        jwks,
        discovery,
    })
}

#[actix_web::main]
async fn main() -> Result<(), Failure> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9999".to_owned());
    let keys = web::Data::new(keys()?);
    HttpServer::new(move || {
        App::new()
            .app_data(keys.clone())
            .route("/t/{tenant}/token", web::post().to(issue))
            .route("/t/{tenant}/jwks.json", web::get().to(jwks))
            .route(
                "/t/{tenant}/.well-known/openid-configuration",
                web::get().to(discovery),
            )
            .route("/readyz", web::get().to(HttpResponse::Ok))
    })
    .bind(addr)?
    .run()
    .await?;
    Ok(())
}
