//! Users table. Every query filters on the tenant.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::{StoreError, UniqueRule};
use crate::domain::display_name::DisplayName;
use crate::domain::email::Email;
use crate::domain::tenant::TenantId;
use crate::domain::user::{User, UserId, UserMetadata, Username};
use crate::domain::user_import::ImportedUser;
use service_kit::paging::{Page, PageRequest};

const COLUMNS: &str =
    "id, tenant_id, email, email_normalized, username, display_name, password_hash, \
email_verified_at, metadata, totp_secret, totp_last_step, totp_pending_until, mfa_enabled_at, created_at, updated_at, \
last_login_at, disabled_at";

/// One account per email in a tenant (migrations name the rules).
const EMAIL_RULE: UniqueRule = UniqueRule {
    name: "users_tenant_email",
    sqlite_columns: "users.tenant_id, users.email_normalized",
};
const USERNAME_RULE: UniqueRule = UniqueRule {
    name: "users_tenant_username",
    sqlite_columns: "users.tenant_id, users.username",
};

pub struct NewUser {
    pub tenant_id: TenantId,
    pub email: Email,
    pub username: Option<Username>,
    pub display_name: DisplayName,
    /// None for an account made through an upstream provider.
    pub password_hash: Option<String>,
    pub metadata: UserMetadata,
}

/// A user as a password login reads them ([`UserStore::find_for_login`]).
pub struct LoginAccount {
    pub user: User,
    /// Until when the account is marked as under attack (step-up).
    pub step_up_until: Option<i64>,
}

#[derive(Clone)]
pub struct UserStore {
    pool: AnyPool,
}

