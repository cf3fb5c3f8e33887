//! A stateful, Stripe-shaped HTTP server for tests: `StripeFake::start()`
//! serves customers, products, prices, Checkout and portal sessions,
//! subscriptions and invoices on a loopback port, answers in Stripe's JSON
//! shapes (checked against async-stripe's types in `shapes`), honours
//! `Idempotency-Key`, records every request, and makes the events Stripe
//! would send, delivered signed on demand.
#![allow(dead_code)] // a toolbox: not every test uses every control

mod delivery;
mod form;
mod hold;
mod objects;
pub mod receiver;
mod shapes;
mod signing;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;

pub use hold::AnswerHold;
pub use objects::API_VERSION;
pub use signing::sign_payload;
pub use state::RecordedRequest;
use state::State;

/// The webhook secret `set_webhook_target` uses when none is chosen.
pub const WEBHOOK_SECRET: &str = "whsec_fake_0123456789abcdef";

/// A Stripe event as the fake made it.
#[derive(Debug, Clone)]
pub struct FakeEvent {
    pub id: String,
    /// `type`
    pub kind: String,
    /// The whole event object.
    pub json: Value,
}

impl FakeEvent {
    fn new(json: Value) -> Self {
        Self {
            id: json["id"].as_str().unwrap_or_default().to_owned(),
            kind: json["type"].as_str().unwrap_or_default().to_owned(),
            json,
        }
    }

    /// `data.object`
    pub fn object(&self) -> &Value {
        &self.json["data"]["object"]
    }

    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(&self.json).expect("serializable")
    }
}

/// What completing a Checkout session made.
#[derive(Debug, Clone)]
pub struct CompletedCheckout {
    pub subscription_id: String,
    pub invoice_id: String,
}

pub struct StripeFake {
    url: String,
    secret_key: String,
    state: Arc<Mutex<State>>,
    server: actix_web::dev::ServerHandle,
    http: reqwest::Client,
}

impl Drop for StripeFake {
    fn drop(&mut self) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let server = self.server.clone();
            runtime.spawn(async move { server.stop(false).await });
        }
    }
}

