//! `/healthz` and `/readyz`.
use serde_json::Value;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app};

async fn health_and_readiness_answer(engine: Engine) {
    let app = spawn_app(engine).await;
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.headers()["cache-control"], "no-store");
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status().as_u16(), 200);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["status"], "ready");
}
both_engines!(health_and_readiness, health_and_readiness_answer);

#[tokio::test]
async fn readiness_is_503_when_the_database_is_gone_and_health_stays_200() {
    let app = spawn_app(Engine::Postgres).await;
    app.db.drop_database().await;
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.headers()["retry-after"], "5");
    assert_problem(ready, 503, "service-unavailable").await;
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status().as_u16(), 200);
}

#[tokio::test]
async fn readiness_is_503_when_the_pool_is_closed() {
    let app = spawn_app(Engine::Sqlite).await;
    app.database.pool.close().await;
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("sent");
    assert_problem(ready, 503, "service-unavailable").await;
}
