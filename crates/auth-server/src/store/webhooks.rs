//! Event webhooks as stored: the tenants' endpoints (`webhook_endpoints`),
//! the outbox of deliveries (`webhook_deliveries`) with each attempt
//! (`webhook_attempts`), and how far the fan-out has read the audit trail
//! (`webhook_state`).
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};

use super::audit::{event_of, EVENT_COLUMNS};
use super::trail_cursor::TrailCursor;
use super::StoreError;
use crate::domain::tenant::TenantId;
use crate::domain::webhook::delivery::{Attempt, Delivery, DELIVERED, FAILED, PENDING};
use crate::domain::webhook::event::TrailEntry;

/// An endpoint as stored. The secrets are sealed (`crate::keys::sealed`).
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointRow {
    pub id: String,
    pub tenant_id: String,
    pub tenant_slug: String,
    pub url: String,
    pub description: String,
    /// The event types, comma-separated.
    pub events: String,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
}

impl std::fmt::Debug for EndpointRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointRow")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// An endpoint to add.
pub struct NewEndpoint<'a> {
    pub id: &'a str,
    pub tenant_id: TenantId,
    pub url: &'a str,
    pub description: &'a str,
    pub events: &'a str,
    pub secret_sealed: &'a str,
    pub now: i64,
}

/// What an endpoint's update changes, and the endpoint as the update read
/// it.
pub struct EndpointChange<'a> {
    pub url: &'a str,
    pub description: &'a str,
    pub events: &'a str,
    pub now: i64,
    pub read: &'a EndpointRow,
}

/// A delivery to add to the outbox.
pub struct NewDelivery<'a> {
    pub tenant_id: &'a str,
    pub endpoint_id: &'a str,
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub payload: &'a str,
    pub now: i64,
    pub retry_until: i64,
}

/// What an attempt leaves the delivery in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(i64),
    Failed,
}

/// The one row of `webhook_state`.
const STATE: &str = "fanout";

const ENDPOINT_COLUMNS: &str = "e.id, e.tenant_id, t.slug, e.url, e.description, e.events, \
     e.secret_sealed, e.previous_secret_sealed, e.previous_until, e.created_at, e.updated_at, \
     e.disabled_at, e.disabled_reason, e.failing_since \
     FROM webhook_endpoints e JOIN tenants t ON t.id = e.tenant_id";

const DELIVERY_COLUMNS: &str = "id, tenant_id, endpoint_id, event_id, event_type, payload, state, \
     attempts, next_attempt_at, retry_until, last_status, last_error, created_at, delivered_at \
     FROM webhook_deliveries";

#[derive(Clone)]
pub struct WebhookStore {
    pool: AnyPool,
    cursor: TrailCursor,
}

impl WebhookStore {
    pub fn new(pool: AnyPool) -> Self {
        Self {
            cursor: TrailCursor::new(pool.clone(), "webhook_state", STATE),
            pool,
        }
    }

