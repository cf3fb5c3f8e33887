//! Signing keys of every tenant.
//!
//! Every state change is conditional on the state the caller saw (`WHERE … AND
//! state = 'active'`), and the first statement of each transaction writes: on
//! PostgreSQL a concurrent change makes the loser's update touch no row, on
//! SQLite the write lock is taken up front instead of upgrading a stale read.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::audit;
use super::reported_incidents::{self, ReportedIncident};
use super::{is_unique_violation, StoreError};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::TenantId;
use crate::keys::signing::KeyState;

const COLUMNS: &str = "kid, tenant_id, alg, state, private_sealed, public_jwk, created_at, \
                       activated_at, retired_at, remove_after, revoked_at";

/// One stored key. `private_sealed` is opaque here: only `keys/` opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub kid: String,
    pub tenant_id: TenantId,
    pub alg: SigningAlg,
    pub state: KeyState,
    pub private_sealed: String,
    pub public_jwk: String,
    /// Unix seconds.
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub remove_after: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A key about to be stored as `next`, or `active` from the start.
#[derive(Debug, Clone)]
pub struct NewKeyRow {
    pub kid: String,
    pub tenant_id: TenantId,
    pub alg: SigningAlg,
    pub private_sealed: String,
    pub public_jwk: String,
    pub created_at: i64,
}

/// The active and next key of one tenant and algorithm.
#[derive(Debug, Clone, Default)]
pub struct Slots {
    pub active: Option<KeyRow>,
    pub next: Option<KeyRow>,
}

/// One step of the lifecycle, decided from the kids the caller saw.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub tenant_id: TenantId,
    pub alg: SigningAlg,
    pub active_kid: String,
    pub next_kid: String,
    pub now: i64,
    pub remove_after: i64,
    pub new_next: NewKeyRow,
}

/// A key marked compromised, decided from the state the caller saw: it is
/// revoked; when it signed, the next key beside it is revoked too and two
/// fresh keys take the slots (one signs at once); when it was next, a fresh
/// next. Recorded with its incident and, when keys changed slots, a
/// `key_rotated` event.
#[derive(Debug, Clone)]
pub struct Compromise {
    pub tenant_id: TenantId,
    pub kid: String,
    pub was: KeyState,
    pub now: i64,
    pub next_kid: Option<String>,
    pub new_active: Option<NewKeyRow>,
    pub new_next: Option<NewKeyRow>,
    pub rotated: Option<AuditEvent>,
    pub incident: ReportedIncident,
}

/// An active key found old enough to be looked at for rotation.
#[derive(Debug, Clone)]
pub struct ActiveKey {
    pub tenant_id: TenantId,
    pub alg: SigningAlg,
    pub kid: String,
    pub activated_at: i64,
    /// The tenant's settings JSON, for `key_rotation_days`.
    pub tenant_settings: String,
}

#[derive(Clone)]
pub struct SigningKeyStore {
    pool: AnyPool,
}

/// A key the JWKS publishes: its public JWK, and for a retired key when it
/// stops being published.
#[derive(Debug, Clone)]
pub struct PublishedKey {
    pub public_jwk: String,
    pub remove_after: Option<i64>,
}

