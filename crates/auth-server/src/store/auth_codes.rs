//! Authorization codes: single use, short-lived, bound to client, redirect
//! URI and PKCE challenge.
use std::sync::LazyLock;

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use service_kit::db::Engine;

use super::{parse_id, StoreError};
use crate::domain::client::ClientId;
use crate::domain::grant::GrantId;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCode {
    pub tenant_id: TenantId,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub grant_id: GrantId,
    pub session_handle: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub resource: Option<String>,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Whether the exchange gives a refresh token, as decided at the
    /// authorization (a hint: the exchange checks the rule again).
    pub issue_refresh: bool,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// Redeemed now, with what must still hold of it, read in the same
    /// statement.
    Redeemed {
        code: Box<AuthCode>,
        live: CodeLiveness,
        /// The first refresh token was stored with the redemption (see
        /// [`FirstRefresh`]).
        refresh_stored: bool,
    },
    /// Already used: the caller revokes what it produced.
    Replayed {
        grant_id: GrantId,
    },
    Expired,
    Unknown,
}

/// What a redeemed code's tokens need to be still true, read in the
/// statement that redeems it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLiveness {
    /// [`GrantStore::is_live`] of its grant.
    ///
    /// [`GrantStore::is_live`]: super::grants::GrantStore::is_live
    pub grant: bool,
    /// Its user exists and is not disabled.
    pub user: bool,
    /// The session it was issued from is still there. A logout or a
    /// password reset that ends the session while the code is being made
    /// may revoke the session's grants a moment before this one is stored;
    /// its code is then refused here.
    pub session: bool,
}

impl CodeLiveness {
    fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            grant: row.try_get::<i64, _>("live_grants")? > 0,
            user: row.try_get::<i64, _>("live_users")? > 0,
            session: row.try_get::<i64, _>("live_sessions")? > 0,
        })
    }
}

#[derive(Clone)]
pub struct AuthCodeStore {
    pool: AnyPool,
    engine: Engine,
}

const COLUMNS: &str =
    "tenant_id, client_id, user_id, grant_id, session_handle, redirect_uri, scope, nonce, \
code_challenge, resource, auth_time, amr, created_at, expires_at, issue_refresh";

/// The first refresh token of an exchange, stored in the statement that
/// redeems the code when the code says it gets one and the exchange names
/// the code's client and redirect URI. The caller removes it
/// ([`AuthCodeStore::forget_refresh`]) if a later check refuses the exchange.
pub struct FirstRefresh<'a> {
    pub digest: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub family_expires_at: i64,
    pub idle_expires_at: i64,
}

/// The liveness of the code's grant, user and session ([`CodeLiveness`]), as
/// sub-selects over `table`.
fn liveness(table: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM oauth_grants g \
          JOIN clients c ON c.id = g.client_id AND c.tenant_id = g.tenant_id \
          WHERE g.id = {table}.grant_id AND g.tenant_id = {table}.tenant_id \
          AND g.revoked_at IS NULL AND c.disabled_at IS NULL) AS live_grants, \
         (SELECT COUNT(*) FROM users u WHERE u.id = {table}.user_id \
          AND u.tenant_id = {table}.tenant_id AND u.disabled_at IS NULL) AS live_users, \
         (SELECT COUNT(*) FROM sessions s WHERE s.tenant_id = {table}.tenant_id \
          AND s.user_id = {table}.user_id AND s.handle = {table}.session_handle) AS live_sessions"
    )
}

const CLAIM_CODE: &str = "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 \
AND tenant_id = $3 AND used_at IS NULL AND expires_at > $1";

/// PostgreSQL: the redemption and the first refresh token in one statement
/// (one round trip, one commit).
static REDEEM_WITH_REFRESH_PG: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH redeemed AS ({CLAIM_CODE} RETURNING {COLUMNS}), \
         stored AS (INSERT INTO refresh_tokens (token_hash, tenant_id, grant_id, client_id, user_id, \
           scope, resource, auth_time, amr, created_at, family_expires_at, idle_expires_at) \
           SELECT $4, tenant_id, grant_id, client_id, user_id, scope, resource, auth_time, amr, \
           $1, $5, $6 FROM redeemed \
           WHERE issue_refresh = 1 AND client_id = $7 AND redirect_uri = $8 RETURNING token_hash) \
         SELECT {COLUMNS}, {}, (SELECT COUNT(*) FROM stored) AS refresh_stored FROM redeemed",
        liveness("redeemed")
    )
});

const INSERT_FIRST_REFRESH: &str = "INSERT INTO refresh_tokens (token_hash, tenant_id, grant_id, \
client_id, user_id, scope, resource, auth_time, amr, created_at, family_expires_at, idle_expires_at) \
SELECT $1, tenant_id, grant_id, client_id, user_id, scope, resource, auth_time, amr, $2, $3, $4 \
FROM authorization_codes WHERE code_hash = $5 AND tenant_id = $6 AND issue_refresh = 1 \
AND client_id = $7 AND redirect_uri = $8";

