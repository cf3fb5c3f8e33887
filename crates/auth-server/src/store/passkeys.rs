//! Users' passkeys, and the ceremonies (registration, sign-in) started but
//! not yet answered. Every query filters on the tenant.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::{is_unique_violation, parse_id, parse_optional_id, StoreError};
use crate::domain::passkey::{CeremonyPurpose, PasskeyName};
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

const COLUMNS: &str = "id, user_id, credential_id, name, credential, sign_count, \
backup_eligible, backup_state, created_at, last_used_at";

/// One stored passkey. `credential` is webauthn-rs's `Passkey` as JSON
/// (public key, counter, flags): public data, no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    pub id: String,
    pub user_id: UserId,
    pub credential_id: String,
    pub name: String,
    pub credential: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A passkey to store.
pub struct NewPasskey<'a> {
    pub id: &'a str,
    pub tenant: TenantId,
    pub user: UserId,
    pub credential_id: &'a str,
    pub name: &'a PasskeyName,
    pub credential: &'a str,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub now: i64,
}

/// What a sign-in changes on the passkey it used.
pub struct PasskeyUse<'a> {
    pub credential: &'a str,
    pub sign_count: i64,
    pub backup_state: bool,
    pub now: i64,
}

/// A ceremony to keep until its answer comes.
pub struct NewCeremony<'a> {
    pub id: &'a str,
    pub tenant: TenantId,
    /// The signed-in user, for a registration.
    pub user: Option<UserId>,
    pub purpose: CeremonyPurpose,
    /// webauthn-rs's ceremony state, as JSON.
    pub state: &'a str,
    pub expires_at: i64,
    pub now: i64,
}

/// A started ceremony, as its answer takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub user_id: Option<UserId>,
    pub state: String,
}

#[derive(Clone)]
pub struct PasskeyStore {
    pool: AnyPool,
}

fn record(row: &AnyRow) -> Result<PasskeyRecord, StoreError> {
    Ok(PasskeyRecord {
        id: row.try_get("id")?,
        user_id: parse_id(row, "user_id", UserId::parse)?,
        credential_id: row.try_get("credential_id")?,
        name: row.try_get("name")?,
        credential: row.try_get("credential")?,
        sign_count: row.try_get("sign_count")?,
        backup_eligible: row.try_get::<i64, _>("backup_eligible")? != 0,
        backup_state: row.try_get::<i64, _>("backup_state")? != 0,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

impl PasskeyStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn create(&self, new: NewPasskey<'_>) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO passkeys (tenant_id, {COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)"
        ))
        .bind(new.tenant.to_string())
        .bind(new.id)
        .bind(new.user.to_string())
        .bind(new.credential_id)
        .bind(new.name.as_ref())
        .bind(new.credential)
        .bind(new.sign_count)
        .bind(i64::from(new.backup_eligible))
        .bind(i64::from(new.backup_state))
        .bind(new.now)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::PasskeyTaken
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// The user's passkeys, oldest first.
    pub async fn list(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<PasskeyRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE tenant_id = $1 AND user_id = $2 \
             ORDER BY created_at, id"
        ))
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    pub async fn by_credential(
        &self,
        tenant: TenantId,
        credential_id: &str,
    ) -> Result<Option<PasskeyRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE tenant_id = $1 AND credential_id = $2"
        ))
        .bind(tenant.to_string())
        .bind(credential_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(record).transpose()
    }

    /// Records a sign-in: the new counter and flags, and when. The counter
    /// only moves forward (an authenticator without one always says 0): a
    /// use whose counter another use of the same passkey has reached since
    /// it was read records nothing, and the answer is `false`, as for a
    /// counter that went back (two authenticators share the key).
    pub async fn record_use(
        &self,
        tenant: TenantId,
        id: &str,
        used: PasskeyUse<'_>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE passkeys SET credential = $1, sign_count = $2, backup_state = $3, \
             last_used_at = $4 WHERE tenant_id = $5 AND id = $6 \
             AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))",
        )
        .bind(used.credential)
        .bind(used.sign_count)
        .bind(i64::from(used.backup_state))
        .bind(used.now)
        .bind(tenant.to_string())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn rename(
        &self,
        tenant: TenantId,
        user: UserId,
        id: &str,
        name: &PasskeyName,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE passkeys SET name = $1 WHERE tenant_id = $2 AND user_id = $3 AND id = $4",
        )
        .bind(name.as_ref())
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::PasskeyNotFound);
        }
        Ok(())
    }

    /// Keeps a started ceremony, and sweeps expired ones.
    pub async fn start_ceremony(&self, c: NewCeremony<'_>) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= $1")
            .bind(c.now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO passkey_ceremonies (id, tenant_id, user_id, purpose, state, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id)
        .bind(c.tenant.to_string())
        .bind(c.user.map(|u| u.to_string()))
        .bind(c.purpose.as_str())
        .bind(c.state)
        .bind(c.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes (deletes and returns) an unexpired ceremony of the tenant
    /// started for `purpose`: a challenge is answered at most once.
    pub async fn take_ceremony(
        &self,
        id: &str,
        tenant: TenantId,
        purpose: CeremonyPurpose,
        now: i64,
    ) -> Result<Option<Ceremony>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM passkey_ceremonies WHERE id = $1 AND tenant_id = $2 AND purpose = $3 \
             RETURNING user_id, state, expires_at",
        )
        .bind(id)
        .bind(tenant.to_string())
        .bind(purpose.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        if row.try_get::<i64, _>("expires_at")? <= now {
            return Ok(None);
        }
        Ok(Some(Ceremony {
            user_id: parse_optional_id(&row, "user_id", UserId::parse)?,
            state: row.try_get("state")?,
        }))
    }
}
