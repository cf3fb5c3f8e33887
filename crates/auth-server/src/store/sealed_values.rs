//! The columns that hold values sealed with the master keyring (other than
//! signing keys, which `signing_keys.rs` keeps), read and replaced for a
//! master-key rotation: TOTP seeds, upstream providers' client secrets, the
//! provider tokens kept for users, webhook signing secrets (current and
//! previous). A sealed value starts `v1.<master key id>.`.
use sqlx::{AnyPool, Row};

use super::StoreError;

/// A column of sealed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedColumn {
    /// `users.totp_secret`; row key: tenant id, user id.
    TotpSeeds,
    /// `upstream_providers.client_secret_sealed`; row key: tenant id,
    /// provider id.
    UpstreamClientSecrets,
    /// `upstream_identities.tokens_sealed`; row key: provider id, subject.
    UpstreamTokens,
    /// `webhook_endpoints.secret_sealed`; row key: endpoint id.
    WebhookSecrets,
    /// `webhook_endpoints.previous_secret_sealed`; row key: endpoint id.
    WebhookPreviousSecrets,
}

impl SealedColumn {
    pub const ALL: [SealedColumn; 5] = [
        SealedColumn::TotpSeeds,
        SealedColumn::UpstreamClientSecrets,
        SealedColumn::UpstreamTokens,
        SealedColumn::WebhookSecrets,
        SealedColumn::WebhookPreviousSecrets,
    ];

    /// (table, first key column, second key column or "", sealed column).
    fn shape(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            SealedColumn::TotpSeeds => ("users", "tenant_id", "id", "totp_secret"),
            SealedColumn::UpstreamClientSecrets => (
                "upstream_providers",
                "tenant_id",
                "id",
                "client_secret_sealed",
            ),
            SealedColumn::UpstreamTokens => (
                "upstream_identities",
                "provider_id",
                "subject",
                "tokens_sealed",
            ),
            SealedColumn::WebhookSecrets => ("webhook_endpoints", "id", "", "secret_sealed"),
            SealedColumn::WebhookPreviousSecrets => {
                ("webhook_endpoints", "id", "", "previous_secret_sealed")
            }
        }
    }
}

/// One sealed value and the key of its row.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedValue {
    pub column: SealedColumn,
    pub key: (String, String),
    pub sealed: String,
}

// The sealed value stays out of logs even though it is ciphertext.
impl std::fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedValue")
            .field("column", &self.column)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct SealedValueStore {
    pool: AnyPool,
}

impl SealedValueStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The values of `column` not sealed with master key `current`.
    pub async fn not_sealed_with(
        &self,
        column: SealedColumn,
        current: &str,
    ) -> Result<Vec<SealedValue>, StoreError> {
        let (table, k1, k2, col) = column.shape();
        let k2 = if k2.is_empty() {
            "CAST('' AS TEXT)"
        } else {
            k2
        };
        let sql = format!(
            "SELECT {k1} AS k1, {k2} AS k2, {col} AS sealed FROM {table} \
             WHERE {col} IS NOT NULL AND substr({col}, 1, CAST($1 AS INTEGER)) <> $2"
        );
        let prefix = format!("v1.{current}.");
        let length = i64::try_from(prefix.len()).unwrap_or(i64::MAX);
        let rows = sqlx::query(&sql)
            .bind(length)
            .bind(&prefix)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SealedValue {
                    column,
                    key: (row.try_get("k1")?, row.try_get("k2")?),
                    sealed: row.try_get("sealed")?,
                })
            })
            .collect()
    }

    /// Replaces `value` with `resealed`, unless the row changed meanwhile
    /// (a new seed, a rotated secret): then false, and the new value, sealed
    /// with the current key already, stays.
    pub async fn replace(&self, value: &SealedValue, resealed: &str) -> Result<bool, StoreError> {
        let (table, k1, k2, col) = value.column.shape();
        let mut sql = format!("UPDATE {table} SET {col} = $1 WHERE {col} = $2 AND {k1} = $3");
        if !k2.is_empty() {
            sql.push_str(&format!(" AND {k2} = $4"));
        }
        let mut query = sqlx::query(&sql)
            .bind(resealed)
            .bind(&value.sealed)
            .bind(&value.key.0);
        if !k2.is_empty() {
            query = query.bind(&value.key.1);
        }
        let done = query.execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }
}
