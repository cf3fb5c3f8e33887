//! The real billing service for the auth server's tests, trusting the
//! `platform` tenant of an auth server whose address is chosen first. Shared
//! by `tests/api` and `tests/browser.rs` (`#[path]`-included by both).
use std::sync::Arc;

use service_kit::config::Env;
use service_kit::db::{self, Engine};
use service_kit::testing::TestDb;

/// A loopback port nothing listens on, for an auth server whose issuer URL
/// must be known before it starts.
pub use service_kit::testing::free_port;

/// Billing, trusting the platform tenant of the auth server at `auth_url`:
/// its URL, the service itself, and what must live as long as it runs.
pub async fn spawn_billing(
    engine: Engine,
    auth_url: &str,
) -> (
    String,
    Arc<billing::service::Billing>,
    TestDb,
    tempfile::TempDir,
) {
    let db = TestDb::new(engine).await;
    let mail = tempfile::tempdir().expect("mail dir");
    let issuer = format!("{auth_url}/t/platform");
    let mail_dir = mail.path().display().to_string();
    let env = Env::from_pairs([
        ("BILLING_BIND", "127.0.0.1:0"),
        ("BILLING_DATABASE_URL", db.url.as_str()),
        ("BILLING_ISSUER", issuer.as_str()),
        ("BILLING_MAIL_DIR", mail_dir.as_str()),
    ]);
    let config = billing::BillingConfig::from_env(&env).expect("billing config");
    let database = db::connect(&config.database_url, config.pool)
        .await
        .expect("connect");
    db::migrate(&database, &billing::MIGRATIONS)
        .await
        .expect("migrate");
    let app = billing::Application::build_with_db(config, database).expect("billing");
    let url = format!("http://127.0.0.1:{}", app.running().port());
    let service = app.billing();
    tokio::spawn(app.run_until_stopped());
    (url, service, db, mail)
}
