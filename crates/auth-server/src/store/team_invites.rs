//! Invitations to a tenant's team: only the link's SHA-256 is kept. One
//! pending invitation per address and tenant (a new one replaces it).
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::team::Role;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

#[derive(Clone)]
pub struct TeamInviteStore {
    pool: AnyPool,
}

/// A pending invitation.
#[derive(Clone, PartialEq, Eq)]
pub struct Invite {
    pub token_hash: String,
    pub tenant_id: TenantId,
    pub email: String,
    pub email_normalized: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for Invite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invite")
            .field("token_hash", &service_kit::secret::REDACTED)
            .field("tenant_id", &self.tenant_id)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "token_hash, tenant_id, email, email_normalized, role, invited_by, created_at, expires_at";

impl TeamInviteStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Keeps `invite`, replacing the address's pending one in that tenant.
    /// The team's owner rows are locked first (a write that changes
    /// nothing), so two invitations of one address at the same moment are
    /// made one after the other and only the second's link stays.
    pub async fn replace(&self, invite: &Invite) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE tenant_owners SET role = role WHERE tenant_id = $1 AND role = 'owner'")
            .bind(invite.tenant_id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM team_invites WHERE tenant_id = $1 AND email_normalized = $2 \
             AND accepted_at IS NULL",
        )
        .bind(invite.tenant_id.to_string())
        .bind(&invite.email_normalized)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO team_invites ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&invite.token_hash)
        .bind(invite.tenant_id.to_string())
        .bind(&invite.email)
        .bind(&invite.email_normalized)
        .bind(invite.role.as_str())
        .bind(&invite.invited_by)
        .bind(invite.created_at)
        .bind(invite.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The pending, unexpired invitation behind a link.
    pub async fn find(&self, token_hash: &str, now: i64) -> Result<Option<Invite>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM team_invites WHERE token_hash = $1 \
             AND accepted_at IS NULL AND expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(invite_from_row).transpose()
    }

    /// The tenant's pending, unexpired invitations, oldest first.
    pub async fn pending(&self, tenant: TenantId, now: i64) -> Result<Vec<Invite>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM team_invites WHERE tenant_id = $1 \
             AND accepted_at IS NULL AND expires_at > $2 ORDER BY created_at, email_normalized"
        ))
        .bind(tenant.to_string())
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invite_from_row).collect()
    }

    /// Uses the invitation once, making `user` a member with its role (a
    /// member already keeps their row). False when it was used, revoked or
    /// expired in the meantime.
    pub async fn accept(
        &self,
        invite: &Invite,
        user: UserId,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let used = sqlx::query(
            "UPDATE team_invites SET accepted_at = $1 WHERE token_hash = $2 \
             AND accepted_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(&invite.token_hash)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO tenant_owners (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, user_id) DO NOTHING",
        )
        .bind(invite.tenant_id.to_string())
        .bind(user.to_string())
        .bind(invite.role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Withdraws the pending invitation to `email_normalized`; false if none.
    pub async fn revoke(
        &self,
        tenant: TenantId,
        email_normalized: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM team_invites WHERE tenant_id = $1 AND email_normalized = $2 \
             AND accepted_at IS NULL",
        )
        .bind(tenant.to_string())
        .bind(email_normalized)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn invite_from_row(row: &AnyRow) -> Result<Invite, StoreError> {
    let tenant: String = row.try_get("tenant_id")?;
    let role: String = row.try_get("role")?;
    Ok(Invite {
        token_hash: row.try_get("token_hash")?,
        tenant_id: TenantId::parse(&tenant)
            .map_err(|_| StoreError::Corrupt(format!("invite tenant id `{tenant}`")))?,
        email: row.try_get("email")?,
        email_normalized: row.try_get("email_normalized")?,
        role: Role::parse(&role)
            .map_err(|_| StoreError::Corrupt(format!("invite role `{role}`")))?,
        invited_by: row.try_get("invited_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}
