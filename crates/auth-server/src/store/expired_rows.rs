//! Deletes rows that have outlived every use (the rules and their cutoffs:
//! `domain/retention.rs`), a bounded batch per statement, so a long backlog
//! never holds a table's locks for long. Each sweep walks its table in the
//! order of one column, starting where the previous batch stopped: with an
//! index on that column, a batch reads about as many rows as it deletes.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::retention::Cutoffs;

/// One kind of row the cleanup deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// Codes past expiry (spent ones a while longer).
    AuthorizationCodes,
    /// Sessions past their absolute lifetime.
    SessionsExpired,
    /// Sessions idle past any tenant's idle timeout.
    SessionsIdle,
    /// Refresh tokens whose family ended, and their replay window with it.
    RefreshTokens,
    /// Email verification, password reset and unlock links.
    OneTimeTokens,
    /// Brute-force counters no lockout remembers.
    LoginFailures,
    /// The audit trail past its retention.
    AuditEvents,
    /// Blocks at the edge that ran out.
    BlockedAddresses,
    /// Revoked access tokens past their own expiry.
    RevokedAccessTokens,
    /// Passkey registrations and sign-ins never finished.
    PasskeyCeremonies,
    /// Event webhook deliveries over for a while, with their attempts.
    WebhookDeliveries,
    /// The sentinel's step-up marks that ran out.
    StepUpMarks,
    /// The record that a day's security report was mailed, once that day
    /// can no longer be mailed again.
    SecurityReportMails,
    /// The same record of the operators' report across tenants.
    OperatorReportMails,
    /// The AI analyst's incident notes, kept as long as the audit events
    /// that show the incidents.
    IncidentNotes,
}

impl Sweep {
    pub const ALL: [Sweep; 15] = [
        Sweep::AuthorizationCodes,
        Sweep::SessionsExpired,
        Sweep::SessionsIdle,
        Sweep::RefreshTokens,
        Sweep::OneTimeTokens,
        Sweep::LoginFailures,
        Sweep::AuditEvents,
        Sweep::BlockedAddresses,
        Sweep::RevokedAccessTokens,
        Sweep::PasskeyCeremonies,
        Sweep::WebhookDeliveries,
        Sweep::StepUpMarks,
        Sweep::SecurityReportMails,
        Sweep::OperatorReportMails,
        Sweep::IncidentNotes,
    ];

