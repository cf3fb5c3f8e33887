//! Prometheus metrics on their own listener (`PEOPLE_METRICS_ADDR`):
//! requests by route template and status and the database pool; nothing
//! of it on the public listener.
use service_kit::db::Engine;
use service_kit::testing::assert_metrics_served_apart;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn metrics_are_served_apart_and_count_requests() {
    let app = spawn_app_with(Engine::Sqlite, &[("PEOPLE_METRICS_ADDR", "127.0.0.1:0")]).await;
    let port = app.metrics_port.expect("a metrics port");
    app.me("alice").await;

    assert_metrics_served_apart(
        &format!("127.0.0.1:{port}"),
        &app.address,
        &[
            r#"http_requests_total{method="GET",route="/v1/me",status="200"}"#,
            r#"db_pool_connections{state="open"}"#,
        ],
    )
    .await;
}
