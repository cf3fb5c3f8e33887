//! Database pools picked by URL scheme, and migrations per dialect.
//!
//! Services use sqlx's `Any` driver so one set of queries serves both engines;
//! the price is a small type vocabulary (integers, text, bytes), which is why
//! our schemas store ids as text and instants as unix seconds.
use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Sqlite,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("`{0}` is not a database URL: use postgres://… or sqlite:…")]
    UnsupportedUrl(String),
    #[error("cannot create the directory for the SQLite file `{path}`: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to the {engine:?} database: {source}")]
    Connect {
        engine: Engine,
        #[source]
        source: sqlx::Error,
    },
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Engine {
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "postgres" | "postgresql" if url.contains("://") => Ok(Engine::Postgres),
            "sqlite" => Ok(Engine::Sqlite),
            _ => Err(DbError::UnsupportedUrl(redact_url(url))),
        }
    }
}

/// A service's pair of embedded migration sets.
pub struct Migrations {
    pub postgres: Migrator,
    pub sqlite: Migrator,
}

impl Migrations {
    pub fn for_engine(&self, engine: Engine) -> &Migrator {
        match engine {
            Engine::Postgres => &self.postgres,
            Engine::Sqlite => &self.sqlite,
        }
    }
}

/// A connected pool and the engine behind it.
#[derive(Clone, Debug)]
pub struct Database {
    pub pool: AnyPool,
    pub engine: Engine,
}

#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// A pooled connection idle at least this long is pinged before it is
    /// handed out, and replaced if the database no longer answers on it.
    pub ping_if_idle_for: Duration,
    /// How a SQLite commit reaches the disk (ignored on PostgreSQL).
    pub sqlite_sync: SqliteSync,
}

/// SQLite's `PRAGMA synchronous` under WAL: when a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSync {
    /// The WAL is synced at checkpoints, not at each commit. A commit
    /// survives a crash of the process; a power loss or an OS crash may
    /// undo the last commits, never corrupt the database. SQLite's advice
    /// for WAL, and the default: every commit fsyncing made each database
    /// write of a login wait for the disk.
    Normal,
    /// Every commit syncs the WAL before it returns: durable across a power
    /// loss, at one fsync per write.
    Full,
}

impl SqliteSync {
    fn pragma(self) -> &'static str {
        match self {
            SqliteSync::Normal => "NORMAL",
            SqliteSync::Full => "FULL",
        }
    }
}

impl std::str::FromStr for SqliteSync {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "normal" => Ok(SqliteSync::Normal),
            "full" => Ok(SqliteSync::Full),
            _ => Err("use `normal` or `full`".to_owned()),
        }
    }
}

/// See [`PoolSettings::ping_if_idle_for`]. A connection back in the pool
/// within this time is handed out as it is: pinging it on every checkout
/// (sqlx's default) doubled the round trips of a statement, and on SQLite
/// woke the connection's worker thread once more. A connection that dies
/// while briefly idle (the database restarted) fails the one statement
/// that gets it; sqlx then drops it.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(3),
            ping_if_idle_for: PING_IF_IDLE_FOR,
            sqlite_sync: SqliteSync::Normal,
        }
    }
}

static DRIVERS: Once = Once::new();

/// Connects to `url`, creating the SQLite file (and its directory) if needed.
pub async fn connect(url: &str, settings: PoolSettings) -> Result<Database, DbError> {
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let engine = Engine::from_url(url)?;
    let url = match engine {
        Engine::Sqlite => prepare_sqlite_url(url)?,
        Engine::Postgres => url.to_owned(),
    };
    let ping_if_idle_for = settings.ping_if_idle_for;
    let sqlite_pragmas = format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; \
         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        settings.sqlite_sync.pragma()
    );
    let options = AnyPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= ping_if_idle_for {
                    conn.ping().await?;
                }
                Ok(true)
            })
        });
    let options = match engine {
        // WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
        Engine::Sqlite => options.after_connect(move |conn, _| {
            let pragmas = sqlite_pragmas.clone();
            Box::pin(async move {
                conn.execute(pragmas.as_str()).await?;
                Ok(())
            })
        }),
        Engine::Postgres => options,
    };
    let pool = options
        .connect(&url)
        .await
        .map_err(|source| DbError::Connect { engine, source })?;
    Ok(Database { pool, engine })
}

