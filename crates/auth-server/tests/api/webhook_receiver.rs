//! A tenant's webhook receiver for the tests: an HTTP server on loopback
//! that records every request (headers and raw body) and answers the
//! status it is told to.
use std::sync::{Arc, Mutex, PoisonError};

use crate::fake_server;
use actix_web::{web, HttpRequest, HttpResponse};
use connectauth_verify::webhook::{verify, Tolerance, SIGNATURE_HEADER};
use serde_json::Value;

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub signature: String,
    pub event_id: String,
    pub event_type: String,
    pub delivery_id: String,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Whether the signature holds for `secret` at `now`.
    pub fn signed_by(&self, secret: &str, now: i64) -> bool {
        verify(
            secret,
            &self.signature,
            &self.body,
            now,
            Tolerance::default(),
        )
        .is_ok()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// The status answered (200 by default); 3xx answers carry a Location.
    status: u16,
}

pub struct Receiver {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            status: 200,
            ..Inner::default()
        }));
        let port = fake_server::serve(inner.clone(), 1, answer);
        Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            inner,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn answer(&self, status: u16) {
        self.lock().status = status;
    }

    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// Waits up to 10 s for `n` requests in all; what was received.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        fake_server::wait_for(n, || self.received()).await
    }
}

async fn answer(
    req: HttpRequest,
    body: web::Bytes,
    inner: web::Data<Arc<Mutex<Inner>>>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
    inner.received.push(Received {
        path: req.path().to_owned(),
        signature: header(SIGNATURE_HEADER),
        event_id: header("ConnectAuth-Event-Id"),
        event_type: header("ConnectAuth-Event-Type"),
        delivery_id: header("ConnectAuth-Delivery-Id"),
        body: body.to_vec(),
    });
    let status = actix_web::http::StatusCode::from_u16(inner.status)
        .unwrap_or(actix_web::http::StatusCode::OK);
    let mut resp = HttpResponse::build(status);
    if status.is_redirection() {
        resp.insert_header(("Location", "/redirected"));
    }
    resp.finish()
}
