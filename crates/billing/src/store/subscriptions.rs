//! `subscriptions`: the one subscription state of each tenant.
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Row};

use super::{accounts, corrupt, to_i64, to_u64, StoreError};
use crate::domain::plan::PlanId;
use crate::domain::subscription::{Source, StripeRead, Subscription};
use crate::domain::tenant::TenantId;

const COLUMNS: &str = "tenant_id, plan, status, source, mau_limit, stripe_subscription_id, \
     stripe_price_id, current_period_end, cancel_at_period_end, grace_until, downgraded_at, stripe_read, updated_at";

/// A change of a tenant's subscription: the state before and the one stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub before: Option<Subscription>,
    pub after: Subscription,
}

#[derive(Clone)]
pub struct SubscriptionStore {
    pool: AnyPool,
}

impl SubscriptionStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn get(&self, tenant: TenantId) -> Result<Option<Subscription>, StoreError> {
        get(&self.pool, tenant).await
    }

    pub async fn save(&self, s: &Subscription) -> Result<(), StoreError> {
        save(&self.pool, s).await
    }

    /// Stores `change(before)` unless it is `None`, reading `before` under the
    /// tenant's lock (`change_locked`); `None` when nothing was stored.
    pub async fn change(
        &self,
        tenant: TenantId,
        now: i64,
        change: impl FnOnce(Option<&Subscription>) -> Option<Subscription>,
    ) -> Result<Option<Change>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let changed = change_locked(&mut tx, tenant, now, change).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Tenants whose grace period ended and who were not told yet: marked
    /// in one statement, so each is returned (and told) once. Their plan in
    /// force is Free from the deadline on (`Subscription::effective_plan`).
    pub async fn mark_lapsed(&self, now: i64) -> Result<Vec<TenantId>, StoreError> {
        let rows = sqlx::query(
            "UPDATE subscriptions SET downgraded_at = $1, updated_at = $1 \
             WHERE grace_until IS NOT NULL AND grace_until <= $1 AND downgraded_at IS NULL \
             RETURNING tenant_id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("tenant_id")?;
                TenantId::parse(&id).map_err(corrupt)
            })
            .collect()
    }
}

pub(super) async fn get<'e, E>(
    executor: E,
    tenant: TenantId,
) -> Result<Option<Subscription>, StoreError>
where
    E: Executor<'e, Database = Any>,
{
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM subscriptions WHERE tenant_id = $1"
    ))
    .bind(tenant.to_string())
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// In the caller's transaction: locks the tenant's account row, reads the
/// subscription and stores `change(before)` unless it is `None`. Two changes
/// of one tenant run one after the other, the second reading what the first
/// stored; a check inside `change` holds when the state is written.
pub(super) async fn change_locked(
    conn: &mut AnyConnection,
    tenant: TenantId,
    now: i64,
    change: impl FnOnce(Option<&Subscription>) -> Option<Subscription>,
) -> Result<Option<Change>, StoreError> {
    accounts::lock(&mut *conn, tenant, now).await?;
    let before = get(&mut *conn, tenant).await?;
    let Some(after) = change(before.as_ref()) else {
        return Ok(None);
    };
    save(&mut *conn, &after).await?;
    Ok(Some(Change { before, after }))
}

pub(super) async fn save<'e, E>(executor: E, s: &Subscription) -> Result<(), StoreError>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO subscriptions (tenant_id, plan, status, source, mau_limit, \
         stripe_subscription_id, stripe_price_id, current_period_end, cancel_at_period_end, \
         grace_until, downgraded_at, stripe_read, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (tenant_id) DO UPDATE SET plan = excluded.plan, status = excluded.status, \
         source = excluded.source, mau_limit = excluded.mau_limit, \
         stripe_subscription_id = excluded.stripe_subscription_id, \
         stripe_price_id = excluded.stripe_price_id, \
         current_period_end = excluded.current_period_end, \
         cancel_at_period_end = excluded.cancel_at_period_end, \
         grace_until = excluded.grace_until, downgraded_at = excluded.downgraded_at, \
         stripe_read = excluded.stripe_read, updated_at = excluded.updated_at",
    )
    .bind(s.tenant_id.to_string())
    .bind(s.plan.as_str())
    .bind(s.status.clone())
    .bind(s.source.as_str())
    .bind(s.mau_limit.map(to_i64))
    .bind(s.stripe_subscription_id.clone())
    .bind(s.stripe_price_id.clone())
    .bind(s.current_period_end)
    .bind(i64::from(s.cancel_at_period_end))
    .bind(s.grace_until)
    .bind(s.downgraded_at)
    .bind(s.stripe_read.map(StripeRead::number))
    .bind(s.updated_at)
    .execute(executor)
    .await?;
    Ok(())
}

fn from_row(row: &AnyRow) -> Result<Subscription, StoreError> {
    let tenant: String = row.try_get("tenant_id")?;
    let plan: String = row.try_get("plan")?;
    let source: String = row.try_get("source")?;
    let mau_limit: Option<i64> = row.try_get("mau_limit")?;
    let cancel: i64 = row.try_get("cancel_at_period_end")?;
    Ok(Subscription {
        tenant_id: TenantId::parse(&tenant).map_err(corrupt)?,
        plan: PlanId::parse(&plan).map_err(corrupt)?,
        status: row.try_get("status")?,
        source: Source::parse(&source).ok_or_else(|| corrupt("unknown source"))?,
        mau_limit: mau_limit.map(|v| to_u64(v, "limit")).transpose()?,
        stripe_subscription_id: row.try_get("stripe_subscription_id")?,
        stripe_price_id: row.try_get("stripe_price_id")?,
        current_period_end: row.try_get("current_period_end")?,
        cancel_at_period_end: cancel != 0,
        grace_until: row.try_get("grace_until")?,
        downgraded_at: row.try_get("downgraded_at")?,
        stripe_read: row
            .try_get::<Option<i64>, _>("stripe_read")?
            .map(StripeRead::new),
        updated_at: row.try_get("updated_at")?,
    })
}
