//! A backup of the previous release restores over a database this release
//! migrated, and comes up to date.
use std::path::{Path, PathBuf};

use service_kit::both_engines;
use service_kit::db::{Engine, PoolSettings};
use service_kit::testing::TestDb;

use super::{ok, restore};
use crate::common::{run, MASTER_KEYS};

/// This release's auth migrations for `engine`, in order.
fn auth_migrations(engine: Engine) -> Vec<PathBuf> {
    let dialect = match engine {
        Engine::Postgres => "postgres",
        Engine::Sqlite => "sqlite",
    };
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../migrations/auth/{dialect}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

/// The versions of the migrations `files` (their names' leading number).
fn versions(files: &[PathBuf]) -> Vec<i64> {
    files
        .iter()
        .map(|f| {
            let name = f.file_name().and_then(|n| n.to_str()).expect("name");
            name.split('_')
                .next()
                .expect("version")
                .parse()
                .expect("a number")
        })
        .collect()
}

/// The database as the release before this one left it: every migration
/// but the newest applied.
async fn migrate_as_the_previous_release(engine: Engine, url: &str) {
    let mut files = auth_migrations(engine);
    files.pop();
    let older = tempfile::tempdir().expect("tempdir");
    for file in &files {
        std::fs::copy(file, older.path().join(file.file_name().expect("name"))).expect("copy");
    }
    let migrator = sqlx::migrate::Migrator::new(older.path())
        .await
        .expect("the older migrations");
    let db = service_kit::db::connect(url, PoolSettings::default())
        .await
        .expect("connect");
    migrator
        .run(&db.pool)
        .await
        .expect("older migrations applied");
    db.pool.close().await;
}

/// The versions of the migrations applied to the database at `url`.
async fn applied(url: &str) -> Vec<i64> {
    let db = service_kit::db::connect(url, PoolSettings::default())
        .await
        .expect("connect");
    let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&db.pool)
        .await
        .expect("applied migrations");
    db.pool.close().await;
    versions
}

/// A backup of the previous release restores over a database this release
/// migrated, and comes up to date.
async fn older_backup_comes_up_to_date(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);
    migrate_as_the_previous_release(engine, &db.url).await;
    let all = versions(&auth_migrations(engine));
    assert_eq!(applied(&db.url).await, all[..all.len() - 1]);
    ok(
        cli(&["tenant", "create", "acme"]),
        "tenant on the older schema",
    );
    let file = dir.path().join("older.cabackup");
    let file = file.to_str().expect("utf-8");
    ok(cli(&["backup", "auth", "--out", file]), "backup");
    ok(cli(&["migrate", "auth"]), "this release's migrations");
    ok(cli(&["tenant", "create", "beta"]), "a change after it");

    ok(restore(dir.path(), "auth", file, &env).await, "restore");
    let list = ok(cli(&["tenant", "list"]), "tenants");
    assert!(list.contains("acme") && !list.contains("beta"), "{list}");
    assert_eq!(applied(&db.url).await, all, "brought up to this release");
}

both_engines!(older_backups, older_backup_comes_up_to_date);