impl UserStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn create(&self, new: NewUser, now: i64) -> Result<User, StoreError> {
        let user = User {
            id: UserId::new(),
            tenant_id: new.tenant_id,
            email: new.email,
            username: new.username,
            display_name: new.display_name,
            password_hash: new.password_hash,
            email_verified_at: None,
            metadata: new.metadata,
            totp_secret: None,
            totp_last_step: None,
            totp_pending_until: None,
            mfa_enabled_at: None,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            disabled_at: None,
        };
        let inserted = sqlx::query(
            "INSERT INTO users (id, tenant_id, email, email_normalized, username, display_name, \
             password_hash, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(user.id.to_string())
        .bind(user.tenant_id.to_string())
        .bind(user.email.address())
        .bind(user.email.normalized())
        .bind(user.username.as_ref().map(|u| u.as_ref().to_owned()))
        .bind(user.display_name.as_ref())
        .bind(user.password_hash.clone())
        .bind(user.metadata.to_json())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(user),
            Err(e) if EMAIL_RULE.broken_by(&e) => Err(StoreError::EmailTaken),
            // The engine may check the username first: a taken email still
            // wins, so the answer never depends on which rule it checked.
            Err(e) if USERNAME_RULE.broken_by(&e) => {
                match self.find_by_email(user.tenant_id, &user.email).await? {
                    Some(_) => Err(StoreError::EmailTaken),
                    None => Err(StoreError::UsernameTaken),
                }
            }
            Err(e) => Err(StoreError::Database(e)),
        }
    }

    /// Creates the imported users in one transaction; an address that
    /// already has an account in the tenant is left as it is. Answers how
    /// many were created and how many already existed.
    pub async fn import(
        &self,
        tenant: TenantId,
        users: &[ImportedUser],
        now: i64,
    ) -> Result<(u64, u64), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut created = 0;
        for u in users {
            let done = sqlx::query(
                "INSERT INTO users (id, tenant_id, email, email_normalized, display_name, \
                 password_hash, email_verified_at, metadata, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8, $8) \
                 ON CONFLICT (tenant_id, email_normalized) DO NOTHING",
            )
            .bind(UserId::new().to_string())
            .bind(tenant.to_string())
            .bind(u.email.address())
            .bind(u.email.normalized())
            .bind(u.display_name.as_ref())
            .bind(u.password_hash.clone())
            .bind(u.email_verified.then_some(now))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            created += done.rows_affected();
        }
        tx.commit().await?;
        Ok((created, users.len() as u64 - created))
    }

    pub async fn find_by_email(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<User>, StoreError> {
        self.find_by(tenant, "email_normalized", email.normalized())
            .await
    }

    /// What a password login needs of the account with this email, in one
    /// read: the user, and until when the sentinel's step-up mark on them
    /// lasts (`step_up_marks`), if they have one.
    pub async fn find_for_login(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<LoginAccount>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, (SELECT m.expires_at FROM step_up_marks m \
             WHERE m.tenant_id = users.tenant_id AND m.user_id = users.id) AS step_up_until \
             FROM users WHERE tenant_id = $1 AND email_normalized = $2"
        ))
        .bind(tenant.to_string())
        .bind(email.normalized())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(LoginAccount {
                user: user_from_row(&row)?,
                step_up_until: row.try_get("step_up_until")?,
            })
        })
        .transpose()
    }

    pub async fn get(&self, tenant: TenantId, id: UserId) -> Result<User, StoreError> {
        self.find_by(tenant, "id", &id.to_string())
            .await?
            .ok_or(StoreError::UserNotFound)
    }

    /// The tenant's user whose `column` (one unique in a tenant) is `value`.
    async fn find_by(
        &self,
        tenant: TenantId,
        column: &'static str,
        value: &str,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND {column} = $2"
        ))
        .bind(tenant.to_string())
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// A password reset: sets the password hash (a PHC string) and ends
    /// every session of the user, in one transaction that first writes the
    /// user's row, as opening a session does ([`SessionStore::open`]). So
    /// no login that checked the old password keeps a session: it opened
    /// before, and ends here, or it comes after and finds the new hash.
    /// The handles of the sessions ended; `UserNotFound` when the user is
    /// not the tenant's.
    ///
    /// [`SessionStore::open`]: super::sessions::SessionStore::open
    pub async fn reset_password(
        &self,
        tenant: TenantId,
        id: UserId,
        phc: &str,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(phc)
        .bind(now)
        .bind(&tenant)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        found(done.rows_affected())?;
        let ended = sqlx::query(
            "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 RETURNING handle",
        )
        .bind(&tenant)
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?;
        let ended = super::sessions::handles(&ended)?;
        tx.commit().await?;
        super::local_changes::user_changed();
        Ok(ended)
    }

    /// Replaces the password hash `old` with `new`, a hash of the same
    /// password under the current parameters, only if `old` is still the
    /// hash: a reset that landed since the login read it is never undone.
    /// Whether it replaced it.
    pub async fn upgrade_password_hash(
        &self,
        tenant: TenantId,
        id: UserId,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3 \
             AND password_hash = $4",
        )
        .bind(new)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(old)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mark_email_verified(
        &self,
        tenant: TenantId,
        id: UserId,
        now: i64,
    ) -> Result<(), StoreError> {
        self.stamp_first("email_verified_at", now, tenant, id)
            .await?;
        Ok(())
    }

    pub async fn record_login(
        &self,
        tenant: TenantId,
        id: UserId,
        now: i64,
    ) -> Result<(), StoreError> {
        self.stamp(
            "UPDATE users SET last_login_at = $1 WHERE tenant_id = $2 AND id = $3",
            now,
            tenant,
            id,
        )
        .await?;
        Ok(())
    }

    /// Turns the user's second factor off: the TOTP seed (confirmed or
    /// pending), its last step and the recovery codes go, in one
    /// transaction. `UserNotFound` when the user is not the tenant's.
    pub async fn reset_mfa(
        &self,
        tenant: TenantId,
        id: UserId,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_last_step = NULL, totp_pending_until = NULL, \
             mfa_enabled_at = NULL, updated_at = $1 WHERE tenant_id = $2 AND id = $3",
        )
        .bind(now)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UserNotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps a not-yet-confirmed TOTP seed (sealed) until `until`,
    /// replacing any earlier one.
    pub async fn set_pending_totp(
        &self,
        tenant: TenantId,
        id: UserId,
        sealed: &str,
        until: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_last_step = NULL, totp_pending_until = $2, \
             updated_at = $3 WHERE tenant_id = $4 AND id = $5 AND mfa_enabled_at IS NULL",
        )
        .bind(sealed)
        .bind(until)
        .bind(now)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Turns MFA on with the pending seed `sealed`, the one whose code was
    /// checked: false, and nothing changes, when MFA is already on or the
    /// pending seed is another by now (a second enrolment started, or the
    /// second factor was reset, since it was read). One conditional UPDATE,
    /// so MFA is never turned on with a seed the user's authenticator does
    /// not hold.
    pub async fn enable_mfa(
        &self,
        tenant: TenantId,
        id: UserId,
        sealed: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET mfa_enabled_at = $1, totp_pending_until = NULL, updated_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND totp_secret = $4 AND mfa_enabled_at IS NULL",
        )
        .bind(now)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Accepts TOTP time step `step` once: true only if it is later than any
    /// step used before. One conditional UPDATE, so two racing requests with
    /// the same code cannot both win.
    pub async fn use_totp_step(
        &self,
        tenant: TenantId,
        id: UserId,
        step: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE tenant_id = $2 AND id = $3 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Runs `sql`, whose parameters are `$1` now, `$2` tenant, `$3` user;
    /// how many rows it changed.
    async fn stamp(
        &self,
        sql: &str,
        now: i64,
        tenant: TenantId,
        id: UserId,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(sql)
            .bind(now)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// [`Self::stamp`] for a change userinfo shows or a disabling: this
    /// process's user-change count moves (see `local_changes`), even when
    /// no row changed.
    async fn stamp_user_change(
        &self,
        sql: &str,
        now: i64,
        tenant: TenantId,
        id: UserId,
    ) -> Result<u64, StoreError> {
        let changed = self.stamp(sql, now, tenant, id).await?;
        super::local_changes::user_changed();
        Ok(changed)
    }

    /// Sets the date `column` (one of this store's own names, never input)
    /// to `now` unless it has one: the first date is kept. A change userinfo
    /// shows or a disabling ([`Self::stamp_user_change`]).
    async fn stamp_first(
        &self,
        column: &'static str,
        now: i64,
        tenant: TenantId,
        id: UserId,
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "UPDATE users SET {column} = COALESCE({column}, $1), updated_at = $1 \
             WHERE tenant_id = $2 AND id = $3"
        );
        self.stamp_user_change(&sql, now, tenant, id).await
    }

    /// The tenant's users in email order, a page at a time: the search of no prefix.
    pub async fn list(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError> {
        self.search(tenant, "", page).await
    }

    /// The tenant's users whose normalized email starts with `prefix`
    /// (already lowercased), in email order, a page at a time.
    pub async fn search(
        &self,
        tenant: TenantId,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError> {
        let escaped: String = prefix
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND email_normalized > $2 \
             AND email_normalized LIKE $4 ESCAPE '\\' ORDER BY email_normalized LIMIT $3"
        ))
        .bind(tenant.to_string())
        .bind(page.after().unwrap_or(""))
        .bind(page.size().fetch())
        .bind(format!("{escaped}%"))
        .fetch_all(&self.pool)
        .await?;
        Page::from_rows(&rows, page.size(), user_from_row, |u| {
            u.email.normalized().to_owned()
        })
    }

    /// Enables the user again: they may log in (nothing ended is restored).
    pub async fn enable(&self, tenant: TenantId, id: UserId, now: i64) -> Result<(), StoreError> {
        let changed = self
            .stamp_user_change(
                "UPDATE users SET disabled_at = NULL, updated_at = $1 WHERE tenant_id = $2 AND id = $3",
                now,
                tenant,
                id,
            )
            .await?;
        found(changed)
    }

    /// Disables the user (keeps the first date when already disabled).
    pub async fn disable(&self, tenant: TenantId, id: UserId, now: i64) -> Result<(), StoreError> {
        found(self.stamp_first("disabled_at", now, tenant, id).await?)
    }

    pub async fn count(&self, tenant: TenantId) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}

