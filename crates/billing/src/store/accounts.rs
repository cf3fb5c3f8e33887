//! `accounts`: who hears about a tenant's quota, and its Stripe customer.
use sqlx::{Any, AnyPool, Executor, Row};

use super::StoreError;
use crate::domain::subscription::StripeRead;
use crate::domain::tenant::TenantId;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Account {
    pub owner_email: Option<String>,
    pub stripe_customer_id: Option<String>,
}

#[derive(Clone)]
pub struct AccountStore {
    pool: AnyPool,
}

impl AccountStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn get(&self, tenant: TenantId) -> Result<Account, StoreError> {
        let row = sqlx::query(
            "SELECT owner_email, stripe_customer_id FROM accounts WHERE tenant_id = $1",
        )
        .bind(tenant.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => Account {
                owner_email: row.try_get("owner_email")?,
                stripe_customer_id: row.try_get("stripe_customer_id")?,
            },
            None => Account::default(),
        })
    }

    pub async fn set_owner_email(
        &self,
        tenant: TenantId,
        email: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO accounts (tenant_id, owner_email, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (tenant_id) DO UPDATE \
             SET owner_email = excluded.owner_email, updated_at = excluded.updated_at",
        )
        .bind(tenant.to_string())
        .bind(email.map(str::to_owned))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the tenant's Stripe customer unless one is already recorded;
    /// returns the one on file (the first writer wins a race).
    pub async fn attach_customer(
        &self,
        tenant: TenantId,
        customer_id: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        // The row first, without the customer; then the customer, only where
        // none is set. In one upsert, two checkouts at once that got the
        // same customer from Stripe could both insert it, and PostgreSQL
        // refused the second on the unique customer id (a 500), not on the
        // tenant the upsert names.
        sqlx::query(
            "INSERT INTO accounts (tenant_id, created_at, updated_at) VALUES ($1, $2, $2) \
             ON CONFLICT (tenant_id) DO NOTHING",
        )
        .bind(tenant.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "UPDATE accounts SET stripe_customer_id = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND stripe_customer_id IS NULL",
        )
        .bind(customer_id)
        .bind(now)
        .bind(tenant.to_string())
        .execute(&self.pool)
        .await?;
        self.get(tenant)
            .await?
            .stripe_customer_id
            .ok_or_else(|| super::corrupt("customer id vanished"))
    }

    /// Draws the number of a read of the tenant's subscription from Stripe
    /// about to begin: higher than any drawn before (`domain::subscription::StripeRead`).
    pub async fn begin_stripe_read(
        &self,
        tenant: TenantId,
        now: i64,
    ) -> Result<StripeRead, StoreError> {
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (tenant_id, created_at, updated_at, stripe_reads) \
             VALUES ($1, $2, $2, 1) ON CONFLICT (tenant_id) DO UPDATE \
             SET stripe_reads = accounts.stripe_reads + 1 RETURNING stripe_reads",
        )
        .bind(tenant.to_string())
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(StripeRead::new(number))
    }

    /// The tenant whose Stripe customer this is.
    pub async fn tenant_of_customer(
        &self,
        customer_id: &str,
    ) -> Result<Option<TenantId>, StoreError> {
        let row = sqlx::query("SELECT tenant_id FROM accounts WHERE stripe_customer_id = $1")
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let id: String = r.try_get("tenant_id")?;
            TenantId::parse(&id).map_err(super::corrupt)
        })
        .transpose()
    }
}

/// Locks the tenant's account row until the transaction ends (creating it if
/// need be): every change of a tenant's subscription takes this lock first,
/// so each reads the state the one before it committed. A write that
/// changes nothing: a row lock on PostgreSQL, the write lock on SQLite.
pub(super) async fn lock<'e, E>(executor: E, tenant: TenantId, now: i64) -> Result<(), StoreError>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO accounts (tenant_id, created_at, updated_at) VALUES ($1, $2, $2) \
         ON CONFLICT (tenant_id) DO UPDATE SET updated_at = accounts.updated_at",
    )
    .bind(tenant.to_string())
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}
