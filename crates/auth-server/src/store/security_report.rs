//! What the daily security report reads (`domain::security_report`): one
//! tenant's `login` and `sentinel` events of a day, and how many of its
//! users have a second factor; which tenants had such events, and which
//! reports were mailed (`security_report_mails`) with the analyst's
//! summary when it wrote one.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::security_report::{MfaAdoption, ReportDay, TrailEvent};
use crate::domain::tenant::TenantId;

#[derive(Clone)]
pub struct SecurityReportStore {
    pool: AnyPool,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    kind: String,
    outcome: String,
    user_id: Option<String>,
    ip: String,
    detail: String,
    created_at: i64,
}

impl SecurityReportStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The tenant's `login` and `sentinel` events of `day`, oldest first.
    pub async fn events(
        &self,
        tenant: TenantId,
        day: ReportDay,
    ) -> Result<Vec<TrailEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT kind, outcome, user_id, ip, detail, created_at FROM audit_events \
             WHERE tenant_id = $1 AND kind IN ('login', 'sentinel') \
             AND created_at >= $2 AND created_at < $3 ORDER BY created_at",
        )
        .bind(tenant.to_string())
        .bind(day.start())
        .bind(day.end())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TrailEvent {
                kind: r.kind,
                outcome: r.outcome,
                user_id: r.user_id,
                ip: r.ip,
                detail: r.detail,
                created_at: r.created_at,
            })
            .collect())
    }

    /// The tenants with a `login` or `sentinel` event on `day`.
    pub async fn tenants_with_events(&self, day: ReportDay) -> Result<Vec<TenantId>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT tenant_id FROM audit_events \
             WHERE kind IN ('login', 'sentinel') AND created_at >= $1 AND created_at < $2 \
             ORDER BY tenant_id",
        )
        .bind(day.start())
        .bind(day.end())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| super::parse_id(row, "tenant_id", |t| TenantId::parse(t).ok()))
            .collect()
    }

    /// Records that the report of `day` is mailed to the tenant's owners;
    /// false when it already was (by this instance or another one).
    pub async fn claim_mail(
        &self,
        tenant: TenantId,
        day: ReportDay,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO security_report_mails (tenant_id, day, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, day) DO NOTHING",
        )
        .bind(tenant.to_string())
        .bind(day.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Keeps the analyst's summary of the tenant's report of `day` with the
    /// record of its mail ([`SecurityReportStore::claim_mail`]).
    pub async fn set_summary(
        &self,
        tenant: TenantId,
        day: ReportDay,
        summary: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE security_report_mails SET summary = $3 WHERE tenant_id = $1 AND day = $2",
        )
        .bind(tenant.to_string())
        .bind(day.to_string())
        .bind(summary)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The analyst's summary of the tenant's report of `day`, if it wrote
    /// one when the report was mailed.
    pub async fn summary(
        &self,
        tenant: TenantId,
        day: ReportDay,
    ) -> Result<Option<String>, StoreError> {
        let summary: Option<Option<String>> = sqlx::query_scalar(
            "SELECT summary FROM security_report_mails WHERE tenant_id = $1 AND day = $2",
        )
        .bind(tenant.to_string())
        .bind(day.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(summary.flatten())
    }

    /// The tenant's users, and those with a confirmed TOTP or a passkey.
    pub async fn mfa_adoption(&self, tenant: TenantId) -> Result<MfaAdoption, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS users, \
             COUNT(CASE WHEN u.mfa_enabled_at IS NOT NULL OR EXISTS \
               (SELECT 1 FROM passkeys p WHERE p.tenant_id = u.tenant_id AND p.user_id = u.id) \
             THEN 1 END) AS with_second_factor \
             FROM users u WHERE u.tenant_id = $1",
        )
        .bind(tenant.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(MfaAdoption {
            with_second_factor: row.try_get("with_second_factor")?,
            users: row.try_get("users")?,
        })
    }
}
