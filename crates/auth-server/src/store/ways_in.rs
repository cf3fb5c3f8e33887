//! Removing one of an account's ways in (its password, a passkey, a linked
//! provider account) under `domain::ways_in`'s rule, decided and done in one
//! transaction that first writes the user's row. That write takes the lock
//! (the row's in PostgreSQL, the database's in SQLite) before anything is
//! counted, so two removals at once (the password in one tab, the last
//! passkey in another) are decided one after the other, and the second
//! sees the first's result: an account never ends with no way in.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;
use crate::domain::ways_in::{KeptWay, WayIn, WaysIn};

#[derive(Clone)]
pub struct WaysInStore {
    pool: AnyPool,
}

impl WaysInStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Removes `way` from the user's account unless the rule keeps it:
    /// `Ok(Err(why))` then, and nothing changes. `UserNotFound` when the
    /// user is not the tenant's.
    pub async fn remove(
        &self,
        tenant: TenantId,
        user: UserId,
        way: WayIn<'_>,
        now: i64,
    ) -> Result<Result<(), KeptWay>, StoreError> {
        let (tenant_id, user_id) = (tenant.to_string(), user.to_string());
        let mut tx = self.pool.begin().await?;
        let locked =
            sqlx::query("UPDATE users SET updated_at = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(now)
                .bind(&tenant_id)
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::UserNotFound);
        }
        let counts = sqlx::query(
            "SELECT \
             (SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND id = $2 \
              AND password_hash IS NOT NULL) AS password, \
             (SELECT COUNT(*) FROM passkeys WHERE tenant_id = $1 AND user_id = $2) AS passkeys, \
             (SELECT COUNT(*) FROM upstream_identities WHERE tenant_id = $1 AND user_id = $2) \
              AS upstream, \
             (SELECT COUNT(*) FROM passkeys WHERE tenant_id = $1 AND user_id = $2 AND id = $3) \
              AS this_passkey, \
             (SELECT COUNT(*) FROM upstream_identities WHERE tenant_id = $1 AND user_id = $2 \
              AND provider_id = $3) AS this_link",
        )
        .bind(&tenant_id)
        .bind(&user_id)
        // The passkey's or the provider's id; the password has none.
        .bind(match way {
            WayIn::Password => "",
            WayIn::Passkey(id) | WayIn::Upstream(id) => id,
        })
        .fetch_one(&mut *tx)
        .await?;
        let ways = WaysIn {
            password: counts.try_get::<i64, _>("password")? > 0,
            passkeys: counts.try_get("passkeys")?,
            upstream: counts.try_get("upstream")?,
        };
        let there = match way {
            WayIn::Password => ways.password,
            WayIn::Passkey(_) => counts.try_get::<i64, _>("this_passkey")? > 0,
            WayIn::Upstream(_) => counts.try_get::<i64, _>("this_link")? > 0,
        };
        if !there {
            return Ok(Err(KeptWay::NotThere));
        }
        if let Err(kept) = ways.may_remove(way) {
            return Ok(Err(kept));
        }
        let removal = match way {
            WayIn::Password => sqlx::query(
                "UPDATE users SET password_hash = NULL WHERE tenant_id = $1 AND id = $2",
            )
            .bind(&tenant_id)
            .bind(&user_id),
            WayIn::Passkey(id) => sqlx::query(
                "DELETE FROM passkeys WHERE tenant_id = $1 AND user_id = $2 AND id = $3",
            )
            .bind(&tenant_id)
            .bind(&user_id)
            .bind(id),
            WayIn::Upstream(provider) => sqlx::query(
                "DELETE FROM upstream_identities WHERE tenant_id = $1 AND user_id = $2 \
                 AND provider_id = $3",
            )
            .bind(&tenant_id)
            .bind(&user_id)
            .bind(provider),
        };
        removal.execute(&mut *tx).await?;
        tx.commit().await?;
        if way == WayIn::Password {
            super::local_changes::user_changed();
        }
        Ok(Ok(()))
    }
}