impl StripeFake {
    /// Starts a fake on `127.0.0.1:<free port>` with a fresh secret key.
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let secret_key = format!("sk_test_fake_{}", uuid::Uuid::new_v4().simple());
        let state = Arc::new(Mutex::new(State::new(secret_key.clone(), url.clone())));
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(handle))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            secret_key,
            state,
            server: handle,
            http: reqwest::Client::new(),
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:PORT` (the API is under `/v1`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The only key the fake accepts (`Authorization: Bearer …`).
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// `StripeSettings` pointing at this fake, with `WEBHOOK_SECRET`.
    pub fn settings(&self) -> billing::config::StripeSettings {
        billing::config::StripeSettings {
            secret_key: service_kit::secret::Secret::new(self.secret_key.clone()),
            api_base: Some(self.url.clone()),
            webhook_secrets: vec![service_kit::secret::Secret::new(WEBHOOK_SECRET)],
            webhook_tolerance_secs: 300,
            prices: billing::config::PriceIds::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every API request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// The API requests to `method path`.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path == path)
            .collect()
    }

    /// Every object of a kind (`customer`, `product`, `price`,
    /// `checkout.session`, `billing_portal.session`, `subscription`, `invoice`),
    /// oldest first.
    pub fn objects(&self, kind: &str) -> Vec<Value> {
        self.state().all(kind)
    }

    pub fn object(&self, kind: &str, id: &str) -> Option<Value> {
        self.state().find(kind, id).cloned()
    }

    /// Adds a recurring monthly price directly (as if made earlier, e.g. at
    /// an older amount); returns its id. The product is created if missing.
    pub fn seed_price(
        &self,
        product: &str,
        unit_amount: i64,
        currency: &str,
        lookup_key: Option<&str>,
    ) -> String {
        let mut state = self.state();
        if state.find("product", product).is_none() {
            state.insert(objects::product(product, product, &serde_json::json!({})));
        }
        let id = objects::new_id("price");
        state.insert(objects::price(
            &id,
            &objects::NewPrice {
                product,
                unit_amount,
                currency,
                interval: "month",
                interval_count: 1,
                lookup_key,
                nickname: None,
            },
        ));
        id
    }

    /// Adds a customer directly; returns its id.
    pub fn seed_customer(&self) -> String {
        let id = objects::new_id("cus");
        self.state().insert(objects::customer(
            &id,
            &serde_json::json!({"name": "Seeded"}),
        ));
        id
    }

    /// Opens a subscription-mode Checkout session directly; returns its id.
    pub fn seed_checkout_session(&self, customer: &str, price: &str) -> String {
        let form = serde_json::json!({
            "mode": "subscription", "customer": customer, "success_url": "https://app.test/ok",
            "line_items": [{"price": price, "quantity": "1"}]
        });
        let ((status, session), _) =
            self.state()
                .handle("POST", "/v1/checkout/sessions", None, &form);
        assert_eq!(status, 200, "{session}");
        session["id"].as_str().expect("id").to_owned()
    }

    /// Adds a product directly.
    pub fn seed_product(&self, id: &str, name: &str) {
        self.state()
            .insert(objects::product(id, name, &serde_json::json!({})));
    }

    /// Where `deliver` sends events, and the `whsec_…` it signs with.
    pub fn set_webhook_target(&self, url: &str, secret: &str) {
        self.state().webhook = Some((url.to_owned(), secret.to_owned()));
    }

    /// The customer pays: creates the subscription (active, the session's
    /// price, period now..now+30 d, `subscription_data[metadata]`), a paid
    /// invoice, and queues `checkout.session.completed`,
    /// `customer.subscription.created`, `invoice.paid`.
    pub fn complete_checkout(&self, session_id: &str) -> CompletedCheckout {
        let (subscription_id, invoice_id) = self
            .state()
            .complete_checkout(session_id)
            .expect("complete checkout");
        CompletedCheckout {
            subscription_id,
            invoice_id,
        }
    }

    /// A renewal payment fails now: an open invoice, the subscription
    /// `past_due`, events `invoice.payment_failed` and
    /// `customer.subscription.updated`. Returns the invoice id.
    pub fn payment_failed(&self, subscription_id: &str) -> String {
        self.state()
            .payment_failed(subscription_id)
            .expect("payment failed")
    }

    /// The next `renew` of this subscription fails.
    pub fn fail_next_payment(&self, subscription_id: &str) {
        self.state().fail_next_payment(subscription_id);
    }

    /// The next billing period: a paid invoice (`invoice.paid`,
    /// `customer.subscription.updated`), or a failure when flagged by
    /// `fail_next_payment`. Returns the invoice id.
    pub fn renew(&self, subscription_id: &str) -> String {
        self.state().renew(subscription_id).expect("renew")
    }

    /// The customer pays an open invoice: `invoice.paid`, and the
    /// subscription back to `active` (`customer.subscription.updated`).
    pub fn pay_invoice(&self, invoice_id: &str) {
        self.state().pay_invoice(invoice_id).expect("pay invoice");
    }

    /// Cancels now, as the Customer Portal would:
    /// `customer.subscription.deleted` with status `canceled`.
    pub fn cancel_subscription(&self, subscription_id: &str) {
        self.state()
            .cancel(subscription_id)
            .expect("no such subscription");
    }

    /// Renders the subscription as pre-2025-03-31 API versions did
    /// (`current_period_end` on the subscription, not the item).
    pub fn use_legacy_subscription_shape(&self, subscription_id: &str) {
        self.state()
            .legacy_shape(subscription_id)
            .expect("legacy shape");
    }

    /// Holds the answer to the next `method path` request (e.g. `GET
    /// /v1/subscriptions/sub_…`) until the test releases it.
    pub fn hold_next(&self, method: &str, path: &str) -> AnswerHold {
        let (held, hold) = hold::hold(method, path);
        self.state().held.push(held);
        hold
    }

    /// Events queued and not delivered yet, oldest first.
    pub fn pending_events(&self) -> Vec<FakeEvent> {
        self.state()
            .pending
            .iter()
            .cloned()
            .map(FakeEvent::new)
            .collect()
    }

    /// Removes and returns the queued events.
    pub fn take_pending_events(&self) -> Vec<FakeEvent> {
        self.state().pending.drain(..).map(FakeEvent::new).collect()
    }

    /// Every event made so far.
    pub fn events(&self) -> Vec<FakeEvent> {
        self.state()
            .events
            .iter()
            .cloned()
            .map(FakeEvent::new)
            .collect()
    }

    fn target(&self) -> (String, String) {
        self.state()
            .webhook
            .clone()
            .expect("set_webhook_target first")
    }

    /// POSTs one event to the webhook target, signed now with its secret.
    pub async fn deliver(&self, event: &FakeEvent) -> reqwest::Response {
        let (url, secret) = self.target();
        let payload = event.payload();
        let header = sign_payload(&payload, &secret, objects::now());
        self.post_webhook(&url, payload, &header).await
    }

    /// POSTs any bytes with any `Stripe-Signature` header (negative tests).
    pub async fn post_webhook(
        &self,
        url: &str,
        payload: Vec<u8>,
        signature: &str,
    ) -> reqwest::Response {
        self.http
            .post(url)
            .header("content-type", "application/json; charset=utf-8")
            .header("stripe-signature", signature)
            .body(payload)
            .send()
            .await
            .expect("webhook target answers")
    }

    /// Delivers the queued events in order (removing them); their statuses.
    pub async fn deliver_all(&self) -> Vec<(String, reqwest::StatusCode)> {
        let mut statuses = Vec::new();
        for event in self.take_pending_events() {
            let status = self.deliver(&event).await.status();
            statuses.push((event.kind.clone(), status));
        }
        statuses
    }
}

