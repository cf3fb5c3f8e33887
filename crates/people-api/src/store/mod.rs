//! The only module that speaks SQL. Queries use `$n` placeholders, which both
//! PostgreSQL and SQLite accept through sqlx's `Any` driver; every query
//! filters on the tenant.
pub mod connections;
pub mod people;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such person")]
    PersonNotFound,
    #[error("a connection between these people already exists")]
    ConnectionExists,
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}
