//! A relying party on another origin, as a startup's web app would be:
//! served at `http://localhost:PORT` while the auth server is at
//! `http://127.0.0.1:PORT` (another origin and another site), or the other
//! way round when the auth server must be `localhost` (passkeys). `/start`
//! sends the browser to the tenant's authorize endpoint with PKCE (S256),
//! `state` and `nonce`; `/callback` checks `state` and `iss`, exchanges the
//! code and shows the ID token's `sub`; `/logged-out` shows the `state` of
//! a logout. It also serves a tenant logo and a Stripe-shaped checkout page,
//! both on this other origin.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A 1×1 PNG.
pub const LOGO_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What the app got back from a finished login.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub sub: String,
    pub id_token: String,
    pub access_token: String,
}

struct Inner {
    /// state → (PKCE verifier, nonce).
    pending: HashMap<String, (String, String)>,
    signed_in: Vec<SignedIn>,
}

struct Shared {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    inner: Mutex<Inner>,
}

pub struct RelyingParty {
    /// `http://localhost:PORT`.
    pub origin: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl RelyingParty {
    pub fn redirect_uri(port: u16) -> String {
        Self::redirect_uri_on("localhost", port)
    }

    /// The redirect URI of an app served at `http://{host}:{port}`.
    pub fn redirect_uri_on(host: &str, port: u16) -> String {
        format!("http://{host}:{port}/callback")
    }

    pub fn post_logout_uri(port: u16) -> String {
        format!("http://localhost:{port}/logged-out")
    }

    /// On `port`, chosen first (`billing_service::free_port`): the app's
    /// redirect URI is registered before it runs. `issuer` is the tenant's
    /// issuer on the auth server.
    pub async fn start(port: u16, issuer: &str, client_id: &str) -> Self {
        Self::start_on("localhost", port, issuer, client_id).await
    }

    /// [`Self::start`] at `http://{host}:{port}` (`host` names a loopback
    /// address): `127.0.0.1` when the auth server itself is on `localhost`.
    pub async fn start_on(host: &str, port: u16, issuer: &str, client_id: &str) -> Self {
        let shared = Arc::new(Shared {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            redirect_uri: Self::redirect_uri_on(host, port),
            inner: Mutex::new(Inner {
                pending: HashMap::new(),
                signed_in: Vec::new(),
            }),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/start", web::get().to(start))
                .route("/callback", web::get().to(callback))
                .route("/logged-out", web::get().to(logged_out))
                .route("/logo.png", web::get().to(logo))
                .route("/c/pay/{session}", web::get().to(checkout_page))
                .route("/csp-probe", web::get().to(csp_probe))
        })
        .workers(1)
        .bind(("127.0.0.1", port))
        .expect("bind the relying party")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            origin: format!("http://{host}:{port}"),
            shared,
            handle,
        }
    }

    /// Where a user starts: `/start` (with extra authorize parameters).
    pub fn start_url(&self, extra: &str) -> String {
        format!("{}/start?{extra}", self.origin)
    }

    pub fn signed_in(&self) -> Vec<SignedIn> {
        self.shared
            .inner
            .lock()
            .map(|i| i.signed_in.clone())
            .unwrap_or_default()
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

fn random() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[derive(Deserialize)]
struct StartQuery {
    prompt: Option<String>,
    scope: Option<String>,
}

async fn start(rp: web::Data<Shared>, q: web::Query<StartQuery>) -> HttpResponse {
    let (state, nonce, verifier) = (random(), random(), random());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if let Ok(mut inner) = rp.inner.lock() {
        inner
            .pending
            .insert(state.clone(), (verifier, nonce.clone()));
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.client_id)
        .append_pair("redirect_uri", &rp.redirect_uri)
        .append_pair(
            "scope",
            q.scope.as_deref().unwrap_or("openid profile email"),
        )
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(prompt) = &q.prompt {
        query.append_pair("prompt", prompt);
    }
    HttpResponse::Found()
        .insert_header((
            "location",
            format!("{}/authorize?{}", rp.issuer, query.finish()),
        ))
        .finish()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
        ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn callback(rp: web::Data<Shared>, q: web::Query<CallbackQuery>) -> HttpResponse {
    match finish_login(&rp, &q).await {
        Ok(signed_in) => {
            let body = format!(
                "<p>sub: <span id=\"sub\">{}</span></p>",
                escape(&signed_in.sub)
            );
            if let Ok(mut inner) = rp.inner.lock() {
                inner.signed_in.push(signed_in);
            }
            page("Signed in to the app", &body)
        }
        Err(problem) => page(
            "The app could not sign you in",
            &format!("<p id=\"problem\">{}</p>", escape(&problem)),
        ),
    }
}

async fn finish_login(rp: &Shared, q: &CallbackQuery) -> Result<SignedIn, String> {
    if let Some(error) = &q.error {
        return Err(format!("error={error}"));
    }
    let state = q.state.as_deref().ok_or("no state")?;
    let (verifier, nonce) = rp
        .inner
        .lock()
        .map_err(|_| "lock")?
        .pending
        .remove(state)
        .ok_or("unknown state")?;
    if q.iss.as_deref() != Some(rp.issuer.as_str()) {
        return Err(format!("iss {:?} is not {}", q.iss, rp.issuer));
    }
    let code = q.code.as_deref().ok_or("no code")?;
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/token", rp.issuer))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", rp.redirect_uri.as_str()),
            ("client_id", rp.client_id.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let id_token = answer["id_token"]
        .as_str()
        .ok_or_else(|| format!("no id_token in {answer}"))?
        .to_owned();
    let access_token = answer["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let payload = id_token.split('.').nth(1).ok_or("not a JWT")?;
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    if claims["nonce"].as_str() != Some(nonce.as_str()) || claims["iss"] != rp.issuer.as_str() {
        return Err(format!("nonce or iss wrong in {claims}"));
    }
    Ok(SignedIn {
        sub: claims["sub"].as_str().unwrap_or_default().to_owned(),
        id_token,
        access_token,
    })
}

#[derive(Deserialize)]
struct StateQuery {
    state: Option<String>,
}

async fn logged_out(q: web::Query<StateQuery>) -> HttpResponse {
    page(
        "Logged out of the app",
        &format!(
            "<p>state: <span id=\"state\">{}</span></p>",
            escape(q.state.as_deref().unwrap_or_default())
        ),
    )
}

async fn logo() -> HttpResponse {
    HttpResponse::Ok().content_type("image/png").body(LOGO_PNG)
}

/// Stripe Checkout's page, as far as the browser is concerned.
async fn checkout_page(session: web::Path<String>) -> HttpResponse {
    page(
        "Stripe Checkout (test)",
        &format!("<p id=\"session\">{}</p>", escape(&session)),
    )
}

/// A page whose own CSP forbids its image: proves the CSP log sees violations.
async fn csp_probe() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", "img-src 'none'"))
        .body("<!doctype html><html><body><h1>probe</h1><img src=\"/logo.png\" alt=\"\"></body></html>")
}
