//! `invoices`: Stripe's invoices of each tenant, as its webhooks last
//! described them. A final status (paid, void, uncollectible) is never
//! overwritten by a late event about an earlier one.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::invoice::Invoice;
use crate::domain::tenant::TenantId;

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
        let rows = sqlx::query(
            "SELECT id, subscription_id, number, status, amount_due, amount_paid, currency, \
             hosted_invoice_url, created FROM invoices WHERE tenant_id = $1 \
             ORDER BY created DESC, id DESC LIMIT $2",
        )
        .bind(tenant.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }
}

fn from_row(row: &AnyRow) -> Result<Invoice, StoreError> {
    Ok(Invoice {
        id: row.try_get("id")?,
        subscription_id: row.try_get("subscription_id")?,
        number: row.try_get("number")?,
        status: row.try_get("status")?,
        amount_due: row.try_get("amount_due")?,
        amount_paid: row.try_get("amount_paid")?,
        currency: row.try_get("currency")?,
        hosted_invoice_url: row.try_get("hosted_invoice_url")?,
        created: row.try_get("created")?,
    })
}
