//! `connectauth tenant blocks|unblock` against real databases: the blocks in
//! force are listed with their ids, one is lifted (and the lift audited), a
//! block of another tenant or an unknown id is refused.
mod common;

use auth_server::store::audit::AuditStore;
use auth_server::store::blocks::{BlockStore, NewBlock};
use auth_server::store::tenants::TenantStore;
use common::{run, stderr, stdout, MASTER_KEYS};
use service_kit::both_engines;
use service_kit::db::{self, Engine, PoolSettings};
use service_kit::testing::TestDb;

async fn blocks_lifecycle(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let tenant = |args: &[&str]| {
        let mut all = vec!["tenant"];
        all.extend_from_slice(args);
        run(dir.path(), &all, &env)
    };
    assert!(run(dir.path(), &["migrate", "auth"], &env).status.success());
    assert!(tenant(&["create", "acme"]).status.success());
    assert!(tenant(&["create", "other"]).status.success());
    let database = db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect");
    let tenants = TenantStore::new(database.pool.clone());
    let acme = tenants.get_by_slug("acme").await.expect("acme");
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs(),
    )
    .expect("i64");
    let store = BlockStore::new(database.pool.clone());
    let block = |network: &'static str, expires_at: i64| NewBlock {
        tenant_id: Some(acme.id),
        network,
        reason: "password_spray: 203.0.113.7/32",
        created_by: "sentinel",
        created_at: now,
        expires_at,
    };
    let id = store
        .insert(&block("203.0.113.7/32", now + 3600))
        .await
        .expect("block");
    store
        .insert(&block("198.51.100.9/32", now - 1))
        .await
        .expect("expired block");

    let listed = tenant(&["blocks", "acme"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let out = stdout(&listed);
    assert!(out.contains(&id) && out.contains("203.0.113.7/32"), "{out}");
    assert!(out.contains("password_spray"), "{out}");
    assert!(
        !out.contains("198.51.100.9"),
        "expired blocks are not listed: {out}"
    );
    assert!(!stdout(&tenant(&["blocks", "other"])).contains("203.0.113.7"));

    let elsewhere = tenant(&["unblock", "other", &id]);
    assert!(!elsewhere.status.success());
    assert!(
        stderr(&elsewhere).contains("no such block"),
        "{}",
        stderr(&elsewhere)
    );
    let lifted = tenant(&["unblock", "acme", &id]);
    assert!(lifted.status.success(), "{}", stderr(&lifted));
    assert!(stdout(&lifted).contains("unblocked 203.0.113.7/32"));
    assert!(!stdout(&tenant(&["blocks", "acme"])).contains("203.0.113.7"));
    assert!(!tenant(&["unblock", "acme", &id]).status.success());

    let audited = AuditStore::new(database.pool.clone())
        .recent(acme.id, 10)
        .await
        .expect("audit");
    assert!(
        audited.iter().any(|e| e.kind == "sentinel"
            && e.outcome == "unblocked"
            && e.detail.contains("by the operator")),
        "{audited:?}"
    );
}

both_engines!(blocks_from_the_cli, blocks_lifecycle);
