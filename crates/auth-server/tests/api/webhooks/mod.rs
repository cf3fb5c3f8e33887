//! Event webhooks on the real server (docs/webhooks.md): a tenant's
//! endpoint receives the events it subscribed to, signed with its secret;
//! failures are retried with backoff under a controllable clock, then given
//! up, and an endpoint failing for the whole retry period is disabled and
//! its owners told; the outbox survives a restart; endpoints inside the
//! server's network are refused; bad input changes nothing; two updates at
//! once both stay.
mod concurrent_updates;
mod delivery;
mod endpoint_refusals;
mod outbox;
mod security_events;

use auth_server::domain::tenant::Tenant;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

pub(super) const ALICE: &str = "alice@example.com";
pub(super) const OWNER: &str = "founder@acme.example";
/// Loopback receivers need private endpoints allowed.
pub(super) const PRIVATE: (&str, &str) = ("AUTH_WEBHOOK_ALLOW_PRIVATE", "true");

pub(super) fn base(tenant: &Tenant) -> String {
    format!("/manage/v1/tenants/{}/webhooks", tenant.id)
}

/// Adds an endpoint; its view and secret.
pub(super) async fn add(
    app: &TestApp,
    tenant: &Tenant,
    url: &str,
    events: &[&str],
) -> (Value, String) {
    let resp = app
        .admin(Method::POST, &base(tenant))
        .json(&json!({"url": url, "events": events, "description": "test receiver"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let body: Value = resp.json().await.expect("json");
    let secret = body["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (body, secret)
}

pub(super) async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.admin(method, path);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The delivery `id` of endpoint `webhook`, once `done` holds of it (within 10 s).
pub(super) async fn delivery_when(
    app: &TestApp,
    tenant: &Tenant,
    webhook: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let path = format!("{}/{webhook}/deliveries/{id}", base(tenant));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, delivery) = call(app, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{delivery}");
        if done(&delivery) || tokio::time::Instant::now() >= deadline {
            return delivery;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub(super) fn attempts(delivery: &Value) -> usize {
    delivery["attempt_log"].as_array().map_or(0, Vec::len)
}