async fn handle(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<Mutex<State>>,
) -> HttpResponse {
    let path = request.path().to_owned();
    if !path.starts_with("/v1/") {
        return page(&path);
    }
    let method = request.method().as_str().to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    let form = if method == "POST" {
        form::parse(&body)
    } else {
        form::parse(request.query_string())
    };
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // The lock is released before a held answer waits.
    let (status, reply, replayed, held) = {
        let mut state = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let expected = format!("Bearer {}", state.secret_key);
        let ((status, reply), replayed) = if authorization == Some(expected.as_str()) {
            state.handle(&method, &path, key.as_deref(), &form)
        } else {
            let message = match authorization.and_then(|a| a.strip_prefix("Bearer ")) {
            Some(given) => format!("Invalid API Key provided: {}", mask(given)),
            None => "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').".to_owned(),
        };
            (
                (
                    401,
                    objects::error("invalid_request_error", None, &message, None),
                ),
                false,
            )
        };
        let held = state
            .held
            .iter()
            .position(|h| h.method == method && h.path == path)
            .map(|at| state.held.remove(at));
        state.record(RecordedRequest {
            method,
            path,
            idempotency_key: key.clone(),
            form,
            replayed,
            status,
        });
        (status, reply, replayed, held)
    };
    if let Some(held) = held {
        held.wait().await;
    }
    let mut response =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"));
    response.insert_header(("request-id", objects::new_id("req")));
    response.insert_header(("stripe-version", API_VERSION));
    if let Some(key) = key {
        response.insert_header(("idempotency-key", key));
        if replayed {
            response.insert_header(("idempotent-replayed", "true"));
        }
    }
    response
        .content_type("application/json")
        .body(reply.to_string())
}

/// `sk_test_****…1234`, as Stripe masks keys in its messages.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 12))
}

/// The pages the fake's URLs point at (Checkout, portal, hosted invoice).
fn page(path: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>Stripe fake</title><p>Stripe fake page {path}</p>"
        ))
}