    /// Adds the endpoint unless the tenant has `max` already; whether it
    /// did. The tenant's endpoints are locked before they are counted, so
    /// creations at the same moment are counted one after the other and
    /// never pass the cap together.
    pub async fn insert_endpoint(
        &self,
        e: &NewEndpoint<'_>,
        max: usize,
    ) -> Result<bool, StoreError> {
        let tenant = e.tenant_id.to_string();
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE webhook_endpoints SET updated_at = updated_at WHERE tenant_id = $1")
            .bind(&tenant)
            .execute(&mut *tx)
            .await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE tenant_id = $1")
                .bind(&tenant)
                .fetch_one(&mut *tx)
                .await?;
        if usize::try_from(count).map_or(true, |n| n >= max) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, secret_sealed, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(e.id)
        .bind(&tenant)
        .bind(e.url)
        .bind(e.description)
        .bind(e.events)
        .bind(e.secret_sealed)
        .bind(e.now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The tenant's endpoints, oldest first.
    pub async fn endpoints(&self, tenant: TenantId) -> Result<Vec<EndpointRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENDPOINT_COLUMNS} WHERE e.tenant_id = $1 ORDER BY e.created_at, e.id"
        ))
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(endpoint).collect()
    }

    pub async fn endpoint(&self, tenant: TenantId, id: &str) -> Result<EndpointRow, StoreError> {
        let sql = format!("SELECT {ENDPOINT_COLUMNS} WHERE e.tenant_id = $1 AND e.id = $2");
        let row = self.row(&sql, &tenant.to_string(), id).await?;
        endpoint(&row.ok_or(StoreError::WebhookNotFound)?)
    }

    /// The row `sql` finds with `$1`, `$2` bound, if any.
    async fn row(
        &self,
        sql: &str,
        first: &str,
        second: &str,
    ) -> Result<Option<AnyRow>, StoreError> {
        Ok(sqlx::query(sql)
            .bind(first)
            .bind(second)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Runs `update`, whose last two parameters are a row's tenant and id;
    /// not found when it changed no row.
    async fn change<'q>(
        &self,
        update: Query<'q, Any, AnyArguments<'q>>,
        tenant: TenantId,
        id: &'q str,
    ) -> Result<(), StoreError> {
        let done = update
            .bind(tenant.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    /// Every tenant's enabled endpoints: whom the fan-out writes to.
    pub async fn enabled_endpoints(&self) -> Result<Vec<EndpointRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENDPOINT_COLUMNS} WHERE e.disabled_at IS NULL"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(endpoint).collect()
    }

    /// Writes `c` if the endpoint's URL, description and events are still
    /// as `c.read` has them; whether it did (not: another update came
    /// first, or the endpoint is gone).
    pub async fn update_endpoint(
        &self,
        tenant: TenantId,
        id: &str,
        c: &EndpointChange<'_>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET url = $1, description = $2, events = $3, updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6 AND url = $7 AND description = $8 AND events = $9",
        )
        .bind(c.url)
        .bind(c.description)
        .bind(c.events)
        .bind(c.now)
        .bind(tenant.to_string())
        .bind(id)
        .bind(&c.read.url)
        .bind(&c.read.description)
        .bind(&c.read.events)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Disables the endpoint (`reason`), or enables it again (`None`): an
    /// endpoint enabled again starts with a clean failure record.
    pub async fn set_disabled(
        &self,
        tenant: TenantId,
        id: &str,
        disabled: Option<(i64, &str)>,
        now: i64,
    ) -> Result<(), StoreError> {
        // Disabled, it keeps its failure record; enabled, it starts afresh.
        let sql = if disabled.is_some() {
            "UPDATE webhook_endpoints SET disabled_at = $1, disabled_reason = $2, \
             updated_at = $3 WHERE tenant_id = $4 AND id = $5"
        } else {
            "UPDATE webhook_endpoints SET disabled_at = $1, disabled_reason = $2, \
             failing_since = NULL, updated_at = $3 WHERE tenant_id = $4 AND id = $5"
        };
        let update = sqlx::query(sql)
            .bind(disabled.map(|(at, _)| at))
            .bind(disabled.map(|(_, why)| why.to_owned()))
            .bind(now);
        self.change(update, tenant, id).await
    }

    /// Replaces the signing secret `current_sealed` (the one read) with
    /// `secret_sealed`; the replaced one keeps signing too until
    /// `previous_until`. False, and nothing changes, when the secret is no
    /// longer the one read (another rotation won the race: the secret it
    /// handed out must not be overwritten unseen) or the endpoint is gone.
    pub async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: &str,
        secret_sealed: &str,
        current_sealed: &str,
        previous_until: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET secret_sealed = $1, previous_secret_sealed = $2, \
             previous_until = $3, updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6 AND secret_sealed = $2",
        )
        .bind(secret_sealed)
        .bind(current_sealed)
        .bind(previous_until)
        .bind(now)
        .bind(tenant.to_string())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the endpoint with its deliveries and their log.
    pub async fn delete_endpoint(&self, tenant: TenantId, id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
             (SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2)",
        )
        .bind(tenant.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2")
            .bind(tenant.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        found(done.rows_affected())?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds deliveries to the outbox; one already there for the same
    /// endpoint and event (a fan-out repeated after a crash) is kept as is.
    pub async fn enqueue(&self, deliveries: &[NewDelivery<'_>]) -> Result<(), StoreError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for d in deliveries {
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, \
                 payload, state, attempts, next_attempt_at, retry_until, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $8) \
                 ON CONFLICT (endpoint_id, event_id) DO NOTHING",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(d.tenant_id)
            .bind(d.endpoint_id)
            .bind(d.event_id)
            .bind(d.event_type)
            .bind(d.payload)
            .bind(PENDING)
            .bind(d.now)
            .bind(d.retry_until)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pending deliveries of enabled endpoints due at `now`, the most
    /// overdue first, at most `limit`.
    pub async fn due(&self, now: i64, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.state, \
             d.attempts, d.next_attempt_at, d.retry_until, d.last_status, d.last_error, d.created_at, \
             d.delivered_at FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.state = $1 AND d.next_attempt_at <= $2 AND e.disabled_at IS NULL \
             ORDER BY d.next_attempt_at, d.id LIMIT $3",
        )
        .bind(PENDING)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery).collect()
    }

    /// Logs an attempt and moves the delivery on; the endpoint's failure
    /// record follows (cleared by a success, started by a first failure).
    /// Returns the endpoint's `failing_since` after it.
    pub async fn record_attempt(
        &self,
        d: &Delivery,
        attempt: &Attempt,
        outcome: AttemptOutcome,
    ) -> Result<Option<i64>, StoreError> {
        let now = attempt.attempted_at;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, n, attempted_at, status, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&d.id)
        .bind(d.attempts.saturating_add(1))
        .bind(now)
        .bind(attempt.status)
        .bind(attempt.error.clone())
        .bind(attempt.duration_ms)
        .execute(&mut *tx)
        .await?;
        let (state, next, delivered_at) = match outcome {
            AttemptOutcome::Delivered => (DELIVERED, d.next_attempt_at, Some(now)),
            AttemptOutcome::RetryAt(at) => (PENDING, at, None),
            AttemptOutcome::Failed => (FAILED, d.next_attempt_at, None),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = $2, \
             last_status = $3, last_error = $4, delivered_at = $5 WHERE id = $6",
        )
        .bind(state)
        .bind(next)
        .bind(attempt.status)
        .bind(attempt.error.clone())
        .bind(delivered_at)
        .bind(&d.id)
        .execute(&mut *tx)
        .await?;
        if outcome == AttemptOutcome::Delivered {
            sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
                .bind(&d.endpoint_id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $1) WHERE id = $2",
            )
            .bind(now)
            .bind(&d.endpoint_id)
            .execute(&mut *tx)
            .await?;
        }
        let failing_since: Option<i64> =
            sqlx::query_scalar("SELECT failing_since FROM webhook_endpoints WHERE id = $1")
                .bind(&d.endpoint_id)
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
        tx.commit().await?;
        Ok(failing_since)
    }

    /// The endpoint's deliveries, newest first, created before `before`
    /// (the previous page's last), at most `limit`.
    pub async fn deliveries(
        &self,
        tenant: TenantId,
        endpoint: &str,
        before: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let (at, id) = before.unwrap_or((i64::MAX, ""));
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} WHERE tenant_id = $1 AND endpoint_id = $2 \
             AND (created_at < $3 OR (created_at = $3 AND id > $4)) \
             ORDER BY created_at DESC, id LIMIT $5"
        ))
        .bind(tenant.to_string())
        .bind(endpoint)
        .bind(at)
        .bind(if before.is_some() { id } else { "" })
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery).collect()
    }

    /// The delivery of `event` to `endpoint`.
    pub async fn delivery_of(&self, endpoint: &str, event: &str) -> Result<Delivery, StoreError> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} WHERE endpoint_id = $1 AND event_id = $2");
        let row = self.row(&sql, endpoint, event).await?;
        delivery(&row.ok_or(StoreError::DeliveryNotFound)?)
    }

    /// The delivery `id` of `tenant` and its attempts, oldest first, read
    /// in one statement: a delivery and its log are one snapshot, never
    /// a log that already holds an attempt its delivery does not count.
    pub async fn delivery_with_attempts(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<(Delivery, Vec<Attempt>), StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.state, \
             d.attempts, d.next_attempt_at, d.retry_until, d.last_status, d.last_error, d.created_at, \
             d.delivered_at, a.attempted_at, a.status, a.error, a.duration_ms \
             FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id \
             WHERE d.tenant_id = $1 AND d.id = $2 ORDER BY a.n, a.attempted_at",
        )
        .bind(tenant.to_string())
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let first = rows.first().ok_or(StoreError::DeliveryNotFound)?;
        let found = delivery(first)?;
        let mut attempts = Vec::with_capacity(rows.len());
        for r in &rows {
            let Some(attempted_at) = r.try_get::<Option<i64>, _>(14)? else {
                continue;
            };
            attempts.push(Attempt {
                attempted_at,
                status: r.try_get(15)?,
                error: r.try_get(16)?,
                duration_ms: r.try_get(17)?,
            });
        }
        Ok((found, attempts))
    }

    /// Puts the delivery back in the outbox for one attempt at `now`.
    pub async fn redeliver(&self, tenant: TenantId, id: &str, now: i64) -> Result<(), StoreError> {
        let update = sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, next_attempt_at = $2, retry_until = $2 \
             WHERE tenant_id = $3 AND id = $4",
        )
        .bind(PENDING)
        .bind(now);
        self.change(update, tenant, id).await
    }

    /// Deliveries waiting to be sent, across tenants (a gauge).
    pub async fn pending_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE state = $1")
                .bind(PENDING)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Takes (or extends) the fan-out's lease for `holder` (see
    /// [`TrailCursor`]): the first lease ever starts at the end of the
    /// trail, so history is not replayed to new endpoints.
    pub async fn try_lease(&self, holder: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        self.cursor.try_lease(holder, now, until).await
    }

    /// Gives the lease back, so another instance takes over at once.
    pub async fn release(&self, holder: &str) -> Result<(), StoreError> {
        self.cursor.release(holder).await
    }

    /// Where the fan-out has read up to.
    pub async fn read_up_to(&self) -> Result<i64, StoreError> {
        self.cursor.read_up_to().await
    }

    /// The highest number in the audit trail (0: none).
    pub async fn trail_end(&self) -> Result<i64, StoreError> {
        let end: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(end.unwrap_or(0))
    }

    /// The audit events numbered after `after`, in order, at most `limit`.
    pub async fn trail_after(&self, after: i64, limit: i64) -> Result<Vec<TrailEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, seq, {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TrailEntry {
                    id: r.try_get("id")?,
                    seq: r.try_get("seq")?,
                    event: event_of(r)?,
                })
            })
            .collect()
    }

    /// Moves the cursor to `to`, if `holder` still holds the lease.
    pub async fn advance(&self, holder: &str, to: i64) -> Result<(), StoreError> {
        self.cursor.advance(holder, to).await
    }
}

