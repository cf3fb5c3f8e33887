//! `connectauth tenant …webhook…` against real databases: an endpoint is
//! added (its secret printed once) and listed, disabled, enabled, tested,
//! its deliveries listed and one redelivered, its secret rotated, then
//! removed, every change audited as the operator's; bad URLs and unknown
//! events are refused with nothing made, and another tenant's endpoint is
//! not found.
mod common;

use std::path::Path;
use std::process::Output;

use auth_server::store::audit::AuditStore;
use auth_server::store::tenants::TenantStore;
use common::{run, stderr, stdout, MASTER_KEYS};
use service_kit::both_engines;
use service_kit::db::{self, Engine, PoolSettings};
use service_kit::testing::TestDb;

const URL: &str = "https://hooks.acme.example/in";

/// `connectauth tenant args…` on `url`'s database.
fn tenant(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut all = vec!["tenant"];
    all.extend_from_slice(args);
    run(
        dir,
        &all,
        &[
            ("AUTH_DATABASE_URL", url),
            ("AUTH_MASTER_KEYS", MASTER_KEYS),
        ],
    )
}

/// A migrated database with tenants `acme` and `other`.
async fn setup(engine: Engine) -> (TestDb, tempfile::TempDir) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    assert!(run(dir.path(), &["migrate", "auth"], &env).status.success());
    for slug in ["acme", "other"] {
        assert!(tenant(dir.path(), &db.url, &["create", slug])
            .status
            .success());
    }
    (db, dir)
}

/// The word of `out` after `marker`.
fn after(out: &str, marker: &str) -> String {
    let rest = &out[out
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {out}"))
        + marker.len()..];
    rest.split([' ', ':', '\n'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn refused(o: &Output, message: &str) {
    assert!(!o.status.success(), "{}", stdout(o));
    assert!(stderr(o).contains(message), "{}", stderr(o));
}

async fn webhook_lifecycle(engine: Engine) {
    let (db, dir) = setup(engine).await;
    let cli = |args: &[&str]| tenant(dir.path(), &db.url, args);

    let added = cli(&[
        "add-webhook",
        "acme",
        "--url",
        URL,
        "--event",
        "user.created",
        "--event",
        "login.failed",
        "--description",
        "ops",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let id = after(&stdout(&added), "added webhook endpoint ");
    let first_secret = after(&stdout(&added), "signing_secret: ");
    assert!(
        id.starts_with("whk_") && first_secret.starts_with("whsec_"),
        "{}",
        stdout(&added)
    );
    assert!(
        stderr(&added).contains("shown only this once"),
        "{}",
        stderr(&added)
    );

    let listed = stdout(&cli(&["webhooks", "acme"]));
    assert!(listed.contains(&id) && listed.contains(URL), "{listed}");
    assert!(
        listed.contains("user.created,login.failed") && listed.contains("enabled"),
        "{listed}"
    );
    assert!(
        !listed.contains("whsec_"),
        "the secret is never listed: {listed}"
    );
    assert!(!stdout(&cli(&["webhooks", "other"])).contains(&id));

    // Another tenant's endpoint is not found, whatever the command.
    for command in [
        "enable-webhook",
        "disable-webhook",
        "remove-webhook",
        "rotate-webhook-secret",
        "test-webhook",
        "webhook-deliveries",
    ] {
        refused(&cli(&[command, "other", &id]), "no such webhook endpoint");
    }

    let disabled = cli(&["disable-webhook", "acme", &id]);
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    let listed = stdout(&cli(&["webhooks", "acme"]));
    assert!(listed.contains("disabled by the operator"), "{listed}");
    let enabled = cli(&["enable-webhook", "acme", &id]);
    assert!(enabled.status.success(), "{}", stderr(&enabled));
    let listed = stdout(&cli(&["webhooks", "acme"]));
    assert!(
        listed.contains("enabled") && !listed.contains("disabled by"),
        "{listed}"
    );

    let rotated = cli(&["rotate-webhook-secret", "acme", &id]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let secret = after(&stdout(&rotated), "signing_secret: ");
    assert!(
        secret.starts_with("whsec_") && secret != first_secret,
        "{}",
        stdout(&rotated)
    );
    assert!(stdout(&rotated).contains("previous secret keeps signing"));

    let tested = cli(&["test-webhook", "acme", &id]);
    assert!(tested.status.success(), "{}", stderr(&tested));
    let delivery = after(&stdout(&tested), &format!("delivery to {id}: "));
    assert_eq!(delivery.len(), 36, "a delivery id: {}", stdout(&tested));
    let log = stdout(&cli(&["webhook-deliveries", "acme", &id, "--limit", "5"]));
    assert!(
        log.contains(&delivery) && log.contains("webhook.test"),
        "{log}"
    );
    assert!(
        log.contains("pending"),
        "the CLI sends nothing itself: {log}"
    );

    refused(
        &cli(&["redeliver-webhook", "other", &id, &delivery]),
        "no such webhook",
    );
    refused(
        &cli(&["redeliver-webhook", "acme", &id, "nope"]),
        "no such webhook delivery",
    );
    let again = cli(&["redeliver-webhook", "acme", &id, &delivery]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains(&delivery), "{}", stdout(&again));

    let removed = cli(&["remove-webhook", "acme", &id]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(!stdout(&cli(&["webhooks", "acme"])).contains(&id));
    refused(
        &cli(&["remove-webhook", "acme", &id]),
        "no such webhook endpoint",
    );

    let database = db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect");
    let acme = TenantStore::new(database.pool.clone())
        .get_by_slug("acme")
        .await
        .expect("acme");
    let audited = AuditStore::new(database.pool.clone())
        .recent(acme.id, 20)
        .await
        .expect("audit");
    for outcome in [
        "created",
        "updated",
        "secret_rotated",
        "redelivered",
        "deleted",
    ] {
        assert!(
            audited.iter().any(|e| e.kind == "webhook"
                && e.outcome == outcome
                && e.detail.contains("by the operator")),
            "{outcome}: {audited:?}"
        );
    }
}

async fn webhook_refusals(engine: Engine) {
    let (db, dir) = setup(engine).await;
    let cli = |args: &[&str]| tenant(dir.path(), &db.url, args);
    let add =
        |url: &str, event: &str| cli(&["add-webhook", "acme", "--url", url, "--event", event]);

    refused(
        &add("http://hooks.acme.example/in", "user.created"),
        "plain http is refused",
    );
    refused(
        &add("https://127.0.0.1/in", "user.created"),
        "127.0.0.1 is an address",
    );
    let unknown = add(URL, "user.nope");
    refused(&unknown, "unknown event type `user.nope`");
    assert!(
        stderr(&unknown).contains("login.failed"),
        "the types are named: {}",
        stderr(&unknown)
    );
    refused(&cli(&["add-webhook", "acme", "--url", URL]), "--event");
    refused(
        &cli(&["webhooks", "nope"]),
        "no tenant with id or slug `nope`",
    );

    let listed = stdout(&cli(&["webhooks", "acme"]));
    assert!(!listed.contains("whk_"), "nothing was made: {listed}");
}

both_engines!(webhooks_from_the_cli, webhook_lifecycle);
both_engines!(webhook_refusals_from_the_cli, webhook_refusals);
