//! Incidents opened by hand (a client secret or a signing key marked
//! compromised): a `sentinel_incidents` row whose alert waits for the
//! sentinel to mail the owners (`alert_due`, `alert`), written with the
//! incident's `sentinel` audit event in one transaction.
use sqlx::{AnyPool, Row};

use super::audit;
use super::StoreError;
use crate::domain::audit::AuditEvent;
use crate::domain::tenant::TenantId;

/// At most this many waiting alerts are read per round.
const DUE_ROWS: i64 = 100;

/// An incident someone opened, with the mail its owners are due.
#[derive(Debug, Clone)]
pub struct ReportedIncident {
    pub id: String,
    pub tenant_id: TenantId,
    /// `client_secret_compromised` or `signing_key_compromised`.
    pub name: &'static str,
    /// The client id, or the kid.
    pub subject: String,
    pub opened_at: i64,
    /// What the mail will say (`CompromiseAlert` as JSON): never a secret.
    pub alert: String,
    /// The incident's `sentinel` audit event.
    pub event: AuditEvent,
}

/// An alert waiting to be mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAlert {
    pub incident: String,
    pub tenant_id: TenantId,
    pub alert: String,
}

/// Writes the incident and its event, inside the caller's transaction.
pub(crate) async fn insert<'c>(
    tx: &mut sqlx::Transaction<'c, sqlx::Any>,
    i: &ReportedIncident,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sentinel_incidents \
         (id, tenant_id, detector, subject, opened_at, alert_due, alert) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(&i.id)
    .bind(i.tenant_id.to_string())
    .bind(i.name)
    .bind(&i.subject)
    .bind(i.opened_at)
    .bind(&i.alert)
    .execute(&mut **tx)
    .await?;
    audit::insert(&mut **tx, &i.event).await
}

#[derive(Clone)]
pub struct ReportedIncidentStore {
    pool: AnyPool,
}

impl ReportedIncidentStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Records the incident and its event, all or nothing.
    pub async fn record(&self, incident: &ReportedIncident) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        insert(&mut tx, incident).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The alerts waiting to be mailed, oldest first.
    pub async fn due(&self) -> Result<Vec<DueAlert>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, alert FROM sentinel_incidents \
             WHERE alert_due IS NOT NULL ORDER BY alert_due, id LIMIT $1",
        )
        .bind(DUE_ROWS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DueAlert {
                    incident: row.try_get("id")?,
                    tenant_id: super::parse_id(row, "tenant_id", |t| TenantId::parse(t).ok())?,
                    alert: row
                        .try_get::<Option<String>, _>("alert")?
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The incident's alert is done with: mailed, or left out by the
    /// alert interval.
    pub async fn done(&self, incident: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sentinel_incidents SET alert_due = NULL WHERE id = $1")
            .bind(incident)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
