//! The AI analyst's triage notes of incidents (`incident_notes`), and the
//! incidents still without one: the `sentinel` audit events that open an
//! incident (a detector's name, or `client_secret_compromised`).
use std::collections::HashMap;

use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;

/// The most incident events one round reads.
const ROUND_ROWS: i64 = 200;

#[derive(Clone)]
pub struct IncidentNoteStore {
    pool: AnyPool,
}

/// A `sentinel` audit event that may open an incident.
#[derive(Debug, Clone)]
pub struct IncidentEvent {
    pub tenant_id: TenantId,
    pub outcome: String,
    pub detail: String,
    pub created_at: i64,
}

impl IncidentNoteStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The `sentinel` events with one of `outcomes` written since `since`,
    /// oldest first (at most a round's worth).
    pub async fn incident_events(
        &self,
        outcomes: &[&str],
        since: i64,
    ) -> Result<Vec<IncidentEvent>, StoreError> {
        // The outcomes are the code's own names, bound one by one.
        let marks: Vec<String> = (0..outcomes.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT tenant_id, outcome, detail, created_at FROM audit_events \
             WHERE kind = 'sentinel' AND created_at >= $1 AND outcome IN ({}) \
             ORDER BY created_at LIMIT $2",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(since).bind(ROUND_ROWS);
        for outcome in outcomes {
            query = query.bind(*outcome);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(IncidentEvent {
                    tenant_id: super::parse_id(row, "tenant_id", |t| TenantId::parse(t).ok())?,
                    outcome: row.try_get("outcome")?,
                    detail: row.try_get("detail")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The incidents claimed since `since` (written or not).
    pub async fn claimed_since(&self, since: i64) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT incident_id FROM incident_notes WHERE claimed_at >= $1")
                .bind(since)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Takes incident `id` on for a note; false when another round (here
    /// or on another instance) already did.
    pub async fn claim(&self, id: &str, tenant: TenantId, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO incident_notes (incident_id, tenant_id, claimed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (incident_id) DO NOTHING",
        )
        .bind(id)
        .bind(tenant.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn write(&self, id: &str, note: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE incident_notes SET note = $2, written_at = $3 WHERE incident_id = $1")
            .bind(id)
            .bind(note)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The notes written for the tenant's incidents `ids`, by incident id.
    pub async fn notes(
        &self,
        tenant: TenantId,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut notes = HashMap::new();
        // A page of events names a few incidents: one query each keeps the
        // SQL the same on both engines.
        for id in ids {
            let note: Option<Option<String>> = sqlx::query_scalar(
                "SELECT note FROM incident_notes WHERE tenant_id = $1 AND incident_id = $2",
            )
            .bind(tenant.to_string())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(Some(note)) = note {
                notes.insert(id.clone(), note);
            }
        }
        Ok(notes)
    }
}
