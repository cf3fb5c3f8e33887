//! Erasing one end user (GDPR art. 17): every row that is theirs goes, in
//! one transaction, and their audit events keep only what the trail needs.
use sqlx::AnyPool;

use super::StoreError;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

#[derive(Clone)]
pub struct ErasureStore {
    pool: AnyPool,
}

/// What an erasure removed, for the record of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub sessions: u64,
    pub grants: u64,
    pub refresh_tokens: u64,
    pub consents: u64,
    pub events: u64,
}

impl ErasureStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Deletes the user of `tenant` and everything that is theirs: sessions,
    /// authorization codes, grants and their refresh tokens, consents,
    /// one-time links, recovery codes, tenant ownerships, the account's
    /// lockout counter (`failure_subject`). Their audit events stay, with
    /// the IP address, user agent and detail cleared: the trail keeps what
    /// happened and when, to an id that names nobody any more.
    /// `UserNotFound` when the user is not the tenant's, `LastOwner` when
    /// they are the only owner of a tenant's team; nothing changes then.
    pub async fn erase_user(
        &self,
        tenant: TenantId,
        user: UserId,
        failure_subject: &str,
        now: i64,
    ) -> Result<Erased, StoreError> {
        let (tenant, user) = (tenant.to_string(), user.to_string());
        let mut tx = self.pool.begin().await?;
        // Revoked before they go, so every instance's cache of live grants
        // hears of it (the version triggers watch revocations).
        sqlx::query(
            "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = 'user erased' \
             WHERE tenant_id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(&tenant)
        .bind(&user)
        .execute(&mut *tx)
        .await?;
        let (t, u) = (tenant.as_str(), user.as_str());
        let sessions = by_user(&mut tx, "DELETE FROM sessions", t, u).await?;
        by_user(&mut tx, "DELETE FROM authorization_codes", t, u).await?;
        // Refresh tokens before the grants they name.
        let refresh_tokens = by_user(&mut tx, "DELETE FROM refresh_tokens", t, u).await?;
        let grants = by_user(&mut tx, "DELETE FROM oauth_grants", t, u).await?;
        let consents = by_user(&mut tx, "DELETE FROM consents", t, u).await?;
        by_user(&mut tx, "DELETE FROM one_time_tokens", t, u).await?;
        by_user(&mut tx, "DELETE FROM recovery_codes", t, u).await?;
        by_user(&mut tx, "DELETE FROM step_up_marks", t, u).await?;
        by_user(&mut tx, "DELETE FROM upstream_identities", t, u).await?;
        by_user(&mut tx, "DELETE FROM passkeys", t, u).await?;
        by_user(&mut tx, "DELETE FROM passkey_ceremonies", t, u).await?;
        let events = by_user(
            &mut tx,
            "UPDATE audit_events SET ip = '', user_agent = '', detail = '', account = NULL",
            t,
            u,
        )
        .await?;
        let erased = Erased {
            sessions,
            grants,
            refresh_tokens,
            consents,
            events,
        };
        // A platform user may be in tenants' teams; none may lose its last
        // owner this way. The owners of those teams are locked first, as
        // `OwnerStore` does, so another owner leaving at the same moment is
        // decided before or after this, never beside it.
        sqlx::query(
            "UPDATE tenant_owners SET role = role WHERE role = 'owner' AND tenant_id IN \
             (SELECT tenant_id FROM tenant_owners WHERE user_id = $1)",
        )
        .bind(&user)
        .execute(&mut *tx)
        .await?;
        let sole = sqlx::query(
            "SELECT 1 FROM tenant_owners mine WHERE mine.user_id = $1 AND mine.role = 'owner' \
             AND NOT EXISTS (SELECT 1 FROM tenant_owners other WHERE other.tenant_id = mine.tenant_id \
             AND other.role = 'owner' AND other.user_id <> $1)",
        )
        .bind(&user)
        .fetch_optional(&mut *tx)
        .await?;
        if sole.is_some() {
            return Err(StoreError::LastOwner);
        }
        sqlx::query("DELETE FROM tenant_owners WHERE user_id = $1")
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE tenant_id = $1 AND subject = $2")
            .bind(&tenant)
            .bind(failure_subject)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(&tenant)
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            // Not the tenant's user: the transaction rolls back on drop.
            return Err(StoreError::UserNotFound);
        }
        tx.commit().await?;
        super::local_changes::grant_revoked();
        super::local_changes::user_changed();
        Ok(erased)
    }
}

/// Runs `statement` on the rows of `user` in `tenant` (it gets the
/// `WHERE`); answers how many rows it touched.
async fn by_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    statement: &str,
    tenant: &str,
    user: &str,
) -> Result<u64, StoreError> {
    let done = sqlx::query(&format!(
        "{statement} WHERE tenant_id = $1 AND user_id = $2"
    ))
    .bind(tenant)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
