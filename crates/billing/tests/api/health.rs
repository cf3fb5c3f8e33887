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
