//! The only module that speaks SQL. Queries use `$n` placeholders, which both
//! PostgreSQL and SQLite accept through sqlx's `Any` driver. Writes are single
//! statements, or transactions that begin with a write (SQLite refuses a
//! transaction that reads first and writes later under concurrency).
pub mod accounts;
pub mod events;
pub mod invoices;
pub mod notices;
pub mod subscriptions;
pub mod usage;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(format!("negative {what}")))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
