//! Single-use links (email verification, password reset, unlock): digests only.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::{parse_id, StoreError};
use crate::domain::one_time_token::{LinkProblem, Purpose, StoredLink};
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

#[derive(Clone)]
pub struct OneTimeTokenStore {
    pool: AnyPool,
}

impl OneTimeTokenStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn insert(
        &self,
        digest: &str,
        tenant: TenantId,
        user: UserId,
        purpose: Purpose,
        now: i64,
        ttl_secs: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO one_time_tokens (token_hash, tenant_id, user_id, purpose, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(digest)
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(purpose.as_str())
        .bind(now)
        .bind(now.saturating_add(ttl_secs))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives the link `digest` a typed code (its digest) living until
    /// `code_expires_at`.
    pub async fn attach_code(
        &self,
        digest: &str,
        code_hash: &str,
        code_expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE one_time_tokens SET code_hash = $1, code_expires_at = $2, code_attempts = 0 \
             WHERE token_hash = $3",
        )
        .bind(code_hash)
        .bind(code_expires_at)
        .bind(digest)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses `user`'s live link of `purpose` by its typed code. Every try
    /// spends one of `max_attempts`; past them, or past the code's lifetime,
    /// no code works (the link itself still does). Spending the try and
    /// testing the code are one conditional UPDATE: parallel guesses queue
    /// on the row and each sees the tries spent before it, so no more than
    /// `max_attempts` codes are ever tested.
    pub async fn consume_code(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Purpose,
        code_hash: &str,
        now: i64,
        max_attempts: i64,
    ) -> Result<bool, StoreError> {
        let tried = sqlx::query(
            "UPDATE one_time_tokens SET code_attempts = code_attempts + 1, \
             used_at = CASE WHEN code_hash = $6 THEN $1 ELSE NULL END \
             WHERE tenant_id = $2 AND user_id = $3 AND purpose = $4 AND used_at IS NULL \
             AND expires_at > $1 AND code_expires_at > $1 AND code_attempts < $5 \
             RETURNING used_at",
        )
        .bind(now)
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(purpose.as_str())
        .bind(max_attempts)
        .bind(code_hash)
        .fetch_all(&self.pool)
        .await?;
        for row in &tried {
            if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The link, whether or not it still works.
    pub async fn find(
        &self,
        digest: &str,
        tenant: TenantId,
        purpose: Purpose,
    ) -> Result<Option<StoredLink>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, expires_at, used_at FROM one_time_tokens \
             WHERE token_hash = $1 AND tenant_id = $2 AND purpose = $3",
        )
        .bind(digest)
        .bind(tenant.to_string())
        .bind(purpose.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// Uses the link: one conditional UPDATE, so it works exactly once. The
    /// user's other unused links of the same purpose are voided with it.
    pub async fn consume(
        &self,
        digest: &str,
        tenant: TenantId,
        purpose: Purpose,
        now: i64,
    ) -> Result<Result<UserId, LinkProblem>, StoreError> {
        let used = sqlx::query(
            "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND tenant_id = $3 \
             AND purpose = $4 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(now)
        .bind(digest)
        .bind(tenant.to_string())
        .bind(purpose.as_str())
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = used {
            let user = parse_id(&row, "user_id", UserId::parse)?;
            // Its siblings go with it: once a reset is done, an older reset
            // link (still live, since a new one does not void it) is moot.
            self.void_unused(tenant, user, purpose, now).await?;
            return Ok(Ok(user));
        }
        let found = self.find(digest, tenant, purpose).await?;
        Ok(Err(StoredLink::refusal_at(found, now)))
    }

    /// Voids a user's unused links of one purpose.
    pub async fn void_unused(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Purpose,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE one_time_tokens SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 \
             AND purpose = $4 AND used_at IS NULL",
        )
        .bind(now)
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(purpose.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn link_from_row(row: &AnyRow) -> Result<StoredLink, StoreError> {
    let used_at: Option<i64> = row.try_get("used_at")?;
    Ok(StoredLink {
        user: parse_id(row, "user_id", UserId::parse)?,
        expires_at: row.try_get("expires_at")?,
        used: used_at.is_some(),
    })
}
