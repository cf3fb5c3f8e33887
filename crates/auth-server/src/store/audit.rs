//! The audit trail the security monitor reads.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::audit::AuditEvent;
use crate::domain::event_query::{EventCursor, EventFilter};
use crate::domain::tenant::TenantId;

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
        let rows = sqlx::query(
            &format!("SELECT id, {EVENT_COLUMNS} FROM audit_events WHERE tenant_id = $1 \
             AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR user_id = $3) AND ($4 IS NULL OR ip = $4) \
             AND created_at >= $5 AND created_at < $6 \
             AND (created_at < $7 OR (created_at = $7 AND id > $8)) \
             ORDER BY created_at DESC, id LIMIT $9"),
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
        .await?;
        rows.iter()
            .map(|row| {
                let event = event_of(row)?;
                let cursor = EventCursor {
                    created_at: event.created_at,
                    id: row.try_get("id")?,
                };
                Ok((cursor, event))
            })
            .collect()
    }

    /// The tenant's newest events first.
    pub async fn recent(
        &self,
        tenant: TenantId,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events \
             WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind(tenant.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_of).collect()
    }
}

/// The columns [`event_of`] reads.
pub(super) const EVENT_COLUMNS: &str =
    "tenant_id, user_id, kind, outcome, ip, user_agent, detail, account, created_at";

/// The event of a row that holds [`EVENT_COLUMNS`].
pub(super) fn event_of(row: &AnyRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        tenant_id: row.try_get("tenant_id")?,
        user_id: row.try_get("user_id")?,
        kind: row.try_get("kind")?,
        outcome: row.try_get("outcome")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        detail: row.try_get("detail")?,
        account: row.try_get("account")?,
        created_at: row.try_get("created_at")?,
    })
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
