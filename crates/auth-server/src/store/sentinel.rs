//! What the sentinel reads and keeps: its lease and how far it has read the
//! audit trail (`sentinel_state`), the recent attempts and token events of a
//! tenant, and the incidents it opened (`sentinel_incidents`).
use sqlx::{AnyPool, Row};

use super::trail_cursor::TrailCursor;
use super::StoreError;
use crate::domain::audit::AuditKind;
use crate::domain::tenant::TenantId;

/// The one row of `sentinel_state`.
const NAME: &str = "sentinel";

/// At most this many `token` events of one tenant are read per evaluation.
const TOKEN_ROWS: i64 = 20_000;

/// A login or signup event, as the sentinel reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptRow {
    pub kind: String,
    pub outcome: String,
    pub ip: String,
    pub account: Option<String>,
    pub created_at: i64,
}

/// A successful login, as the `unfamiliar_login` detector reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRow {
    /// Its number in the trail: the account's earlier logins are those
    /// numbered before it.
    pub seq: i64,
    pub user_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
    /// How the user signed in (`pwd`, `passkey`, `upstream:…`).
    pub detail: String,
    pub created_at: i64,
}

/// A `token` event (a reused refresh token, a replayed code), as the
/// sentinel reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenEventRow {
    pub outcome: String,
    pub user_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
    pub created_at: i64,
}

/// The login and signup events past the cursor (with their tenants, in
/// the order read), tenants with new `token` events, and how far that read
/// went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewActivity {
    /// Tenants with new login or signup events, each once.
    pub tenants: Vec<TenantId>,
    /// Those events, for the sentinel's in-memory windows.
    pub attempts: Vec<(TenantId, AttemptRow)>,
    pub token_tenants: Vec<TenantId>,
    /// The successful logins among those events, with their tenants.
    pub sign_ins: Vec<(TenantId, SignInRow)>,
    /// Addresses with new reports of 401s on the management API, each once.
    pub probe_addresses: Vec<String>,
    /// The cursor the read started from (events numbered after it).
    pub read_from: i64,
    /// The highest event number read (the next read starts after it).
    pub read_up_to: i64,
}

#[derive(Clone)]
pub struct SentinelStore {
    pool: AnyPool,
    cursor: TrailCursor,
}

impl SentinelStore {
    pub fn new(pool: AnyPool) -> Self {
        Self {
            cursor: TrailCursor::new(pool.clone(), "sentinel_state", NAME),
            pool,
        }
    }

    /// Takes (or extends) the lease for `holder` (see [`TrailCursor`]).
    pub async fn try_lease(&self, holder: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        self.cursor.try_lease(holder, now, until).await
    }

    /// Gives the lease back, so another instance takes over at once.
    pub async fn release(&self, holder: &str) -> Result<(), StoreError> {
        self.cursor.release(holder).await
    }

    /// The login and signup events numbered after the stored cursor, at
    /// most `batch` numbers on, and the tenants with `token` events there.
    pub async fn new_activity(&self, batch: i64) -> Result<NewActivity, StoreError> {
        let from = self.cursor.read_up_to().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM audit_events WHERE seq > $1 AND seq <= $2")
                .bind(from)
                .bind(from.saturating_add(batch))
                .fetch_one(&self.pool)
                .await?;
        let Some(last) = last else {
            return Ok(NewActivity {
                read_from: from,
                read_up_to: from,
                ..NewActivity::default()
            });
        };
        let rows = sqlx::query(
            "SELECT seq, tenant_id, user_id, kind, outcome, ip, account, created_at, \
             CASE WHEN kind = 'login' AND outcome = 'success' THEN user_agent ELSE '' END AS user_agent, \
             CASE WHEN kind = 'login' AND outcome = 'success' THEN detail ELSE '' END AS detail \
             FROM audit_events \
             WHERE seq > $1 AND seq <= $2 AND kind IN ('login', 'signup', 'token', 'manage_auth') \
             ORDER BY seq",
        )
        .bind(from)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        let mut activity = NewActivity {
            read_from: from,
            read_up_to: last,
            ..NewActivity::default()
        };
        let mut seen = std::collections::HashSet::new();
        let mut seen_tokens = std::collections::HashSet::new();
        let mut seen_probes = std::collections::HashSet::new();
        for row in &rows {
            let kind: String = row.try_get("kind")?;
            let typed = AuditKind::parse(&kind);
            if typed == Some(AuditKind::ManageAuth) {
                let ip: String = row.try_get("ip")?;
                if seen_probes.insert(ip.clone()) {
                    activity.probe_addresses.push(ip);
                }
                continue;
            }
            let tenant = super::parse_id(row, "tenant_id", |t| TenantId::parse(t).ok())?;
            if typed == Some(AuditKind::Token) {
                if seen_tokens.insert(tenant) {
                    activity.token_tenants.push(tenant);
                }
                continue;
            }
            if seen.insert(tenant) {
                activity.tenants.push(tenant);
            }
            let attempt = AttemptRow {
                kind,
                outcome: row.try_get("outcome")?,
                ip: row.try_get("ip")?,
                account: row.try_get("account")?,
                created_at: row.try_get("created_at")?,
            };
            if typed == Some(AuditKind::Login) && attempt.outcome == "success" {
                activity.sign_ins.push((
                    tenant,
                    SignInRow {
                        seq: row.try_get("seq")?,
                        user_id: row.try_get("user_id")?,
                        ip: attempt.ip.clone(),
                        user_agent: row.try_get("user_agent")?,
                        detail: row.try_get("detail")?,
                        created_at: attempt.created_at,
                    },
                ));
            }
            activity.attempts.push((tenant, attempt));
        }
        Ok(activity)
    }

