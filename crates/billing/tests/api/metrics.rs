//! Prometheus metrics on their own listener (`BILLING_METRICS_ADDR`):
//! requests by route template and status, usage events received and
//! recorded, Stripe deliveries by outcome, the pool and the mail queue;
//! nothing of it on the public listener.
use serde_json::json;
use service_kit::db::Engine;
use service_kit::testing::assert_metrics_served_apart;

use crate::helpers::{spawn_with, users, Options, TENANT_A};

#[tokio::test]
async fn metrics_are_served_apart_and_count_reports_and_deliveries() {
    let app = spawn_with(
        Engine::Sqlite,
        Options {
            stripe: true,
            metrics: true,
            ..Options::default()
        },
    )
    .await;
    let port = app.metrics_port.expect("a metrics port");
    let now = app.now();
    let receipt = app.report(TENANT_A, &users("m", 3), now).await;
    assert_eq!(receipt.status(), 200);
    // A delivery without Stripe's signature is refused and counted.
    let refused = app
        .client
        .post(format!("{}/webhooks/stripe", app.address))
        .json(&json!({"id": "evt_forged", "type": "invoice.paid"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 400);

    assert_metrics_served_apart(
        &format!("127.0.0.1:{port}"),
        &app.address,
        &[
            r#"http_requests_total{method="POST",route="/v1/usage",status="200"}"#,
            r#"connectauth_billing_usage_events_total{outcome="received"}"#,
            r#"connectauth_billing_usage_events_total{outcome="recorded"}"#,
            r#"connectauth_billing_webhooks_total{outcome="bad_signature"}"#,
            r#"db_pool_connections{state="open"}"#,
            "mail_queue_depth",
        ],
    )
    .await;
}