fn found(rows: u64) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::WebhookNotFound)
    } else {
        Ok(())
    }
}

fn endpoint(r: &AnyRow) -> Result<EndpointRow, StoreError> {
    Ok(EndpointRow {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        tenant_slug: r.try_get(2)?,
        url: r.try_get(3)?,
        description: r.try_get(4)?,
        events: r.try_get(5)?,
        secret_sealed: r.try_get(6)?,
        previous_secret_sealed: r.try_get(7)?,
        previous_until: r.try_get(8)?,
        created_at: r.try_get(9)?,
        updated_at: r.try_get(10)?,
        disabled_at: r.try_get(11)?,
        disabled_reason: r.try_get(12)?,
        failing_since: r.try_get(13)?,
    })
}

fn delivery(r: &AnyRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        endpoint_id: r.try_get(2)?,
        event_id: r.try_get(3)?,
        event_type: r.try_get(4)?,
        payload: r.try_get(5)?,
        state: r.try_get(6)?,
        attempts: r.try_get(7)?,
        next_attempt_at: r.try_get(8)?,
        retry_until: r.try_get(9)?,
        last_status: r.try_get(10)?,
        last_error: r.try_get(11)?,
        created_at: r.try_get(12)?,
        delivered_at: r.try_get(13)?,
    })
}
