//! A stand-in for the billing service on a loopback port: it records every
//! request, keeps usage as a set of (tenant, UTC month, user) like billing
//! does, answers entitlements per tenant and the dashboard's owner routes
//! (subscription, invoices, account, plans, checkout, portal; shapes from
//! `crates/billing/src/http/`), can run "offline" (no Stripe: 409
//! `billing-not-configured`), and can fail (500) or go down.
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use auth_server::billing::Billing;
use auth_server::clock::SharedClock;
use auth_server::config::BillingSettings;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// Addresses at this domain pass the rule but billing refuses them.
pub const REFUSED_DOMAIN: &str = "@refused.example";

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
    /// Tenant id → entitlements answered instead of the default.
    entitlements: HashMap<String, Value>,
    /// No Stripe: checkout and portal answer 409 `billing-not-configured`.
    offline: bool,
    /// Tenant id → its Stripe subscription id (checkout then answers `changed`).
    subscriptions: HashMap<String, String>,
    /// Tenant id → who gets its quota and payment emails (`GET`/`PUT …/account`).
    owner_emails: HashMap<String, String>,
    /// Where Checkout and the Customer Portal live (Stripe's test hosts by default).
    checkout_base: Option<String>,
    portal_base: Option<String>,
}

/// The catalogue, as billing serves it.
pub fn plans_json(checkout_available: bool) -> Value {
    let plan = |id: &str, name: &str, price: Value, mau: Value, self_serve: bool| {
        json!({"id": id, "name": name, "price_cents": price, "currency": "eur", "mau_limit": mau,
               "features": ["hosted_login", "oidc"], "self_serve": self_serve,
               "stripe_product": null, "stripe_lookup_key": null})
    };
    json!({
        "plans": [
            plan("free", "Free", json!(0), json!(1000), false),
            plan("starter", "Starter", json!(900), json!(5000), true),
            plan("pro", "Pro", json!(2900), json!(20000), true),
            plan("enterprise", "Enterprise", Value::Null, Value::Null, false),
        ],
        "checkout_available": checkout_available,
    })
}