    /// The table it deletes from.
    pub fn table(self) -> &'static str {
        self.shape().table
    }

    fn shape(self) -> Shape {
        let shape = |table, key, walk, condition| Shape {
            table,
            key,
            walk,
            condition,
        };
        match self {
            Sweep::AuthorizationCodes => shape(
                "authorization_codes",
                "code_hash",
                "expires_at",
                "expires_at <= $3 AND (used_at IS NULL OR expires_at <= $4)",
            ),
            Sweep::SessionsExpired => {
                shape("sessions", "secret_hash", "expires_at", "expires_at <= $3")
            }
            Sweep::SessionsIdle => shape(
                "sessions",
                "secret_hash",
                "last_seen_at",
                "last_seen_at <= $3",
            ),
            Sweep::RefreshTokens => shape(
                "refresh_tokens",
                "token_hash",
                "family_expires_at",
                "family_expires_at <= $3 AND (retry_until IS NULL OR retry_until <= $3) \
                 AND created_at <= $4",
            ),
            Sweep::OneTimeTokens => shape(
                "one_time_tokens",
                "token_hash",
                "expires_at",
                "expires_at <= $3",
            ),
            Sweep::LoginFailures => shape(
                "login_failures",
                "tenant_id, subject",
                "last_failure_at",
                "last_failure_at <= $3",
            ),
            Sweep::AuditEvents => shape("audit_events", "id", "created_at", "created_at <= $3"),
            Sweep::BlockedAddresses => {
                shape("blocked_addresses", "id", "expires_at", "expires_at <= $3")
            }
            Sweep::RevokedAccessTokens => shape(
                "revoked_access_tokens",
                "tenant_id, jti",
                "expires_at",
                "expires_at <= $3",
            ),
            Sweep::PasskeyCeremonies => {
                shape("passkey_ceremonies", "id", "expires_at", "expires_at <= $3")
            }
            // Attempts go with their delivery (ON DELETE CASCADE).
            Sweep::WebhookDeliveries => shape(
                "webhook_deliveries",
                "id",
                "created_at",
                "created_at <= $3 AND (state <> 'pending' OR retry_until <= $3)",
            ),
            Sweep::StepUpMarks => shape(
                "step_up_marks",
                "tenant_id, user_id",
                "expires_at",
                "expires_at <= $3",
            ),
            Sweep::SecurityReportMails => shape(
                "security_report_mails",
                "tenant_id, day",
                "sent_at",
                "sent_at <= $3",
            ),
            Sweep::OperatorReportMails => {
                shape("operator_report_mails", "day", "sent_at", "sent_at <= $3")
            }
            Sweep::IncidentNotes => shape(
                "incident_notes",
                "incident_id",
                "claimed_at",
                "claimed_at <= $3",
            ),
        }
    }

    /// The values of `$3`, `$4` in the sweep's condition; `None` when
    /// nothing of its kind goes (events kept forever).
    fn cutoffs(self, c: &Cutoffs) -> Option<Vec<i64>> {
        Some(match self {
            Sweep::AuthorizationCodes => vec![c.unused_codes_expired, c.codes_expired],
            Sweep::SessionsExpired => vec![c.sessions_expired],
            Sweep::SessionsIdle => vec![c.sessions_idle],
            Sweep::RefreshTokens => vec![c.refresh_families_expired, c.refresh_created],
            Sweep::OneTimeTokens => vec![c.links_expired],
            Sweep::LoginFailures => vec![c.failures_last],
            Sweep::AuditEvents => vec![c.events_created?],
            Sweep::BlockedAddresses
            | Sweep::RevokedAccessTokens
            | Sweep::PasskeyCeremonies
            | Sweep::StepUpMarks => vec![c.expired],
            Sweep::SecurityReportMails | Sweep::OperatorReportMails => vec![c.report_mails_sent],
            Sweep::IncidentNotes => vec![c.events_created?],
            Sweep::WebhookDeliveries => vec![c.deliveries_over],
        })
    }
}

/// A sweep's table, the key its rows are deleted by, the column it walks
/// and which rows go (`$3`, `$4`: the cutoffs).
struct Shape {
    table: &'static str,
    key: &'static str,
    walk: &'static str,
    condition: &'static str,
}

/// What one batch deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Batch {
    pub deleted: u64,
    /// The walked column's value of the last row deleted: the next batch
    /// starts there. `None` when nothing was deleted.
    pub reached: Option<i64>,
}

#[derive(Clone)]
pub struct ExpiredRowStore {
    pool: AnyPool,
}

impl ExpiredRowStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Deletes at most `limit` rows of `sweep` past `cutoffs` whose walked
    /// column is at or after `from`, lowest first. One statement.
    pub async fn delete_batch(
        &self,
        sweep: Sweep,
        cutoffs: &Cutoffs,
        from: i64,
        limit: i64,
    ) -> Result<Batch, StoreError> {
        let Some(values) = sweep.cutoffs(cutoffs) else {
            return Ok(Batch::default());
        };
        let Shape {
            table,
            key,
            walk,
            condition,
        } = sweep.shape();
        let sql = format!(
            "DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} \
             WHERE {walk} >= $1 AND {condition} ORDER BY {walk} LIMIT $2) RETURNING {walk}"
        );
        let mut query = sqlx::query(&sql).bind(from).bind(limit);
        for value in values {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut batch = Batch::default();
        for row in &rows {
            let at: i64 = row.try_get(0)?;
            batch.deleted += 1;
            batch.reached = Some(batch.reached.map_or(at, |r| r.max(at)));
        }
        Ok(batch)
    }
}