    /// Moves the cursor to `to`, if `holder` still holds the lease.
    pub async fn advance(&self, holder: &str, to: i64) -> Result<(), StoreError> {
        self.cursor.advance(holder, to).await
    }

    /// The tenant's newest `limit` login and signup events since `since`
    /// numbered up to `up_to` (what the cursor has passed: later ones are
    /// read past the cursor), newest first.
    pub async fn attempts(
        &self,
        tenant: TenantId,
        since: i64,
        up_to: i64,
        limit: usize,
    ) -> Result<Vec<AttemptRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT kind, outcome, ip, account, created_at FROM audit_events \
             WHERE tenant_id = $1 AND created_at > $2 AND kind IN ('login', 'signup') \
             AND seq <= $3 ORDER BY created_at DESC LIMIT $4",
        )
        .bind(tenant.to_string())
        .bind(since)
        .bind(up_to)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The tenant's `token` events since `since`, oldest first.
    pub async fn token_events(
        &self,
        tenant: TenantId,
        since: i64,
    ) -> Result<Vec<TokenEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT outcome, user_id, ip, user_agent, detail, created_at FROM audit_events \
             WHERE tenant_id = $1 AND created_at > $2 AND kind = 'token' \
             ORDER BY created_at LIMIT $3",
        )
        .bind(tenant.to_string())
        .bind(since)
        .bind(TOKEN_ROWS)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The reports of 401s on the management API from `ip` since `since`:
    /// (when, detail), oldest first.
    pub async fn probe_reports(
        &self,
        ip: &str,
        since: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT created_at, detail FROM audit_events \
             WHERE kind = 'manage_auth' AND ip = $1 AND created_at > $2 \
             ORDER BY created_at LIMIT $3",
        )
        .bind(ip)
        .bind(since)
        .bind(TOKEN_ROWS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("created_at")?, r.try_get("detail")?)))
            .collect()
    }

    /// Opens an incident unless one of the same tenant, detector and
    /// subject was opened after `since`; its id when it is new.
    pub async fn open_incident(
        &self,
        tenant: TenantId,
        detector: &str,
        subject: &str,
        now: i64,
        since: i64,
    ) -> Result<Option<String>, StoreError> {
        let open: Option<String> = sqlx::query_scalar(
            "SELECT id FROM sentinel_incidents \
             WHERE tenant_id = $1 AND detector = $2 AND subject = $3 AND opened_at > $4 LIMIT 1",
        )
        .bind(tenant.to_string())
        .bind(detector)
        .bind(subject)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        if open.is_some() {
            return Ok(None);
        }
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO sentinel_incidents (id, tenant_id, detector, subject, opened_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(tenant.to_string())
        .bind(detector)
        .bind(subject)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Some(id))
    }

    /// Marks incident `id` as mailed, unless another incident of the tenant
    /// was mailed after `since`: true when this one may be mailed. One
    /// statement, so two incidents at once cannot both be mailed.
    pub async fn take_mail_slot(
        &self,
        tenant: TenantId,
        id: &str,
        now: i64,
        since: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sentinel_incidents SET mailed_at = $1 WHERE id = $2 AND NOT EXISTS \
             (SELECT 1 FROM sentinel_incidents WHERE tenant_id = $3 AND mailed_at > $4)",
        )
        .bind(now)
        .bind(id)
        .bind(tenant.to_string())
        .bind(since)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many events were written after the cursor (0: the sentinel has
    /// read everything).
    pub async fn unread(&self) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(e.seq), 0) - COALESCE(MAX(s.read_up_to), 0) AS n \
             FROM audit_events e LEFT JOIN sentinel_state s ON s.name = $1",
        )
        .bind(NAME)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// How many incidents the tenant has, by detector (for tests and the
    /// docs' figures).
    pub async fn incident_count(
        &self,
        tenant: TenantId,
        detector: &str,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM sentinel_incidents WHERE tenant_id = $1 AND detector = $2",
        )
        .bind(tenant.to_string())
        .bind(detector)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}
