//! Refresh tokens: opaque, stored as digests, rotated at every use.
use std::sync::LazyLock;

use service_kit::db::Engine;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};

use super::{parse_id, StoreError};
use crate::domain::client::ClientId;
use crate::domain::grant::GrantId;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    pub tenant_id: TenantId,
    pub grant_id: GrantId,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub scope: String,
    pub resource: Option<String>,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub family_expires_at: i64,
    pub idle_expires_at: i64,
    pub used_at: Option<i64>,
    pub retry_response: Option<String>,
    pub retry_until: Option<i64>,
}

impl RefreshRecord {
    /// When the token stops working: at its idle expiry or its family's
    /// absolute one, whichever comes first. The one expiry rule for refresh
    /// tokens (the refresh grant and introspection both use it).
    pub fn expires_at(&self) -> i64 {
        self.idle_expires_at.min(self.family_expires_at)
    }
}

/// A stored refresh token, whether its grant is live (by the rule of
/// [`GrantStore::is_live`]: the grant exists, is not revoked, and its client
/// is not disabled) and whether its user may still log in (exists, not
/// disabled), read in one statement.
///
/// [`GrantStore::is_live`]: super::grants::GrantStore::is_live
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRefresh {
    pub record: RefreshRecord,
    pub grant_live: bool,
    pub user_live: bool,
}

const COLUMNS: &str =
    "tenant_id, grant_id, client_id, user_id, scope, resource, auth_time, amr, created_at, \
family_expires_at, idle_expires_at, used_at, retry_response, retry_until";

/// The token by digest, joined with its grant and the grant's client (built
/// once: it runs on every refresh).
static FIND: LazyLock<String> = LazyLock::new(|| {
    let columns = COLUMNS
        .split(',')
        .map(|c| format!("r.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {columns}, g.id AS found_grant, g.revoked_at AS grant_revoked_at, \
         c.id AS grant_client, c.disabled_at AS client_disabled_at, \
         u.id AS found_user, u.disabled_at AS user_disabled_at \
         FROM refresh_tokens r \
         LEFT JOIN oauth_grants g ON g.id = r.grant_id AND g.tenant_id = r.tenant_id \
         LEFT JOIN clients c ON c.id = g.client_id AND c.tenant_id = g.tenant_id \
         LEFT JOIN users u ON u.id = r.user_id AND u.tenant_id = r.tenant_id \
         WHERE r.token_hash = $1 AND r.tenant_id = $2"
    )
});

/// The columns a new token is stored with, in the order [`bind_new`] binds them.
const NEW_COLUMNS: &str = "token_hash, tenant_id, grant_id, client_id, user_id, scope, resource, \
auth_time, amr, created_at, family_expires_at, idle_expires_at";

const INSERT: &str =
    "INSERT INTO refresh_tokens (token_hash, tenant_id, grant_id, client_id, user_id, \
scope, resource, auth_time, amr, created_at, family_expires_at, idle_expires_at) \
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

const CLAIM: &str = "UPDATE refresh_tokens SET used_at = $1, retry_until = $2, \
retry_response = $3 WHERE token_hash = $4 AND used_at IS NULL";

/// PostgreSQL: the claim of the spent token and the insert of its successor
/// in one statement (one round trip, one commit); the insert happens only when
/// the claim did.
static ROTATE_PG: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH claimed AS ({CLAIM} RETURNING token_hash) \
         INSERT INTO refresh_tokens ({NEW_COLUMNS}) \
         SELECT $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 FROM claimed"
    )
});

/// Binds a new token's values in the order of [`NEW_COLUMNS`].
fn bind_new<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    digest: &'q str,
    r: &'q RefreshRecord,
) -> Query<'q, Any, AnyArguments<'q>> {
    query
        .bind(digest)
        .bind(r.tenant_id.to_string())
        .bind(r.grant_id.to_string())
        .bind(r.client_id.as_ref())
        .bind(r.user_id.to_string())
        .bind(&r.scope)
        .bind(r.resource.as_deref())
        .bind(r.auth_time)
        .bind(&r.amr)
        .bind(r.created_at)
        .bind(r.family_expires_at)
        .bind(r.idle_expires_at)
}

