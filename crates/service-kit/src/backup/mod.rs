//! Encrypted backups of a service's database, and their restore
//! (`connectauth backup` and `connectauth restore`; docs/operations.md,
//! Backups).
//!
//! A backup file is a small clear header ([`Header`]: service, engine,
//! master key id, time) followed by the database's dump (PostgreSQL's
//! custom format, or a SQLite database file) encrypted and authenticated
//! chunk by chunk under a key derived from a master key of
//! `AUTH_MASTER_KEYS` ([`stream`]).
mod create;
mod error;
mod header;
mod key;
mod postgres;
mod restore;
mod sqlite;
pub mod stream;

pub use create::{create, Created, Source};
pub use error::{BackupError, FormatError};
pub use header::{engine_name, Envelope, Header};
pub use restore::{prepare, Prepared, Target};

/// Runs blocking file and process work off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BackupError::io("the backup task")(std::io::Error::other(e.to_string())))?
}
