//! What the operators' report across tenants reads
//! (`domain::operator_report`): the tenants, their `login` and `sentinel`
//! events of a day counted by kind and outcome (one aggregate query), their
//! distinct active users in a period (as the usage report counts them:
//! successful logins and issued refresh tokens), which tenants' security
//! reports were mailed; and which days' operator reports were
//! (`operator_report_mails`), with the analyst's summary.
use std::collections::{HashMap, HashSet};

use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::operator_report::{EventCount, TenantName};
use crate::domain::security_report::ReportDay;

#[derive(Clone)]
pub struct OperatorReportStore {
    pool: AnyPool,
}

impl OperatorReportStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Every tenant but `excluded_slug` (the platform's own).
    pub async fn tenants(&self, excluded_slug: &str) -> Result<Vec<TenantName>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, slug, display_name FROM tenants WHERE slug <> $1 ORDER BY slug",
        )
        .bind(excluded_slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TenantName {
                    id: r.try_get("id")?,
                    slug: r.try_get("slug")?,
                    display_name: r.try_get("display_name")?,
                })
            })
            .collect()
    }

    /// The `login` and `sentinel` events of `day`, counted per tenant, kind
    /// and outcome.
    pub async fn event_counts(&self, day: ReportDay) -> Result<Vec<EventCount>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant_id, kind, outcome, COUNT(*) AS n FROM audit_events \
             WHERE kind IN ('login', 'sentinel') AND created_at >= $1 AND created_at < $2 \
             GROUP BY tenant_id, kind, outcome",
        )
        .bind(day.start())
        .bind(day.end())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n")?;
                Ok(EventCount {
                    tenant_id: r.try_get("tenant_id")?,
                    kind: r.try_get("kind")?,
                    outcome: r.try_get("outcome")?,
                    count: u64::try_from(n).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Distinct end users per tenant who logged in or got a refresh token
    /// in `[from, to)`.
    pub async fn active_users(
        &self,
        from: i64,
        to: i64,
    ) -> Result<HashMap<String, u64>, StoreError> {
        // The literals `login` and `success` match the partial index.
        let rows = sqlx::query(
            "SELECT tenant_id, COUNT(DISTINCT user_id) AS n FROM ( \
               SELECT tenant_id, user_id FROM audit_events \
                 WHERE kind = 'login' AND outcome = 'success' AND user_id IS NOT NULL \
                   AND created_at >= $1 AND created_at < $2 \
               UNION ALL \
               SELECT tenant_id, user_id FROM refresh_tokens \
                 WHERE created_at >= $1 AND created_at < $2 \
             ) activity GROUP BY tenant_id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n")?;
                Ok((r.try_get("tenant_id")?, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    /// The tenants whose security report of `day` was mailed.
    pub async fn security_reports_mailed(
        &self,
        day: ReportDay,
    ) -> Result<HashSet<String>, StoreError> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT tenant_id FROM security_report_mails WHERE day = $1")
                .bind(day.to_string())
                .fetch_all(&self.pool)
                .await?;
        Ok(ids.into_iter().collect())
    }

    /// Records that the operators' report of `day` is mailed; false when it
    /// already was.
    pub async fn claim_mail(&self, day: ReportDay, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO operator_report_mails (day, sent_at) VALUES ($1, $2) \
             ON CONFLICT (day) DO NOTHING",
        )
        .bind(day.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_summary(&self, day: ReportDay, summary: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE operator_report_mails SET summary = $2 WHERE day = $1")
            .bind(day.to_string())
            .bind(summary)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The analyst's summary of the operators' report of `day`, if any.
    pub async fn summary(&self, day: ReportDay) -> Result<Option<String>, StoreError> {
        let summary: Option<Option<String>> =
            sqlx::query_scalar("SELECT summary FROM operator_report_mails WHERE day = $1")
                .bind(day.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(summary.flatten())
    }
}
