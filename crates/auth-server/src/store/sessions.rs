//! Server-side sessions. The cookie carries a secret; rows hold its digest.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::session::SessionStage;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

const COLUMNS: &str =
    "secret_hash, handle, tenant_id, user_id, stage, amr, auth_time, created_at, \
last_seen_at, expires_at, ip, user_agent";

/// `Debug` leaves out the secret's hash (it identifies the cookie).
#[derive(Clone)]
pub struct SessionRecord {
    pub secret_hash: String,
    /// Public id, shown in the session list.
    pub handle: String,
    pub tenant_id: String,
    pub user_id: String,
    pub stage: SessionStage,
    /// Authentication methods so far, space-separated (`pwd`, `otp`, `rec`).
    pub amr: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip: String,
    pub user_agent: String,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("secret_hash", &service_kit::secret::REDACTED)
            .field("handle", &self.handle)
            .field("tenant_id", &self.tenant_id)
            .field("user_id", &self.user_id)
            .field("stage", &self.stage)
            .field("amr", &self.amr)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What [`SessionStore::open`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Opened,
    /// Nothing: the user was disabled, or their password changed, since
    /// the login read them.
    UserChanged,
    /// Nothing: the session it was to replace has ended meanwhile.
    ReplacedEnded,
}

#[derive(Clone)]
pub struct SessionStore {
    pool: AnyPool,
}

impl SessionStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Opens session `new`, in place of session `replaces` (a digest) when
    /// there is one, if its user is still as the login found them: not
    /// disabled, and holding the password hash `password_hash` (`None`: no
    /// password). A session to replace must still be there.
    ///
    /// One transaction that first writes the user's row, as a password reset
    /// and disabling do ([`UserStore::reset_password`]): a login that checked
    /// the old password either opens before the reset, which then ends its
    /// session, or sees the new hash and opens nothing.
    ///
    /// [`UserStore::reset_password`]: super::users::UserStore::reset_password
    pub async fn open(
        &self,
        new: &SessionRecord,
        replaces: Option<&str>,
        password_hash: Option<&str>,
    ) -> Result<Opened, StoreError> {
        let mut tx = self.pool.begin().await?;
        let still = match password_hash {
            Some(_) => "password_hash = $3",
            None => "password_hash IS NULL AND $3 = ''",
        };
        // A write that changes nothing and names no column the caches
        // watch (`users_version`): only the lock, and the check.
        let locked = sqlx::query(&format!(
            "UPDATE users SET password_hash = password_hash WHERE tenant_id = $1 AND id = $2 \
             AND disabled_at IS NULL AND {still}"
        ))
        .bind(&new.tenant_id)
        .bind(&new.user_id)
        .bind(password_hash.unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        if locked.rows_affected() == 0 {
            return Ok(Opened::UserChanged);
        }
        if let Some(old_hash) = replaces {
            let gone = sqlx::query("DELETE FROM sessions WHERE secret_hash = $1")
                .bind(old_hash)
                .execute(&mut *tx)
                .await?;
            if gone.rows_affected() == 0 {
                return Ok(Opened::ReplacedEnded);
            }
        }
        sqlx::query(&format!(
            "INSERT INTO sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&new.secret_hash)
        .bind(&new.handle)
        .bind(&new.tenant_id)
        .bind(&new.user_id)
        .bind(new.stage.as_str())
        .bind(&new.amr)
        .bind(new.auth_time)
        .bind(new.created_at)
        .bind(new.last_seen_at)
        .bind(new.expires_at)
        .bind(&new.ip)
        .bind(&new.user_agent)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Opened::Opened)
    }

    /// The session with this digest *in this tenant*: a cookie of tenant A
    /// finds nothing at tenant B.
    pub async fn find(
        &self,
        tenant: TenantId,
        secret_hash: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE secret_hash = $1 AND tenant_id = $2"
        ))
        .bind(secret_hash)
        .bind(tenant.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    pub async fn touch(&self, secret_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE secret_hash = $2")
            .bind(now)
            .bind(secret_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete(&self, secret_hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE secret_hash = $1")
            .bind(secret_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND stage = 'authenticated' \
             ORDER BY created_at DESC"
        ))
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Ends one of the user's own sessions by its public handle.
    pub async fn delete_by_handle(
        &self,
        tenant: TenantId,
        user: UserId,
        handle: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND handle = $3",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(handle)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends the user's oldest sessions beyond the newest `keep`; returns the
    /// handles of the sessions it ended (their grants end with them).
    pub async fn keep_newest(
        &self,
        tenant: TenantId,
        user: &str,
        keep: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND secret_hash NOT IN \
             (SELECT secret_hash FROM sessions WHERE tenant_id = $1 AND user_id = $2 \
              ORDER BY created_at DESC, handle DESC LIMIT $3) RETURNING handle",
        )
        .bind(tenant.to_string())
        .bind(user)
        .bind(keep)
        .fetch_all(&self.pool)
        .await?;
        handles(&rows)
    }

    /// Ends every session of the user; returns the handles of those it ended.
    pub async fn delete_all_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 RETURNING handle",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        handles(&rows)
    }
}

pub(super) fn handles(rows: &[AnyRow]) -> Result<Vec<String>, StoreError> {
    rows.iter()
        .map(|r| r.try_get("handle").map_err(StoreError::from))
        .collect()
}

fn session_from_row(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    let stage: String = row.try_get("stage")?;
    Ok(SessionRecord {
        secret_hash: row.try_get("secret_hash")?,
        handle: row.try_get("handle")?,
        tenant_id: row.try_get("tenant_id")?,
        user_id: row.try_get("user_id")?,
        stage: SessionStage::parse(&stage)
            .ok_or_else(|| StoreError::Corrupt(format!("session stage `{stage}`")))?,
        amr: row.try_get("amr")?,
        auth_time: row.try_get("auth_time")?,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret_hash() {
        let record = SessionRecord {
            secret_hash: "hash-of-cookie".into(),
            handle: "h1".into(),
            tenant_id: "t".into(),
            user_id: "u".into(),
            stage: SessionStage::Authenticated,
            amr: "pwd".into(),
            auth_time: 1,
            created_at: 1,
            last_seen_at: 1,
            expires_at: 2,
            ip: "127.0.0.1".into(),
            user_agent: "test".into(),
        };
        let shown = format!("{record:?}");
        assert!(
            !shown.contains("hash-of-cookie") && shown.contains("h1"),
            "{shown}"
        );
    }
}
