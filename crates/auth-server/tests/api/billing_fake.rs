//! A stand-in for the billing service on a loopback port: it records every
//! request, keeps usage as a set of (tenant, UTC month, user) like billing
//! does, answers entitlements per tenant, and can fail (500) or go down.
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use auth_server::billing::Billing;
use auth_server::clock::SharedClock;
use auth_server::config::BillingSettings;
use auth_server::keys::keyring::{KeyService, RotationPolicy};
use auth_server::keys::sealed::MasterKeys;
use auth_server::store::signing_keys::SigningKeyStore;
use serde_json::{json, Value};
use service_kit::secret::Secret;

use crate::helpers::TestApp;

/// One request as billing saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The bearer token, without `Bearer `.
    pub bearer: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    failing: bool,
    requests: Vec<Recorded>,
    /// Tenant id → `signups_allowed`.
    signups: HashMap<String, bool>,
    /// (tenant, `YYYY-MM`, user).
    usage: BTreeSet<(String, String, String)>,
}

pub struct FakeBilling {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    handle: ServerHandle,
}

impl FakeBilling {
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = web::Data::new(inner.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url, inner, handle }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// From now on every request gets a 500 problem (or, `false`, is served again).
    pub fn fail(&self, failing: bool) {
        self.lock().failing = failing;
    }

    pub fn set_signups_allowed(&self, tenant_id: &str, allowed: bool) {
        self.lock().signups.insert(tenant_id.to_owned(), allowed);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Bodies of every `POST /v1/usage`, failed ones included, in order.
    pub fn usage_posts(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/v1/usage")
            .map(|r| r.body)
            .collect()
    }

    /// What billing stored: (tenant, month, user).
    pub fn stored(&self) -> BTreeSet<(String, String, String)> {
        self.lock().usage.clone()
    }

    /// Stops listening: connections are refused from now on.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
        // The listener closes as the server task ends.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn answer(
    req: HttpRequest,
    body: web::Bytes,
    inner: web::Data<Arc<Mutex<Inner>>>,
) -> HttpResponse {
    let mut inner = inner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    inner.requests.push(Recorded {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        bearer: req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned),
        body: body.clone(),
    });
    if inner.failing {
        return HttpResponse::InternalServerError()
            .content_type("application/problem+json")
            .json(
                json!({"type": "urn:connectauth:problem:internal", "code": "internal",
                         "status": 500, "title": "Internal error"}),
            );
    }
    let path: Vec<&str> = req.path().trim_matches('/').split('/').collect();
    match (req.method().as_str(), path.as_slice()) {
        ("POST", ["v1", "usage"]) => {
            let events = body["events"].as_array().cloned().unwrap_or_default();
            let mut recorded = 0;
            for e in &events {
                let month =
                    time::OffsetDateTime::from_unix_timestamp(e["at"].as_i64().unwrap_or(0))
                        .map(|t| format!("{}-{:02}", t.year(), u8::from(t.month())))
                        .unwrap_or_default();
                let key = (
                    e["tenant_id"].as_str().unwrap_or_default().to_owned(),
                    month,
                    e["user_id"].as_str().unwrap_or_default().to_owned(),
                );
                if inner.usage.insert(key) {
                    recorded += 1;
                }
            }
            HttpResponse::Ok().json(json!({"received": events.len(), "recorded": recorded}))
        }
        ("GET", ["v1", "tenants", tenant, "entitlements"]) => {
            let allowed = inner.signups.get(*tenant).copied().unwrap_or(true);
            HttpResponse::Ok().json(json!({
                "tenant_id": tenant, "plan": "free", "status": "active", "month": "2026-11",
                "mau_used": if allowed { 12 } else { 1101 }, "mau_limit": 1000, "hard_limit": 1100,
                "usage_percent": if allowed { 1 } else { 110 },
                "warning": if allowed { "none" } else { "over_limit" },
                "signups_allowed": allowed, "suggested_plan": if allowed { Value::Null } else { json!("starter") },
                "grace_until": null
            }))
        }
        _ => HttpResponse::NotFound()
            .content_type("application/problem+json")
            .json(json!({"code": "not-found", "status": 404})),
    }
}

/// The billing side of another auth server instance on `app`'s database
/// (same master keys), calling `billing_url`, on `clock`.
pub fn billing_for(app: &TestApp, billing_url: &str, clock: SharedClock) -> Billing {
    let ring: Vec<(String, Secret)> = app
        .master_keys
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(id, secret)| (id.to_owned(), Secret::new(secret)))
        .collect();
    let master = Arc::new(MasterKeys::new(&ring).expect("master keys"));
    let keys = Arc::new(
        KeyService::new(
            SigningKeyStore::new(app.database.pool.clone()),
            master,
            clock.clone(),
            RotationPolicy::default(),
        )
        .expect("key service"),
    );
    let settings = BillingSettings {
        url: Some(url::Url::parse(billing_url).expect("billing url")),
        report_interval: Duration::from_secs(3600),
        entitlements_ttl: Duration::from_secs(60),
    };
    let public_url = url::Url::parse(&app.address).expect("address");
    Billing::new(&settings, &app.database, keys, clock, &public_url).expect("billing")
}