/// Applies every pending migration of the database's dialect.
pub async fn migrate(db: &Database, migrations: &Migrations) -> Result<(), DbError> {
    migrations.for_engine(db.engine).run(&db.pool).await?;
    Ok(())
}

/// True when the database answers a trivial query within `timeout`.
pub async fn is_ready(pool: &AnyPool, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, sqlx::query("SELECT 1").execute(pool)).await,
        Ok(Ok(_))
    )
}

/// True when `error`, or an error it was caused by, says the database could
/// not be reached rather than that a statement was wrong: no connection
/// within the pool's wait, a connection that broke (the server went away, a
/// proxy dropped it), or PostgreSQL refusing connections (class 08, and
/// 57P01-57P03: shutting down, crashed, starting up). Such a failure is the
/// database's outage, answered 503 with `Retry-After`, not a bug of the
/// request (500).
pub fn is_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|e| {
        e.downcast_ref::<sqlx::Error>()
            .is_some_and(sqlx_error_is_unavailable)
    })
}

fn sqlx_error_is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// The file of a `sqlite:` URL (`None` for an in-memory database).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let (path, _) = sqlite_parts(url);
    (path != ":memory:" && !path.is_empty()).then(|| std::path::PathBuf::from(path))
}

fn sqlite_parts(url: &str) -> (&str, &str) {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split_once('?').unwrap_or((rest, ""))
}

/// `sqlite://data/x.db` → makes `data/`, and asks SQLite to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String, DbError> {
    let (path, query) = sqlite_parts(url);
    if path == ":memory:" || path.is_empty() {
        return Ok(url.to_owned());
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
            path: path.to_owned(),
            source,
        })?;
    }
    let query = if query.split('&').any(|kv| kv.starts_with("mode=")) {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {

    #[derive(Debug, thiserror::Error)]
    #[error("store failed")]
    struct Wrapper(#[source] sqlx::Error);

    #[test]
    fn an_unreachable_database_is_told_from_a_failed_statement() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_unavailable(&sqlx::Error::Io(refused)));
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(
            is_unavailable(&Wrapper(sqlx::Error::PoolClosed)),
            "found through the causes"
        );
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&Wrapper(sqlx::Error::ColumnNotFound(
            "x".into()
        ))));
        assert!(!is_unavailable(&std::io::Error::other(
            "not a database error"
        )));
    }
    use super::*;

    #[test]
    fn engine_follows_the_scheme() {
        assert_eq!(
            Engine::from_url("postgres://u@h/db").ok(),
            Some(Engine::Postgres)
        );
        assert_eq!(
            Engine::from_url("postgresql://u@h/db").ok(),
            Some(Engine::Postgres)
        );
        assert_eq!(
            Engine::from_url("sqlite://data/a.db").ok(),
            Some(Engine::Sqlite)
        );
        assert!(Engine::from_url("mysql://h/db").is_err());
        assert!(Engine::from_url("data/a.db").is_err());
    }

    #[test]
    fn passwords_are_redacted_from_messages() {
        let shown = redact_url("postgres://app:s3cret@db:5432/auth");
        assert!(!shown.contains("s3cret"));
        assert!(shown.contains("db:5432"));
    }

    #[test]
    fn sqlite_url_gets_create_mode_and_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("nested/a.db");
        let url = prepare_sqlite_url(&format!("sqlite://{}", file.display())).expect("prepared");
        assert!(url.ends_with("?mode=rwc"));
        assert!(file.parent().is_some_and(Path::exists));
    }
}
