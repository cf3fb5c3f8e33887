//! Bad backup files and targets (tampered, truncated, foreign or wrongly
//! keyed files; no confirmation, no client tools, a database in use) are
//! refused with the database left as it was.
use std::path::Path;

use service_kit::both_engines;
use service_kit::db::{Engine, PoolSettings};
use service_kit::testing::TestDb;

use super::ok;
use crate::common::{refused, run, MASTER_KEYS};

/// Every bad file or target is refused before the database is touched.
async fn bad_backups_are_refused(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);
    ok(cli(&["migrate", "auth"]), "migrate");
    ok(cli(&["tenant", "create", "acme"]), "tenant");
    let good = dir.path().join("good.cabackup");
    let path = |p: &Path| p.to_str().expect("utf-8").to_owned();
    ok(cli(&["backup", "auth", "--out", &path(&good)]), "backup");
    ok(cli(&["tenant", "create", "beta"]), "a change after it");
    let bytes = std::fs::read(&good).expect("backup");
    let restore_with = |file: &Path, env: &[(&str, &str)]| {
        run(
            dir.path(),
            &["restore", "auth", "--from", &path(file), "--yes"],
            env,
        )
    };
    let restore = |file: &Path| restore_with(file, &env);
    let unchanged = || {
        let list = ok(cli(&["tenant", "list"]), "tenants");
        assert!(list.contains("beta"), "the database is unchanged: {list}");
    };

    let tampered = dir.path().join("tampered.cabackup");
    let mut changed = bytes.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 0x40;
    std::fs::write(&tampered, &changed).expect("write");
    refused(&restore(&tampered), "does not authenticate");
    unchanged();

    let truncated = dir.path().join("truncated.cabackup");
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).expect("write");
    refused(&restore(&truncated), "does not authenticate");
    unchanged();

    let not_backup = dir.path().join("notes.txt");
    std::fs::write(&not_backup, "not a backup").expect("write");
    refused(&restore(&not_backup), "not a ConnectAuth backup file");

    // The same key id with another secret, and a ring without the key.
    let other = format!("k1:{}", service_kit::secret::generate().expect("csprng"));
    let wrong_key = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", other.as_str()),
    ];
    refused(
        &restore_with(&good, &wrong_key),
        "not the key this backup was encrypted with",
    );
    let without = format!("k9:{}", service_kit::secret::generate().expect("csprng"));
    let unknown_key = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", without.as_str()),
    ];
    refused(
        &restore_with(&good, &unknown_key),
        "encrypted with master key `k1`, which is not in AUTH_MASTER_KEYS",
    );
    unchanged();

    // A backup of the other engine's database.
    let other_db = TestDb::new(match engine {
        Engine::Postgres => Engine::Sqlite,
        Engine::Sqlite => Engine::Postgres,
    })
    .await;
    let other_env = [
        ("AUTH_DATABASE_URL", other_db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    ok(
        run(dir.path(), &["migrate", "auth"], &other_env),
        "migrate the other",
    );
    let other_file = dir.path().join("other.cabackup");
    ok(
        run(
            dir.path(),
            &["backup", "auth", "--out", &path(&other_file)],
            &other_env,
        ),
        "backup of the other engine",
    );
    refused(
        &restore(&other_file),
        "a backup restores only into the engine it was taken from",
    );
    unchanged();

    // Without --yes and without a terminal to ask on, nothing happens.
    let unconfirmed = run(
        dir.path(),
        &["restore", "auth", "--from", &path(&good)],
        &env,
    );
    refused(&unconfirmed, "pass --yes to confirm");
    unchanged();

    if engine == Engine::Postgres {
        // Without PostgreSQL's client tools, the command says what to install.
        let no_tools = tempfile::tempdir().expect("tempdir");
        let bare = [
            ("AUTH_DATABASE_URL", db.url.as_str()),
            ("AUTH_MASTER_KEYS", MASTER_KEYS),
            ("PATH", no_tools.path().to_str().expect("utf-8")),
        ];
        let out = dir.path().join("never.cabackup");
        refused(
            &run(dir.path(), &["backup", "auth", "--out", &path(&out)], &bare),
            "`pg_dump` was not found: install the PostgreSQL client tools",
        );
        assert!(!out.exists());
        refused(&restore_with(&good, &bare), "`pg_restore` was not found");
        unchanged();
    }

    if engine == Engine::Sqlite {
        // A server (here, an open pool) holds the file: refused.
        let open = service_kit::db::connect(&db.url, PoolSettings::default())
            .await
            .expect("open");
        connected(&open).await;
        refused(&restore(&good), "is in use");
        open.pool.close().await;
        unchanged();
    }

    ok(restore(&good), "the good backup restores");
    let list = ok(cli(&["tenant", "list"]), "tenants");
    assert!(list.contains("acme") && !list.contains("beta"), "{list}");
}

/// Makes the pool open a connection (pools connect lazily after the first).
async fn connected(db: &service_kit::db::Database) {
    assert!(service_kit::db::is_ready(&db.pool, std::time::Duration::from_secs(5)).await);
}

both_engines!(refusals, bad_backups_are_refused);
