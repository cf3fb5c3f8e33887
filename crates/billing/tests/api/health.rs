//! The service on a loopback port against a fresh database: probes and baseline.
use billing::{Application, BillingConfig, MIGRATIONS};
use service_kit::both_engines;
use service_kit::config::Env;
use service_kit::db::{self, Engine};
use service_kit::testing::{self, TestDb};

async fn spawn(engine: Engine) -> (String, TestDb) {
    let test_db = TestDb::new(engine).await;
    let env = Env::from_pairs([
        ("BILLING_BIND", "127.0.0.1:0"),
        ("BILLING_DATABASE_URL", test_db.url.as_str()),
    ]);
    let config = BillingConfig::from_env(&env).expect("valid config");
    let database = db::connect(&config.database_url, config.pool)
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let app = Application::build_with_db(config, database).expect("build");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (address, test_db)
}

async fn probes_answer(engine: Engine) {
    let (address, _db) = spawn(engine).await;
    testing::assert_probes(&address, 200).await;
    testing::assert_baseline_404(&address).await;
}
both_engines!(health_and_readiness, probes_answer);

#[tokio::test]
async fn readiness_is_503_when_the_database_is_gone() {
    let (address, test_db) = spawn(Engine::Postgres).await;
    test_db.drop_database().await;
    testing::assert_probes(&address, 503).await;
}
