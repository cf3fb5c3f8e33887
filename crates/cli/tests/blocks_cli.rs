//! `connectauth tenant blocks|block|unblock` against real databases: the
//! blocks in force are listed with their ids, one is lifted (and the lift
//! audited), a block of another tenant or an unknown id is refused; a block
//! made by hand is stored and audited, a bad or sparing one refused with
//! nothing written.
mod common;

use auth_server::store::audit::AuditStore;
use auth_server::store::blocks::{AppliesTo, BlockStore, NewBlock};
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
        applies_to: AppliesTo::Tenant,
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

async fn blocking_by_hand(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
        ("AUTH_SENTINEL_NEVER_BLOCK", "127.0.0.1,192.0.2.0/24"),
    ];
    let tenant = |args: &[&str]| {
        let mut all = vec!["tenant"];
        all.extend_from_slice(args);
        run(dir.path(), &all, &env)
    };
    assert!(run(dir.path(), &["migrate", "auth"], &env).status.success());
    assert!(tenant(&["create", "acme"]).status.success());
    let database = db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect");
    let acme = TenantStore::new(database.pool.clone())
        .get_by_slug("acme")
        .await
        .expect("acme");
    let stored = BlockStore::new(database.pool.clone());

    for (args, says) in [
        (
            vec!["block", "acme", "192.0.2.8", "--reason", "r"],
            "never blocked",
        ),
        (
            vec!["block", "acme", "10.1.2.3/8", "--reason", "r"],
            "host bits",
        ),
        (
            vec![
                "block",
                "acme",
                "203.0.113.9",
                "--minutes",
                "0",
                "--reason",
                "r",
            ],
            "minutes",
        ),
        (
            vec!["block", "acme", "203.0.113.9", "--reason", " "],
            "reason",
        ),
        (
            vec!["block", "nobody", "203.0.113.9", "--reason", "r"],
            "nobody",
        ),
    ] {
        let refused = tenant(&args);
        assert!(!refused.status.success(), "{args:?}");
        assert!(
            stderr(&refused).contains(says),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    assert!(stored.list(acme.id, 0).await.expect("list").is_empty());

    let made = tenant(&[
        "block",
        "acme",
        "203.0.113.0/24",
        "--minutes",
        "90",
        "--reason",
        "scraping",
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stdout(&made).contains("blocked 203.0.113.0/24 on acme"));
    let listed = stored.list(acme.id, 0).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].created_by, "operator");
    assert_eq!(listed[0].reason, "operator: scraping");
    assert_eq!(listed[0].expires_at - listed[0].created_at, 90 * 60);
    assert!(stdout(&tenant(&["blocks", "acme"])).contains("203.0.113.0/24"));
    let audited = AuditStore::new(database.pool.clone())
        .recent(acme.id, 10)
        .await
        .expect("audit");
    assert!(
        audited.iter().any(|e| e.kind == "sentinel"
            && e.outcome == "blocked"
            && e.detail.contains("by the operator")
            && e.detail.contains("203.0.113.0/24")),
        "{audited:?}"
    );
}

both_engines!(blocks_made_from_the_cli, blocking_by_hand);
