//! The only module that speaks SQL. Queries use `$n` placeholders, which both
//! PostgreSQL and SQLite accept through sqlx's `Any` driver.
pub mod activity;
pub mod analyst_usage;
pub mod api_credentials;
pub mod audit;
pub mod auth_codes;
pub mod blocks;
pub mod clients;
pub mod consents;
pub mod erasure;
pub mod expired_rows;
pub mod grants;
pub mod incident_notes;
pub mod local_changes;
pub mod login_failures;
pub mod login_hours;
pub mod mail_budget;
pub mod one_time_tokens;
pub mod operator_report;
pub mod owners;
pub mod passkeys;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod reported_incidents;
pub mod revoked_tokens;
pub mod scheduled_jobs;
pub mod sealed_values;
pub mod security_report;
pub mod sentinel;
pub mod sessions;
pub mod sign_in_history;
pub mod signing_keys;
pub mod step_up;
pub mod team_invites;
pub mod tenant_versions;
pub mod tenants;
pub mod trail_cursor;
pub mod upstream;
pub mod users;
pub mod ways_in;
pub mod webhooks;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("tenant slug `{0}` is already taken")]
    SlugTaken(String),
    #[error("no such tenant")]
    TenantNotFound,
    #[error("the platform tenant holds ConnectAuth's own owners and service keys: it cannot be disabled")]
    ReservedTenant,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("this username is taken")]
    UsernameTaken,
    #[error("no such user")]
    UserNotFound,
    #[error("this user is the last owner of a tenant: make someone else its owner first")]
    LastOwner,
    #[error("the tenant has an upstream provider with this slug")]
    ProviderSlugTaken,
    #[error("no such upstream provider")]
    ProviderNotFound,
    #[error("this upstream account is already linked to a user")]
    UpstreamIdentityTaken,
    #[error("this passkey is already registered")]
    PasskeyTaken,
    #[error("no such passkey")]
    PasskeyNotFound,
    #[error("no such block")]
    BlockNotFound,
    #[error("no such webhook endpoint")]
    WebhookNotFound,
    #[error("no such webhook delivery")]
    DeliveryNotFound,
    /// Concurrent changes of the same row kept winning over this one.
    #[error("it kept changing during this change; try again")]
    Contended,
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

/// The id in column `column`, parsed once here so records carry typed ids;
/// a value that does not parse is a corrupt row, not a caller's mistake.
pub(crate) fn parse_id<T>(
    row: &sqlx::any::AnyRow,
    column: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} `{text}`")))
}

/// [`parse_id`] of a column that may be `NULL`.
pub(crate) fn parse_optional_id<T>(
    row: &sqlx::any::AnyRow,
    column: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    use sqlx::Row;
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} `{text}`"))))
        .transpose()
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A unique rule of the schema, as each engine reports its violation:
/// PostgreSQL by the constraint's or index's name, SQLite only by the
/// columns it covers (`UNIQUE constraint failed: users.tenant_id, …`).
pub(crate) struct UniqueRule {
    pub name: &'static str,
    pub sqlite_columns: &'static str,
}

impl UniqueRule {
    /// Whether `e` is a violation of this rule (and not of another one).
    pub(crate) fn broken_by(&self, e: &sqlx::Error) -> bool {
        let sqlx::Error::Database(db) = e else {
            return false;
        };
        if !db.is_unique_violation() {
            return false;
        }
        match db.constraint() {
            Some(name) => name == self.name,
            None => {
                db.message().strip_prefix("UNIQUE constraint failed: ") == Some(self.sqlite_columns)
            }
        }
    }
}