impl SigningKeyStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The pool, for the other stores of the key service.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Stores a key in `state` (next or active). `Ok(false)` when that slot is
    /// already filled: another instance got there first.
    pub async fn insert(&self, key: &NewKeyRow, state: KeyState) -> Result<bool, StoreError> {
        insert(&self.pool, key, state).await
    }

    pub async fn slots(&self, tenant: TenantId, alg: SigningAlg) -> Result<Slots, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM signing_keys \
             WHERE tenant_id = $1 AND alg = $2 AND state IN ('active', 'next')"
        ))
        .bind(tenant.to_string())
        .bind(alg.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut slots = Slots::default();
        for row in rows.iter().map(key_from_row) {
            let row = row?;
            match row.state {
                KeyState::Active => slots.active = Some(row),
                _ => slots.next = Some(row),
            }
        }
        Ok(slots)
    }

    /// The key that signs for this tenant and algorithm, if any.
    pub async fn active(
        &self,
        tenant: TenantId,
        alg: SigningAlg,
    ) -> Result<Option<KeyRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM signing_keys \
             WHERE tenant_id = $1 AND alg = $2 AND state = 'active'"
        ))
        .bind(tenant.to_string())
        .bind(alg.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_from_row).transpose()
    }

    /// The algorithms this tenant has an active (hence published) key for.
    pub async fn active_algs(&self, tenant: TenantId) -> Result<Vec<SigningAlg>, StoreError> {
        let rows = sqlx::query(
            "SELECT alg FROM signing_keys WHERE tenant_id = $1 AND state = 'active' ORDER BY alg",
        )
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| alg(r.try_get("alg")?)).collect()
    }

    pub async fn get(&self, tenant: TenantId, kid: &str) -> Result<Option<KeyRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM signing_keys WHERE tenant_id = $1 AND kid = $2"
        ))
        .bind(tenant.to_string())
        .bind(kid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_from_row).transpose()
    }

    /// Every key of the tenant, revoked ones included, oldest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<KeyRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at, kid"
        ))
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// The public JWKs a verifier may need at `now`: next, active, and retired
    /// keys whose tokens may still be alive. Never revoked keys.
    pub async fn published(
        &self,
        tenant: TenantId,
        now: i64,
    ) -> Result<Vec<PublishedKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT public_jwk, remove_after FROM signing_keys WHERE tenant_id = $1 \
             AND (state IN ('next', 'active') OR (state = 'retired' AND remove_after > $2)) \
             ORDER BY created_at, kid",
        )
        .bind(tenant.to_string())
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PublishedKey {
                    public_jwk: r.try_get("public_jwk")?,
                    remove_after: r.try_get("remove_after")?,
                })
            })
            .collect()
    }

    /// next → active, active → retired, a new next: all or nothing.
    /// `Ok(false)` when the keys are no longer the ones the caller saw.
    pub async fn rotate(&self, r: &Rotation) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let retired = sqlx::query(
            "UPDATE signing_keys SET state = 'retired', retired_at = $1, remove_after = $2 \
             WHERE kid = $3 AND tenant_id = $4 AND alg = $5 AND state = 'active'",
        )
        .bind(r.now)
        .bind(r.remove_after)
        .bind(&r.active_kid)
        .bind(r.tenant_id.to_string())
        .bind(r.alg.as_str())
        .execute(&mut *tx)
        .await?;
        if retired.rows_affected() != 1 {
            return Ok(false);
        }
        let promoted = sqlx::query(
            "UPDATE signing_keys SET state = 'active', activated_at = $1 \
             WHERE kid = $2 AND tenant_id = $3 AND alg = $4 AND state = 'next'",
        )
        .bind(r.now)
        .bind(&r.next_kid)
        .bind(r.tenant_id.to_string())
        .bind(r.alg.as_str())
        .execute(&mut *tx)
        .await?;
        if promoted.rows_affected() != 1 || !insert(&mut *tx, &r.new_next, KeyState::Next).await? {
            return Ok(false);
        }
        // In the audit trail (event webhooks' `key.rotated`), with the rotation.
        let detail = serde_json::json!({
            "alg": r.alg.as_str(),
            "retired": r.active_kid,
            "active": r.next_kid,
            "next": r.new_next.kid,
        });
        let event =
            AuditEvent::system(r.tenant_id, AuditKind::KeyRotated, "success", detail, r.now);
        audit::insert(&mut *tx, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Revokes `kid`, which the caller saw in state `was`. When it was the
    /// active key, the next key signs from now on; `replacement` fills the
    /// slot left empty (next, or active when there was no next to promote).
    /// `Ok(false)` when the key changed state meanwhile.
    pub async fn revoke(
        &self,
        tenant: TenantId,
        kid: &str,
        was: KeyState,
        now: i64,
        replacement: Option<&NewKeyRow>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let revoked = sqlx::query(
            "UPDATE signing_keys SET state = 'revoked', revoked_at = $1 \
             WHERE kid = $2 AND tenant_id = $3 AND state = $4",
        )
        .bind(now)
        .bind(kid)
        .bind(tenant.to_string())
        .bind(was.as_str())
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() != 1 {
            return Ok(false);
        }
        let mut empty_slot = KeyState::Next;
        if was == KeyState::Active {
            if let Some(new) = replacement {
                let promoted = sqlx::query(
                    "UPDATE signing_keys SET state = 'active', activated_at = $1 \
                     WHERE tenant_id = $2 AND alg = $3 AND state = 'next'",
                )
                .bind(now)
                .bind(tenant.to_string())
                .bind(new.alg.as_str())
                .execute(&mut *tx)
                .await?;
                if promoted.rows_affected() == 0 {
                    empty_slot = KeyState::Active;
                }
            }
        }
        if let Some(new) = replacement {
            if !insert(&mut *tx, new, empty_slot).await? {
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Applies `c` all or nothing. `Ok(false)` when a key changed state
    /// meanwhile (the caller reads again).
    pub async fn compromise(&self, c: &Compromise) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        for (kid, was) in
            std::iter::once((&c.kid, c.was)).chain(c.next_kid.iter().map(|k| (k, KeyState::Next)))
        {
            let revoked = sqlx::query(
                "UPDATE signing_keys SET state = 'revoked', revoked_at = $1 \
                 WHERE kid = $2 AND tenant_id = $3 AND state = $4",
            )
            .bind(c.now)
            .bind(kid)
            .bind(c.tenant_id.to_string())
            .bind(was.as_str())
            .execute(&mut *tx)
            .await?;
            if revoked.rows_affected() != 1 {
                return Ok(false);
            }
        }
        for (key, state) in [
            (&c.new_active, KeyState::Active),
            (&c.new_next, KeyState::Next),
        ] {
            if let Some(key) = key {
                if !insert(&mut *tx, key, state).await? {
                    return Ok(false);
                }
            }
        }
        if let Some(event) = &c.rotated {
            audit::insert(&mut *tx, event).await?;
        }
        reported_incidents::insert(&mut tx, &c.incident).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Active keys activated at or before `activated_before`, with their
    /// tenant's settings; the caller decides which are due.
    pub async fn active_since(&self, activated_before: i64) -> Result<Vec<ActiveKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.tenant_id, k.alg, k.kid, k.activated_at, t.settings \
             FROM signing_keys k JOIN tenants t ON t.id = k.tenant_id \
             WHERE k.state = 'active' AND k.activated_at <= $1 \
             ORDER BY k.activated_at, k.kid",
        )
        .bind(activated_before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ActiveKey {
                    tenant_id: tenant_id(row.try_get("tenant_id")?)?,
                    alg: alg(row.try_get("alg")?)?,
                    kid: row.try_get("kid")?,
                    activated_at: row.try_get("activated_at")?,
                    tenant_settings: row.try_get("settings")?,
                })
            })
            .collect()
    }

    /// Deletes retired keys no verifier needs any more; returns how many.
    pub async fn purge_retired(&self, now: i64) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM signing_keys WHERE state = 'retired' AND remove_after <= $1")
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    /// Every key of every tenant, for resealing under a new master key.
    pub async fn all(&self) -> Result<Vec<KeyRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM signing_keys ORDER BY kid"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Swaps a sealed private key, unless someone changed it meanwhile.
    pub async fn replace_sealed(
        &self,
        kid: &str,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE signing_keys SET private_sealed = $1 WHERE kid = $2 AND private_sealed = $3",
        )
        .bind(new)
        .bind(kid)
        .bind(old)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