/// Entitlements of a tenant on `plan` with `used` of `limit`, as billing computes them.
pub fn entitlements_json(tenant: &str, plan: &str, used: u64, limit: u64) -> Value {
    let percent = used * 100 / limit;
    let (warning, suggested) = match percent {
        0..=79 => ("none", Value::Null),
        80..=99 => ("approaching", json!("starter")),
        100..=109 => ("reached", json!("starter")),
        _ => ("over_limit", json!("starter")),
    };
    json!({
        "tenant_id": tenant, "plan": plan, "plan_name": plan, "features": [], "status": "active",
        "source": "manual", "month": "2026-11", "mau_used": used, "mau_limit": limit,
        "hard_limit": limit * 11 / 10, "usage_percent": percent, "warning": warning,
        "signups_allowed": percent < 110, "suggested_plan": suggested, "grace_until": null,
        "current_period_end": null, "cancel_at_period_end": false
    })
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

    /// Checkout and the portal answer URLs on `origin` (a page a browser can
    /// open; the browser tests use it).
    #[allow(dead_code)]
    pub fn set_payment_origin(&self, origin: &str) {
        let mut inner = self.lock();
        inner.checkout_base = Some(origin.to_owned());
        inner.portal_base = Some(origin.to_owned());
    }

    /// From now on every request gets a 500 problem (or, `false`, is served again).
    pub fn fail(&self, failing: bool) {
        self.lock().failing = failing;
    }

    pub fn set_signups_allowed(&self, tenant_id: &str, allowed: bool) {
        self.lock().signups.insert(tenant_id.to_owned(), allowed);
    }

    /// What `GET …/entitlements` and `…/subscription` answer for the tenant.
    pub fn set_entitlements(&self, tenant_id: &str, entitlements: Value) {
        self.lock()
            .entitlements
            .insert(tenant_id.to_owned(), entitlements);
    }

    /// Offline billing (no Stripe key): checkout and portal are refused with 409.
    pub fn set_offline(&self, offline: bool) {
        self.lock().offline = offline;
    }

    /// The tenant has a live Stripe subscription: checkout changes it at once.
    pub fn set_subscribed(&self, tenant_id: &str) {
        self.lock()
            .subscriptions
            .insert(tenant_id.to_owned(), format!("sub_{tenant_id}"));
    }

    /// Who gets the tenant's billing emails, as `GET …/account` answers.
    pub fn set_owner_email(&self, tenant_id: &str, email: &str) {
        self.lock()
            .owner_emails
            .insert(tenant_id.to_owned(), email.to_owned());
    }

    /// The address stored for the tenant.
    pub fn owner_email(&self, tenant_id: &str) -> Option<String> {
        self.lock().owner_emails.get(tenant_id).cloned()
    }

    /// Every `PUT …/account`, refused ones included, in order.
    pub fn account_puts(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "PUT" && r.path.ends_with("/account"))
            .collect()
    }

    /// Requests other than usage reports and entitlements: the dashboard's.
    pub fn owner_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path != "/v1/usage" && !r.path.ends_with("/entitlements"))
            .collect()
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
            HttpResponse::Ok().json(entitlements_of(&inner, tenant))
        }
        ("GET", ["v1", "tenants", tenant, "subscription"]) => {
            let entitlements = entitlements_of(&inner, tenant);
            HttpResponse::Ok().json(json!({
                "subscribed_plan": entitlements["plan"].clone(),
                "entitlements": entitlements,
                "stripe_subscription_id": inner.subscriptions.get(*tenant),
                "checkout_available": !inner.offline,
            }))
        }
        ("GET", ["v1", "tenants", tenant, "invoices"]) => HttpResponse::Ok().json(json!({
            "invoices": [{
                "id": format!("in_{tenant}"), "subscription_id": null, "number": "CA-0001",
                "status": "paid", "amount_due": 900, "amount_paid": 900, "currency": "eur",
                "hosted_invoice_url": "https://invoice.stripe.test/i/in_1", "created": 1_793_491_200
            }]
        })),
        ("GET", ["v1", "tenants", tenant, "account"]) => HttpResponse::Ok().json(json!({
            "tenant_id": tenant, "owner_email": inner.owner_emails.get(*tenant),
        })),
        ("PUT", ["v1", "tenants", tenant, "account"]) => {
            // Billing trims and checks the address by the workspace's one
            // rule; a billing of another version may refuse more, which
            // `REFUSED_DOMAIN` stands for.
            let email = body["owner_email"].as_str().map(str::trim);
            let valid =
                |e: &str| service_kit::mail::check_email(e).is_ok() && !e.ends_with(REFUSED_DOMAIN);
            match email {
                Some(e) if !valid(e) => HttpResponse::UnprocessableEntity()
                    .content_type("application/problem+json")
                    .json(json!({"type": "urn:connectauth:problem:invalid-input",
                                 "code": "invalid-input", "status": 422,
                                 "title": "Invalid input",
                                 "detail": "owner_email is not an email address"})),
                Some(e) => {
                    let e = e.to_owned();
                    inner.owner_emails.insert((*tenant).to_owned(), e.clone());
                    HttpResponse::Ok().json(json!({"tenant_id": tenant, "owner_email": e}))
                }
                None => {
                    inner.owner_emails.remove(*tenant);
                    HttpResponse::Ok().json(json!({"tenant_id": tenant, "owner_email": null}))
                }
            }
        }
        ("GET", ["v1", "plans"]) => HttpResponse::Ok().json(plans_json(!inner.offline)),
        ("POST", ["v1", "tenants", _, "checkout" | "portal"]) if inner.offline => {
            HttpResponse::Conflict()
                .content_type("application/problem+json")
                .json(
                    json!({"type": "urn:connectauth:problem:billing-not-configured",
                             "code": "billing-not-configured", "status": 409,
                             "title": "Billing is not configured"}),
                )
        }
        ("POST", ["v1", "tenants", tenant, "checkout"]) => {
            let plan = body["plan"].as_str().unwrap_or_default().to_owned();
            if plan != "starter" && plan != "pro" {
                return HttpResponse::UnprocessableEntity()
                    .content_type("application/problem+json")
                    .json(json!({"code": "plan-not-purchasable", "status": 422}));
            }
            if inner.subscriptions.contains_key(*tenant) {
                HttpResponse::Ok()
                    .json(json!({"outcome": "changed", "plan": plan, "status": "active"}))
            } else {
                HttpResponse::Created().json(json!({
                    "outcome": "checkout", "session_id": "cs_test_1",
                    "url": format!("{}/c/pay/cs_test_1?plan={plan}",
                        inner.checkout_base.as_deref().unwrap_or("https://checkout.stripe.test")),
                }))
            }
        }
        ("POST", ["v1", "tenants", _, "portal"]) => HttpResponse::Created()
            .json(json!({"url": format!("{}/p/session/bps_1",
                inner.portal_base.as_deref().unwrap_or("https://billing.stripe.test"))})),
        _ => HttpResponse::NotFound()
            .content_type("application/problem+json")
            .json(json!({"code": "not-found", "status": 404})),
    }
}

/// The tenant's entitlements: as set, or Free with 12 users (over the hard
/// limit when signups were closed).
fn entitlements_of(inner: &Inner, tenant: &str) -> Value {
    if let Some(e) = inner.entitlements.get(tenant) {
        return e.clone();
    }
    let allowed = inner.signups.get(tenant).copied().unwrap_or(true);
    entitlements_json(tenant, "free", if allowed { 12 } else { 1101 }, 1000)
}

/// The billing side of another auth server instance on `app`'s database
/// (same master keys), calling `billing_url`, on `clock`.
pub fn billing_for(app: &TestApp, billing_url: &str, clock: SharedClock) -> Billing {
    let keys = Arc::new(app.key_service(clock.clone()));
    let settings = BillingSettings {
        url: Some(url::Url::parse(billing_url).expect("billing url")),
        report_interval: Duration::from_secs(3600),
        entitlements_ttl: Duration::from_secs(60),
        payment_origins: vec![],
    };
    let public_url = url::Url::parse(&app.address).expect("address");
    Billing::new(&settings, &app.database, keys, clock, &public_url).expect("billing")
}
