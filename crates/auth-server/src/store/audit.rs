//! The audit trail the security monitor reads.
use sqlx::AnyPool;

use super::StoreError;
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
    pub created_at: i64,
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
        sqlx::query(
            "INSERT INTO audit_events (id, tenant_id, user_id, kind, outcome, ip, user_agent, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&e.tenant_id)
        .bind(e.user_id.clone())
        .bind(&e.kind)
        .bind(&e.outcome)
        .bind(&e.ip)
        .bind(&e.user_agent)
        .bind(&e.detail)
        .bind(e.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's newest events first.
    pub async fn recent(
        &self,
        tenant: TenantId,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT tenant_id, user_id, kind, outcome, ip, user_agent, detail, created_at FROM audit_events \
             WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(tenant.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
