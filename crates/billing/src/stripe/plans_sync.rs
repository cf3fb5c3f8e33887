//! `connectauth billing sync-plans`: the plan catalogue into Stripe.
use serde_json::Value;
use stripe_product::price::{CreatePrice, CreatePriceRecurring, CreatePriceRecurringInterval};
use stripe_product::product::{CreateProduct, RetrieveProduct, UpdateProduct};
use stripe_types::Currency;

use super::{object, Gateway, GatewayError};
use crate::domain::plan::{Plan, PlanId, CATALOGUE};

/// What `sync_plans` did for one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedPlan {
    pub plan: PlanId,
    pub product_id: String,
    pub price_id: String,
    pub created_product: bool,
    pub created_price: bool,
}

/// A self-serve paid plan, with what Stripe needs of it.
struct PaidPlan<'a> {
    plan: &'a Plan,
    product_id: &'a str,
    lookup_key: &'a str,
    cents: i64,
}

impl<'a> PaidPlan<'a> {
    fn of(plan: &'a Plan) -> Option<Self> {
        match (
            plan.self_serve,
            plan.stripe_product,
            plan.stripe_lookup_key,
            plan.price_cents,
        ) {
            (true, Some(product_id), Some(lookup_key), Some(cents)) if cents > 0 => Some(Self {
                plan,
                product_id,
                lookup_key,
                cents: i64::from(cents),
            }),
            _ => None,
        }
    }

    /// An active monthly price of this plan's amount, currency and product.
    fn is_matched_by(&self, price: &Value) -> bool {
        object::at(price, &["active"]).and_then(Value::as_bool) == Some(true)
            && object::id(price, &["product"]).as_deref() == Some(self.product_id)
            && object::int(price, &["unit_amount"]) == Some(self.cents)
            && object::string(price, &["currency"]).as_deref() == Some(self.plan.currency)
            && object::string(price, &["recurring", "interval"]).as_deref() == Some("month")
            && object::int(price, &["recurring", "interval_count"]).unwrap_or(1) == 1
    }
}

impl Gateway {
    /// For each self-serve paid plan: the product (fixed id, the plan's
    /// name, active) and an active monthly price of the plan's amount and
    /// currency carrying its lookup key. Prices are immutable: when the
    /// amount changed, a new price takes the lookup key over
    /// (`transfer_lookup_key`); the old one stays for existing subscriptions.
    /// A second run changes nothing. Every create has an idempotency key.
    pub async fn sync_plans(&self) -> Result<Vec<SyncedPlan>, GatewayError> {
        let mut synced = Vec::new();
        for paid in CATALOGUE.iter().filter_map(PaidPlan::of) {
            let created_product = self.sync_product(&paid).await?;
            let (price_id, created_price) = self.sync_price(&paid).await?;
            if self.prices_configured(paid.plan.id).is_none() {
                self.cache_price(paid.plan.id, &price_id);
            }
            tracing::info!(
                plan = %paid.plan.id, product = paid.product_id, price = %price_id,
                created_product, created_price, "stripe plan synced"
            );
            synced.push(SyncedPlan {
                plan: paid.plan.id,
                product_id: paid.product_id.to_owned(),
                price_id,
                created_product,
                created_price,
            });
        }
        Ok(synced)
    }

    fn prices_configured(&self, plan: PlanId) -> Option<&String> {
        match plan {
            PlanId::Starter => self.prices.starter.as_ref(),
            PlanId::Pro => self.prices.pro.as_ref(),
            PlanId::Free | PlanId::Enterprise => None,
        }
    }

    /// Returns whether the product was created.
    async fn sync_product(&self, paid: &PaidPlan<'_>) -> Result<bool, GatewayError> {
        match self
            .send(&RetrieveProduct::new(paid.product_id), None)
            .await
        {
            Ok(product) => {
                let name_ok =
                    object::string(&product, &["name"]).as_deref() == Some(paid.plan.name);
                let active =
                    object::at(&product, &["active"]).and_then(Value::as_bool) == Some(true);
                if !(name_ok && active) {
                    let update = UpdateProduct::new(paid.product_id)
                        .name(paid.plan.name)
                        .active(true);
                    self.send(&update, None).await?;
                }
                Ok(false)
            }
            Err(error) if error.is_not_found() => {
                let create = CreateProduct::new(paid.plan.name).id(paid.product_id);
                let key = format!("connectauth-product-{}", paid.product_id);
                self.send(&create, Some(&key)).await?;
                Ok(true)
            }
            Err(error) => Err(error),
        }
    }

    /// Returns the price id and whether it was created.
    async fn sync_price(&self, paid: &PaidPlan<'_>) -> Result<(String, bool), GatewayError> {
        let existing = self.active_price_by_lookup_key(paid.lookup_key).await?;
        if let Some(price) = existing.as_ref().filter(|p| paid.is_matched_by(p)) {
            let id = object::string(price, &["id"])
                .ok_or_else(|| GatewayError::Unexpected("price without an id".into()))?;
            return Ok((id, false));
        }
        let replaced = existing.as_ref().and_then(|p| object::string(p, &["id"]));
        let currency: Currency = paid
            .plan
            .currency
            .parse()
            .map_err(|_| GatewayError::Config(format!("currency `{}`", paid.plan.currency)))?;
        let mut recurring = CreatePriceRecurring::new(CreatePriceRecurringInterval::Month);
        recurring.interval_count = Some(1);
        let mut create = CreatePrice::new(currency)
            .product(paid.product_id)
            .unit_amount(paid.cents)
            .recurring(recurring)
            .lookup_key(paid.lookup_key)
            .nickname(format!("{} monthly", paid.plan.name));
        if replaced.is_some() {
            create = create.transfer_lookup_key(true);
        }
        // Same state → same key (a retry), a later change → a new key.
        let key = format!(
            "connectauth-price-{}-{}-{}-replaces-{}",
            paid.lookup_key,
            paid.cents,
            paid.plan.currency,
            replaced.as_deref().unwrap_or("none")
        );
        let price = self.send(&create, Some(&key)).await?;
        let id = object::string(&price, &["id"])
            .ok_or_else(|| GatewayError::Unexpected("price without an id".into()))?;
        Ok((id, true))
    }
}
