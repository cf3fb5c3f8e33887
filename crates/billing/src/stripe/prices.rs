//! The Stripe price of each paid plan.
use stripe_product::price::ListPrice;

use super::{object, Gateway, GatewayError};
use crate::domain::plan::PlanId;

impl Gateway {
    /// The price id of a paid self-serve plan: the configured one
    /// (`BILLING_STRIPE_PRICE_*`) when set, else the active price carrying
    /// the plan's lookup key (looked up once, then cached).
    pub async fn price_for(&self, plan: PlanId) -> Result<String, GatewayError> {
        let configured = match plan {
            PlanId::Starter => self.prices.starter.as_ref(),
            PlanId::Pro => self.prices.pro.as_ref(),
            PlanId::Free | PlanId::Enterprise => None,
        };
        if let Some(price) = configured {
            return Ok(price.clone());
        }
        let Some(lookup_key) = plan
            .plan()
            .stripe_lookup_key
            .filter(|_| plan.plan().self_serve)
        else {
            return Err(GatewayError::NoPrice(plan));
        };
        if let Some(price) = self.cached_price(plan) {
            return Ok(price);
        }
        let price = self
            .active_price_by_lookup_key(lookup_key)
            .await?
            .and_then(|p| object::string(&p, &["id"]))
            .ok_or(GatewayError::NoPrice(plan))?;
        self.cache_price(plan, &price);
        Ok(price)
    }

    /// The active price with `lookup_key` (lookup keys are unique in Stripe).
    pub(crate) async fn active_price_by_lookup_key(
        &self,
        lookup_key: &str,
    ) -> Result<Option<serde_json::Value>, GatewayError> {
        let request = ListPrice::new()
            .lookup_keys(vec![lookup_key.to_owned()])
            .active(true)
            .limit(10);
        let list = self.send(&request, None).await?;
        let prices = list
            .get("data")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| GatewayError::Unexpected("price list without data".into()))?;
        Ok(prices
            .iter()
            .find(|p| object::string(p, &["lookup_key"]).as_deref() == Some(lookup_key))
            .cloned())
    }

    fn cached_price(&self, plan: PlanId) -> Option<String> {
        self.price_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&plan)
            .cloned()
    }

    pub(crate) fn cache_price(&self, plan: PlanId, price: &str) {
        self.price_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(plan, price.to_owned());
    }
}
