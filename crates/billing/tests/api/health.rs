//! The service on a loopback port against a fresh database: probes and baseline.
use service_kit::both_engines;
use service_kit::db::Engine;
use service_kit::testing;

use crate::helpers::spawn_billing;

async fn probes_answer(engine: Engine) {
    let app = spawn_billing(engine).await;
    testing::assert_probes(&app.address, 200).await;
    testing::assert_baseline_404(&app.address).await;
}
both_engines!(health_and_readiness, probes_answer);

#[tokio::test]
async fn readiness_is_503_when_the_database_is_gone() {
    let app = spawn_billing(Engine::Postgres).await;
    app.db.drop_database().await;
    testing::assert_probes(&app.address, 503).await;
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = spawn_billing(Engine::Sqlite).await;
    let at = &app.address;
    testing::assert_method_not_allowed(at, "TRACE", "/v1/plans", &["GET"]).await;
    testing::assert_method_not_allowed(at, "GET", "/webhooks/stripe", &["POST"]).await;
    let account = "/v1/tenants/00000000-0000-0000-0000-000000000000/account";
    testing::assert_method_not_allowed(at, "DELETE", account, &["GET", "PUT"]).await;
}
