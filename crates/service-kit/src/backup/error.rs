//! What can go wrong making, reading or restoring a backup, each with a
//! message an operator can act on.
use std::path::PathBuf;

use crate::db::DbError;

/// A backup file that cannot be read or does not authenticate.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not a ConnectAuth backup file")]
    NotABackup,
    #[error("backup format version {0} is not known to this release")]
    Version(u8),
    #[error("the backup's header is malformed")]
    Header,
    #[error("the backup was encrypted with master key `{0}`, which is not in AUTH_MASTER_KEYS (keep retired master keys in the ring, or at hand, while their backups are kept)")]
    UnknownKey(String),
    #[error("master key `{0}` of AUTH_MASTER_KEYS is not base64url")]
    BadKey(String),
    #[error("master key `{0}` of AUTH_MASTER_KEYS is not the key this backup was encrypted with (same id, another secret)")]
    WrongKey(String),
    #[error("AUTH_MASTER_KEYS is empty: backups are encrypted with its first key")]
    NoKeys,
    #[error("the backup is truncated: its end is missing")]
    Truncated,
    #[error("the backup does not authenticate: it was altered, reordered or cut short")]
    Tampered,
    #[error("the dump is too large for one backup file (256 TiB)")]
    TooLarge,
    #[error("the random source failed")]
    Random,
    #[error("reading or writing the backup: {0}")]
    Io(#[source] std::io::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("this is a backup of the {found} database: it cannot be restored into the {expected} database")]
    WrongService { found: String, expected: String },
    #[error("this backup was taken from {found}, and the {service} database is on {expected}: a backup restores only into the engine it was taken from")]
    WrongEngine {
        found: &'static str,
        expected: &'static str,
        service: String,
    },
    #[error("`{0}` was not found: install the PostgreSQL client tools of the server's major version (Debian and Ubuntu: `apt-get install postgresql-client`, or postgresql-client-N from apt.postgresql.org)")]
    ToolMissing(&'static str),
    #[error("`{tool}` is version {client}, older than the PostgreSQL server ({server}): install the client tools of version {server} or later")]
    ToolTooOld {
        tool: &'static str,
        client: u32,
        server: u32,
    },
    #[error("`{tool}` failed ({status}): {stderr}")]
    ToolFailed {
        tool: &'static str,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("the SQLite database {} is in use (a server has it open): stop it before restoring", .0.display())]
    InUse(PathBuf),
    #[error("the decrypted backup is not a {0} dump")]
    NotADump(&'static str),
    #[error("{} already exists: a backup never overwrites a file", .0.display())]
    Exists(PathBuf),
    #[error("`{0}` is not a database URL a backup can use")]
    Url(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Sql {
        context: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl BackupError {
    pub(super) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }

    pub(super) fn sql(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Self {
        let context = context.into();
        move |source| Self::Sql { context, source }
    }
}