/// Marks a live, unused code used and returns it with its liveness (the
/// counts behind [`CodeLiveness`]), so a code exchange reads all of it in
/// one statement (built once: it runs on every code exchange).
static REDEEM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{CLAIM_CODE} RETURNING {COLUMNS}, {}",
        liveness("authorization_codes")
    )
});

impl AuthCodeStore {
    pub fn new(pool: AnyPool, engine: Engine) -> Self {
        Self { pool, engine }
    }

    pub async fn insert(&self, digest: &str, c: &AuthCode) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO authorization_codes (code_hash, {COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(digest)
        .bind(c.tenant_id.to_string())
        .bind(c.client_id.as_ref())
        .bind(c.user_id.to_string())
        .bind(c.grant_id.to_string())
        .bind(&c.session_handle)
        .bind(&c.redirect_uri)
        .bind(&c.scope)
        .bind(c.nonce.clone())
        .bind(c.code_challenge.clone())
        .bind(c.resource.clone())
        .bind(c.auth_time)
        .bind(&c.amr)
        .bind(c.created_at)
        .bind(c.expires_at)
        .bind(i64::from(c.issue_refresh))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses the code: one conditional UPDATE, so only one redemption wins;
    /// it returns the code, so the common case is one statement. A code it
    /// did not redeem is read again to tell a replay from an expiry.
    pub async fn redeem(
        &self,
        tenant: TenantId,
        digest: &str,
        now: i64,
        refresh: &FirstRefresh<'_>,
    ) -> Result<Redemption, StoreError> {
        let redeemed = match self.engine {
            Engine::Postgres => {
                sqlx::query(&REDEEM_WITH_REFRESH_PG)
                    .bind(now)
                    .bind(digest)
                    .bind(tenant.to_string())
                    .bind(refresh.digest)
                    .bind(refresh.family_expires_at)
                    .bind(refresh.idle_expires_at)
                    .bind(refresh.client_id)
                    .bind(refresh.redirect_uri)
                    .fetch_optional(&self.pool)
                    .await?
            }
            // SQLite has no data-modifying CTE: one transaction, one commit.
            Engine::Sqlite => {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(&REDEEM)
                    .bind(now)
                    .bind(digest)
                    .bind(tenant.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                let stored = match &row {
                    Some(_) => sqlx::query(INSERT_FIRST_REFRESH)
                        .bind(refresh.digest)
                        .bind(now)
                        .bind(refresh.family_expires_at)
                        .bind(refresh.idle_expires_at)
                        .bind(digest)
                        .bind(tenant.to_string())
                        .bind(refresh.client_id)
                        .bind(refresh.redirect_uri)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected(),
                    None => 0,
                };
                tx.commit().await?;
                return match row {
                    Some(row) => Ok(Redemption::Redeemed {
                        code: Box::new(code_from_row(&row)?),
                        live: CodeLiveness::from_row(&row)?,
                        refresh_stored: stored == 1,
                    }),
                    None => self.not_redeemed(tenant, digest).await,
                };
            }
        };
        if let Some(row) = redeemed {
            return Ok(Redemption::Redeemed {
                code: Box::new(code_from_row(&row)?),
                live: CodeLiveness::from_row(&row)?,
                refresh_stored: row.try_get::<i64, _>("refresh_stored")? > 0,
            });
        }
        self.not_redeemed(tenant, digest).await
    }

    /// Removes a first refresh token stored with a redemption that a later
    /// check refused.
    pub async fn forget_refresh(&self, digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM refresh_tokens WHERE token_hash = $1")
            .bind(digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A code that was not redeemed now: a replay or an expiry, or unknown.
    async fn not_redeemed(&self, tenant: TenantId, digest: &str) -> Result<Redemption, StoreError> {
        let row = sqlx::query(
            "SELECT grant_id, used_at FROM authorization_codes WHERE code_hash = $1 AND tenant_id = $2",
        )
        .bind(digest)
        .bind(tenant.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Redemption::Unknown);
        };
        Ok(if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
            Redemption::Replayed {
                grant_id: parse_id(&row, "grant_id", GrantId::parse)?,
            }
        } else {
            Redemption::Expired
        })
    }
}

fn code_from_row(row: &AnyRow) -> Result<AuthCode, StoreError> {
    Ok(AuthCode {
        tenant_id: parse_id(row, "tenant_id", |s| TenantId::parse(s).ok())?,
        client_id: parse_id(row, "client_id", |s| ClientId::parse(s).ok())?,
        user_id: parse_id(row, "user_id", UserId::parse)?,
        grant_id: parse_id(row, "grant_id", GrantId::parse)?,
        session_handle: row.try_get("session_handle")?,
        redirect_uri: row.try_get("redirect_uri")?,
        scope: row.try_get("scope")?,
        nonce: row.try_get("nonce")?,
        code_challenge: row.try_get("code_challenge")?,
        resource: row.try_get("resource")?,
        auth_time: row.try_get("auth_time")?,
        amr: row.try_get("amr")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        issue_refresh: row.try_get::<i64, _>("issue_refresh")? != 0,
    })
}
