//! `invoices`: Stripe's invoices of each tenant, as its webhooks last
//! described them. A final status (paid, void, uncollectible) is never
//! overwritten by a late event about an earlier one.
use sqlx::AnyPool;

use super::StoreError;
use crate::domain::tenant::TenantId;

/// A Stripe invoice of the tenant, as its webhooks last described it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Invoice {
    /// Stripe's invoice id (`in_…`).
    pub id: String,
    /// Stripe's subscription id (`sub_…`).
    pub subscription_id: Option<String>,
    pub number: Option<String>,
    /// Stripe's status: `draft`, `open`, `paid`, `void` or `uncollectible`.
    #[schema(example = "paid")]
    pub status: String,
    /// In the smallest unit of `currency`.
    pub amount_due: i64,
    /// In the smallest unit of `currency`.
    pub amount_paid: i64,
    #[schema(example = "eur")]
    pub currency: String,
    /// Stripe's page of the invoice, for people.
    pub hosted_invoice_url: Option<String>,
    /// When Stripe created it (unix seconds).
    pub created: i64,
}

#[derive(Clone)]
pub struct InvoiceStore {
    pool: AnyPool,
}

impl InvoiceStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn upsert(
        &self,
        tenant: TenantId,
        invoice: &Invoice,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO invoices (id, tenant_id, subscription_id, number, status, amount_due, \
             amount_paid, currency, hosted_invoice_url, created, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (id) DO UPDATE SET number = excluded.number, status = excluded.status, \
             amount_due = excluded.amount_due, amount_paid = excluded.amount_paid, \
             hosted_invoice_url = excluded.hosted_invoice_url, updated_at = excluded.updated_at \
             WHERE invoices.tenant_id = excluded.tenant_id \
             AND invoices.status NOT IN ('paid', 'void', 'uncollectible')",
        )
        .bind(invoice.id.clone())
        .bind(tenant.to_string())
        .bind(invoice.subscription_id.clone())
        .bind(invoice.number.clone())
        .bind(invoice.status.clone())
        .bind(invoice.amount_due)
        .bind(invoice.amount_paid)
        .bind(invoice.currency.clone())
        .bind(invoice.hosted_invoice_url.clone())
        .bind(invoice.created)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Newest first.
    pub async fn list(&self, tenant: TenantId, limit: i64) -> Result<Vec<Invoice>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, subscription_id, number, status, amount_due, amount_paid, currency, \
             hosted_invoice_url, created FROM invoices WHERE tenant_id = $1 \
             ORDER BY created DESC, id DESC LIMIT $2",
        )
        .bind(tenant.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