async fn insert<'e, E>(exec: E, key: &NewKeyRow, state: KeyState) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let activated_at = (state == KeyState::Active).then_some(key.created_at);
    let done = sqlx::query(
        "INSERT INTO signing_keys \
         (kid, tenant_id, alg, state, private_sealed, public_jwk, created_at, activated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&key.kid)
    .bind(key.tenant_id.to_string())
    .bind(key.alg.as_str())
    .bind(state.as_str())
    .bind(&key.private_sealed)
    .bind(&key.public_jwk)
    .bind(key.created_at)
    .bind(activated_at)
    .execute(exec)
    .await;
    match done {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
            Err(StoreError::TenantNotFound)
        }
        Err(e) => Err(e.into()),
    }
}

fn key_from_row(row: &AnyRow) -> Result<KeyRow, StoreError> {
    let kid: String = row.try_get("kid")?;
    let state: String = row.try_get("state")?;
    Ok(KeyRow {
        tenant_id: tenant_id(row.try_get("tenant_id")?)?,
        alg: alg(row.try_get("alg")?)?,
        state: KeyState::parse(&state)
            .map_err(|e| StoreError::Corrupt(format!("signing key {kid}: {e}")))?,
        private_sealed: row.try_get("private_sealed")?,
        public_jwk: row.try_get("public_jwk")?,
        created_at: row.try_get("created_at")?,
        activated_at: row.try_get("activated_at")?,
        retired_at: row.try_get("retired_at")?,
        remove_after: row.try_get("remove_after")?,
        revoked_at: row.try_get("revoked_at")?,
        kid,
    })
}

fn tenant_id(text: String) -> Result<TenantId, StoreError> {
    TenantId::parse(&text).map_err(|_| StoreError::Corrupt(format!("tenant id `{text}`")))
}

fn alg(text: String) -> Result<SigningAlg, StoreError> {
    SigningAlg::parse(&text).map_err(|e| StoreError::Corrupt(format!("signing key: {e}")))
}