/// A rotation's replay window: until when the spent token may be presented
/// again, and the response (sealed) it then gets. Stored in the same write
/// that spends the token, so an instance that dies after that write leaves
/// a retry its answer, not a token spent for nothing.
pub struct ReplayWindow<'a> {
    pub until: i64,
    pub sealed_response: &'a str,
}

#[derive(Clone)]
pub struct RefreshTokenStore {
    pool: AnyPool,
    engine: Engine,
}

impl RefreshTokenStore {
    pub fn new(pool: AnyPool, engine: Engine) -> Self {
        Self { pool, engine }
    }

    pub async fn insert(&self, digest: &str, r: &RefreshRecord) -> Result<(), StoreError> {
        bind_new(sqlx::query(INSERT), digest, r)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Spends the token `spent` and stores its successor `next` under
    /// `digest`, atomically: true only for the first caller, and a caller
    /// that loses stores nothing. `retry_until` (the end of the spent token's
    /// replay window, if any) is fixed in the same write, so a concurrent
    /// second use already sees it.
    pub async fn rotate(
        &self,
        spent: &str,
        now: i64,
        replay: Option<ReplayWindow<'_>>,
        digest: &str,
        next: &RefreshRecord,
    ) -> Result<bool, StoreError> {
        let retry_until = replay.as_ref().map(|r| r.until);
        let retry_response = replay.as_ref().map(|r| r.sealed_response);
        match self.engine {
            Engine::Postgres => {
                let query = sqlx::query(&ROTATE_PG)
                    .bind(now)
                    .bind(retry_until)
                    .bind(retry_response)
                    .bind(spent);
                let done = bind_new(query, digest, next).execute(&self.pool).await?;
                Ok(done.rows_affected() == 1)
            }
            // SQLite has no data-modifying CTE: one transaction, one commit.
            Engine::Sqlite => {
                let mut tx = self.pool.begin().await?;
                let claimed = sqlx::query(CLAIM)
                    .bind(now)
                    .bind(retry_until)
                    .bind(retry_response)
                    .bind(spent)
                    .execute(&mut *tx)
                    .await?;
                if claimed.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                bind_new(sqlx::query(INSERT), digest, next)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    }

    pub async fn find(
        &self,
        tenant: TenantId,
        digest: &str,
    ) -> Result<Option<FoundRefresh>, StoreError> {
        let row = sqlx::query(&FIND)
            .bind(digest)
            .bind(tenant.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let grant_live = row.try_get::<Option<String>, _>("found_grant")?.is_some()
            && row.try_get::<Option<String>, _>("grant_client")?.is_some()
            && row.try_get::<Option<i64>, _>("grant_revoked_at")?.is_none()
            && row
                .try_get::<Option<i64>, _>("client_disabled_at")?
                .is_none();
        let user_live = row.try_get::<Option<String>, _>("found_user")?.is_some()
            && row.try_get::<Option<i64>, _>("user_disabled_at")?.is_none();
        Ok(Some(FoundRefresh {
            record: record_from_row(&row)?,
            grant_live,
            user_live,
        }))
    }
}

fn record_from_row(row: &AnyRow) -> Result<RefreshRecord, StoreError> {
    Ok(RefreshRecord {
        tenant_id: parse_id(row, "tenant_id", |s| TenantId::parse(s).ok())?,
        grant_id: parse_id(row, "grant_id", GrantId::parse)?,
        client_id: parse_id(row, "client_id", |s| ClientId::parse(s).ok())?,
        user_id: parse_id(row, "user_id", UserId::parse)?,
        scope: row.try_get("scope")?,
        resource: row.try_get("resource")?,
        auth_time: row.try_get("auth_time")?,
        amr: row.try_get("amr")?,
        created_at: row.try_get("created_at")?,
        family_expires_at: row.try_get("family_expires_at")?,
        idle_expires_at: row.try_get("idle_expires_at")?,
        used_at: row.try_get("used_at")?,
        retry_response: row.try_get("retry_response")?,
        retry_until: row.try_get("retry_until")?,
    })
}
