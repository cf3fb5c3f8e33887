//! The database pool (`service_kit::db::connect`): a connection that has
//! been idle long enough is pinged before it is handed out, so one that died
//! meanwhile (the database restarted, a proxy dropped it) is replaced instead
//! of failing a request; one that was just used is handed out as it is.
use std::time::Duration;

use service_kit::db::{self, Engine, PoolSettings};
use service_kit::testing::{postgres_admin_url, TestDb};
use sqlx::{Connection, Executor, PgConnection, Row};

async fn backend_pid(pool: &sqlx::AnyPool) -> Result<i32, sqlx::Error> {
    sqlx::query("SELECT pg_backend_pid() AS pid")
        .fetch_one(pool)
        .await?
        .try_get("pid")
}

async fn terminate(pid: i32) {
    let mut admin = PgConnection::connect(&postgres_admin_url())
        .await
        .expect("admin connection");
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .expect("terminate");
    assert!(ended, "backend {pid} was running");
    // The backend is gone once it no longer appears among the activity.
    for _ in 0..200 {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = $1")
            .bind(pid)
            .fetch_one(&mut admin)
            .await
            .expect("activity");
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("backend {pid} still runs");
}

fn one_connection(ping_if_idle_for: Duration) -> PoolSettings {
    PoolSettings {
        max_connections: 1,
        ping_if_idle_for,
        ..PoolSettings::default()
    }
}

#[tokio::test]
async fn an_idle_connection_that_died_is_replaced_before_use() {
    let test_db = TestDb::new(Engine::Postgres).await;
    // Every connection counts as idle long enough to be pinged.
    let database = db::connect(&test_db.url, one_connection(Duration::ZERO))
        .await
        .expect("connect");
    let first = backend_pid(&database.pool).await.expect("first query");
    terminate(first).await;
    let second = backend_pid(&database.pool)
        .await
        .expect("the dead connection was replaced, the query answered");
    assert_ne!(first, second, "a new backend answered");
}

#[tokio::test]
async fn a_connection_just_used_is_handed_out_without_a_ping() {
    let test_db = TestDb::new(Engine::Postgres).await;
    let database = db::connect(&test_db.url, one_connection(Duration::from_secs(3600)))
        .await
        .expect("connect");
    let first = backend_pid(&database.pool).await.expect("first query");
    terminate(first).await;
    // Not pinged: the statement itself meets the dead connection and fails,
    // and sqlx drops the connection, so the one after gets a new one.
    assert!(backend_pid(&database.pool).await.is_err());
    let third = backend_pid(&database.pool).await.expect("a new connection");
    assert_ne!(first, third);
}

#[tokio::test]
async fn sqlite_connections_answer_after_a_ping() {
    let test_db = TestDb::new(Engine::Sqlite).await;
    let database = db::connect(&test_db.url, one_connection(Duration::ZERO))
        .await
        .expect("connect");
    for _ in 0..3 {
        database
            .pool
            .execute("SELECT 1")
            .await
            .expect("a pinged connection answers");
    }
}

/// `PRAGMA synchronous` as the connection reports it: 1 NORMAL, 2 FULL.
async fn synchronous(pool: &sqlx::AnyPool) -> i64 {
    let row = sqlx::query("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .expect("pragma");
    row.try_get::<i64, _>(0).expect("a level")
}

#[tokio::test]
async fn sqlite_commits_wait_for_the_disk_only_as_configured() {
    let test_db = TestDb::new(Engine::Sqlite).await;
    let normal = db::connect(&test_db.url, PoolSettings::default())
        .await
        .expect("connect");
    assert_eq!(synchronous(&normal.pool).await, 1, "NORMAL by default");
    let full = db::connect(
        &test_db.url,
        PoolSettings {
            sqlite_sync: db::SqliteSync::Full,
            ..PoolSettings::default()
        },
    )
    .await
    .expect("connect");
    assert_eq!(synchronous(&full.pool).await, 2, "FULL when asked");
    let journal: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&full.pool)
        .await
        .expect("pragma")
        .try_get(0)
        .expect("a mode");
    assert_eq!(journal, "wal");
}

#[test]
fn the_sqlite_sync_setting_names_a_level() {
    assert_eq!("normal".parse(), Ok(db::SqliteSync::Normal));
    assert_eq!("FULL".parse(), Ok(db::SqliteSync::Full));
    assert!("off".parse::<db::SqliteSync>().is_err());
}
