//! A tenant's Stripe invoice, as Stripe's webhooks last described it.
use serde::Serialize;
use utoipa::ToSchema;

/// A Stripe invoice of the tenant, as its webhooks last described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
