//! The audit trail the security monitor reads.
use sqlx::AnyPool;

use super::StoreError;
use crate::domain::event_query::{EventCursor, EventFilter};
use crate::domain::tenant::TenantId;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEvent {
    pub tenant_id: String,
    pub user_id: Option<String>,
    /// e.g. `login`, `signup`, `lockout`, `password_reset`, `mfa_enrolled`, `session_end`.
    pub kind: String,
    /// `success` or `failure` (or another word the kind defines).
    pub outcome: String,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
    /// Which account a login attempt was for: a digest, never the email
    /// typed (`identity::login::account_digest`).
    pub account: Option<String>,
    pub created_at: i64,
}

impl AuditEvent {
    /// An event no request made (an operator's change, a background task's
    /// decision): no address, no user agent, no account; `user_id` unset
    /// until [`AuditEvent::about`] names one.
    pub fn system(
        tenant_id: impl ToString,
        kind: &str,
        outcome: &str,
        detail: impl ToString,
        created_at: i64,
    ) -> Self {
        Self {
            tenant_id: tenant_id.to_string(),
            user_id: None,
            kind: kind.to_owned(),
            outcome: outcome.to_owned(),
            ip: String::new(),
            user_agent: String::new(),
            detail: detail.to_string(),
            account: None,
            created_at,
        }
    }

    /// The same event, about `user`.
    pub fn about(self, user: Option<impl ToString>) -> Self {
        Self {
            user_id: user.map(|u| u.to_string()),
            ..self
        }
    }
}

#[derive(Clone)]
pub struct AuditStore {
    pool: AnyPool,
}

impl AuditStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn insert(&self, e: &AuditEvent) -> Result<(), StoreError> {
        insert(&self.pool, e).await
    }

    /// The tenant's events that pass `filter`, newest first, after `after`
    /// (the end of the previous page), at most `limit`; each with its cursor.
    pub async fn search(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        after: Option<&EventCursor>,
        limit: i64,
    ) -> Result<Vec<(EventCursor, AuditEvent)>, StoreError> {
        let rows: Vec<(String, AuditEvent)> = sqlx::query_as::<_, SearchRow>(
            "SELECT id, tenant_id, user_id, kind, outcome, ip, user_agent, detail, account, created_at \
             FROM audit_events WHERE tenant_id = $1 \
             AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR user_id = $3) AND ($4 IS NULL OR ip = $4) \
             AND created_at >= $5 AND created_at < $6 \
             AND (created_at < $7 OR (created_at = $7 AND id > $8)) \
             ORDER BY created_at DESC, id LIMIT $9",
        )
        .bind(tenant.to_string())
        .bind(filter.kind.clone())
        .bind(filter.user_id.clone())
        .bind(filter.ip.clone())
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.until.unwrap_or(i64::MAX))
        .bind(after.map_or(i64::MAX, |c| c.created_at))
        .bind(after.map_or(String::new(), |c| c.id.clone()))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(SearchRow::split)
        .collect();
        Ok(rows
            .into_iter()
            .map(|(id, e)| {
                (
                    EventCursor {
                        created_at: e.created_at,
                        id,
                    },
                    e,
                )
            })
            .collect())
    }

    /// The tenant's newest events first.
    pub async fn recent(
        &self,
        tenant: TenantId,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT tenant_id, user_id, kind, outcome, ip, user_agent, detail, account, created_at FROM audit_events \
             WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(tenant.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[derive(sqlx::FromRow)]
struct SearchRow {
    id: String,
    #[sqlx(flatten)]
    event: AuditEvent,
}

impl SearchRow {
    fn split(self) -> (String, AuditEvent) {
        (self.id, self.event)
    }
}

/// Writes `e` through `exec`: the pool, or a transaction the event belongs to
/// (a key rotation writes its event in the rotation's transaction).
pub(super) async fn insert<'e, E>(exec: E, e: &AuditEvent) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_events (id, tenant_id, user_id, kind, outcome, ip, user_agent, detail, account, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&e.tenant_id)
    .bind(e.user_id.clone())
    .bind(&e.kind)
    .bind(&e.outcome)
    .bind(&e.ip)
    .bind(&e.user_agent)
    .bind(&e.detail)
    .bind(e.account.clone())
    .bind(e.created_at)
    .execute(exec)
    .await?;
    Ok(())
}
