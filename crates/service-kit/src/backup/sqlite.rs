//! SQLite: a consistent copy of a live database with `VACUUM INTO`, and a
//! restore that swaps the file whole.
//!
//! `VACUUM INTO` runs in one read transaction on an ordinary connection, so
//! it sees one committed state while the server keeps writing (WAL lets
//! them run side by side), and writes a compact single file. SQLite's
//! online backup API would do the same page by page, but sqlx reaches it
//! only through the raw `sqlite3` handle, which takes `unsafe` code the
//! workspace forbids.
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Executor, SqliteConnection};
use tempfile::NamedTempFile;

use super::error::BackupError;
use crate::db::{redact_url, sqlite_file};

/// The first bytes of every SQLite database file.
const MAGIC: &[u8] = b"SQLite format 3\0";

pub(super) fn file(url: &str) -> Result<PathBuf, BackupError> {
    sqlite_file(url).ok_or_else(|| BackupError::Url(redact_url(url)))
}

async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection, BackupError> {
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(BackupError::sql("SQLite options"))?
        .filename(path)
        .read_only(read_only)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(5));
    SqliteConnection::connect_with(&options)
        .await
        .map_err(BackupError::sql(format!(
            "the SQLite database {}",
            path.display()
        )))
}

/// Writes a consistent copy of the database at `url` to `into` (which must
/// not exist).
pub(super) async fn snapshot(url: &str, into: &Path) -> Result<(), BackupError> {
    let path = file(url)?;
    if !path.is_file() {
        return Err(BackupError::io(format!(
            "the SQLite database {}",
            path.display()
        ))(std::io::Error::from(
            std::io::ErrorKind::NotFound,
        )));
    }
    let mut conn = open(&path, true).await?;
    let target = into.to_string_lossy().replace('\'', "''");
    conn.execute(format!("VACUUM INTO '{target}'").as_str())
        .await
        .map_err(BackupError::sql("VACUUM INTO"))?;
    let _ = conn.close().await;
    Ok(())
}

/// Whether `plain` begins as a SQLite database does.
pub(super) fn is_database(start: &[u8]) -> bool {
    start.starts_with(MAGIC)
}

/// Where the decrypted copy waits: beside the database, so that putting it
/// in place is a rename on the same file system.
pub(super) fn staging(url: &str) -> Result<NamedTempFile, BackupError> {
    let path = file(url)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(BackupError::io(format!("creating {}", dir.display())))?;
    tempfile::Builder::new()
        .prefix(".connectauth-restore-")
        .tempfile_in(&dir)
        .map_err(BackupError::io(format!(
            "a temporary file in {}",
            dir.display()
        )))
}

/// How long a restore waits for connections that are closing (a command
/// or test that just ended) to let go of the database; a server's stay.
const LET_GO: Duration = Duration::from_secs(3);

/// Puts `restored` in place of the database at `url`, refusing while
/// another connection has it open.
///
/// The services keep their SQLite databases in WAL mode, and a connection
/// can leave WAL mode only when it is the database's only one: if this
/// connection cannot, a server (or another command) holds the file. SQLite
/// answers such a refusal with the mode it stayed in, without waiting, so
/// the attempt is repeated for [`LET_GO`]. Once out of WAL mode the
/// database is one file (its WAL checkpointed and removed), and the rename
/// replaces it whole.
pub(super) async fn replace(url: &str, restored: NamedTempFile) -> Result<(), BackupError> {
    let path = file(url)?;
    if path.exists() {
        let deadline = std::time::Instant::now() + LET_GO;
        while !leave_wal(&path).await? {
            if std::time::Instant::now() >= deadline {
                return Err(BackupError::InUse(path));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    restored
        .as_file()
        .sync_all()
        .map_err(BackupError::io("syncing the restored database"))?;
    // Left by a crash, they would be read as the restored file's.
    for suffix in ["-wal", "-shm"] {
        let mut side = path.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    restored
        .persist(&path)
        .map_err(|e| BackupError::io(format!("replacing {}", path.display()))(e.error))?;
    Ok(())
}

/// Whether the database at `path` left WAL mode: false while another
/// connection has it open.
async fn leave_wal(path: &Path) -> Result<bool, BackupError> {
    let mut conn = open(path, false).await?;
    // Locks held for a moment (a checkpoint) are waited for.
    conn.execute("PRAGMA busy_timeout = 500")
        .await
        .map_err(BackupError::sql("SQLite busy timeout"))?;
    let mode: Result<String, _> = sqlx::query_scalar("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
    match mode {
        Ok(mode) => Ok(mode.eq_ignore_ascii_case("delete")),
        // SQLITE_BUSY / SQLITE_LOCKED: another connection.
        Err(sqlx::Error::Database(e))
            if matches!(e.code().as_deref(), Some("5" | "6")) || e.message().contains("locked") =>
        {
            Ok(false)
        }
        Err(e) => Err(BackupError::sql(format!(
            "leaving WAL mode on {}",
            path.display()
        ))(e)),
    }
}