/// `UserNotFound` when a write on one user changed no row.
fn found(changed: u64) -> Result<(), StoreError> {
    if changed == 0 {
        return Err(StoreError::UserNotFound);
    }
    Ok(())
}

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("user {id}: {what}"));
    let tenant_id: String = row.try_get("tenant_id")?;
    let metadata: String = row.try_get("metadata")?;
    let metadata = serde_json::from_str(&metadata)
        .ok()
        .and_then(|v| UserMetadata::parse(v).ok())
        .ok_or_else(|| corrupt("metadata"))?;
    Ok(User {
        id: UserId::parse(&id).ok_or_else(|| corrupt("id"))?,
        tenant_id: TenantId::parse(&tenant_id).map_err(|_| corrupt("tenant id"))?,
        email: Email::from_trusted(row.try_get("email")?, row.try_get("email_normalized")?),
        username: row
            .try_get::<Option<String>, _>("username")?
            .map(Username::from_trusted),
        display_name: DisplayName::from_trusted(row.try_get("display_name")?),
        password_hash: row.try_get("password_hash")?,
        email_verified_at: row.try_get("email_verified_at")?,
        metadata,
        totp_secret: row.try_get("totp_secret")?,
        totp_last_step: row.try_get("totp_last_step")?,
        totp_pending_until: row.try_get("totp_pending_until")?,
        mfa_enabled_at: row.try_get("mfa_enabled_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        last_login_at: row.try_get("last_login_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}
