//! Subscriptions: reading one, changing its price.
use serde_json::Value;
use stripe_billing::subscription::{
    RetrieveSubscription, UpdateSubscription, UpdateSubscriptionItems,
    UpdateSubscriptionProrationBehavior,
};

use super::webhook::EventError;
use super::{object, unexpected, Gateway, GatewayError};

/// What billing needs to know of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSnapshot {
    /// `sub_…`
    pub id: String,
    pub customer_id: String,
    /// Stripe's word: `active`, `trialing`, `past_due`, `unpaid`, `canceled`,
    /// `incomplete`, `incomplete_expired`, `paused`.
    pub status: String,
    /// The price of the first item.
    pub price_id: Option<String>,
    /// End of the paid period: on the item in API versions since
    /// 2025-03-31, on the subscription before.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// When a scheduled cancellation takes effect (`cancel_at`), if any.
    pub cancel_at: Option<i64>,
    /// `metadata[tenant_id]`.
    pub tenant_id: Option<String>,
}

impl SubscriptionSnapshot {
    /// Reads a subscription object, in the shape of any API version.
    pub fn from_object(subscription: &Value) -> Result<Self, EventError> {
        let item = object::first_of_list(subscription, &["items"]);
        let price_id = item
            .and_then(|i| object::id(i, &["price"]).or_else(|| object::id(i, &["plan"])))
            .or_else(|| object::id(subscription, &["plan"]));
        let current_period_end = item
            .and_then(|i| object::int(i, &["current_period_end"]))
            .or_else(|| object::int(subscription, &["current_period_end"]));
        Ok(Self {
            id: object::string(subscription, &["id"]).ok_or(EventError::Missing("id"))?,
            customer_id: object::id(subscription, &["customer"])
                .ok_or(EventError::Missing("customer"))?,
            status: object::string(subscription, &["status"])
                .ok_or(EventError::Missing("status"))?,
            price_id,
            current_period_end,
            cancel_at_period_end: object::at(subscription, &["cancel_at_period_end"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
            cancel_at: object::int(subscription, &["cancel_at"]),
            tenant_id: object::string(subscription, &["metadata", "tenant_id"]),
        })
    }

    /// Whether the subscription currently pays for its plan.
    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "active" | "trialing")
    }
}

impl Gateway {
    /// The subscription as Stripe has it now.
    pub async fn subscription(
        &self,
        subscription_id: &str,
    ) -> Result<SubscriptionSnapshot, GatewayError> {
        let subscription = self.raw_subscription(subscription_id).await?;
        SubscriptionSnapshot::from_object(&subscription).map_err(unexpected)
    }

    /// Upgrade or downgrade: replaces the price of the subscription's single
    /// item, with prorations (`proration_behavior=create_prorations`).
    pub async fn change_price(
        &self,
        subscription_id: &str,
        price_id: &str,
        idempotency_key: &str,
    ) -> Result<SubscriptionSnapshot, GatewayError> {
        let current = self.raw_subscription(subscription_id).await?;
        let items = object::at(&current, &["items", "data"])
            .and_then(Value::as_array)
            .ok_or_else(|| GatewayError::Unexpected("subscription without items".into()))?;
        let [item] = items.as_slice() else {
            return Err(GatewayError::Unexpected(format!(
                "subscription {subscription_id} has {} items, expected one",
                items.len()
            )));
        };
        let item_id = object::string(item, &["id"])
            .ok_or_else(|| GatewayError::Unexpected("subscription item without an id".into()))?;
        let mut change = UpdateSubscriptionItems::new();
        change.id = Some(item_id);
        change.price = Some(price_id.to_owned());
        let request = UpdateSubscription::new(subscription_id)
            .items(vec![change])
            .proration_behavior(UpdateSubscriptionProrationBehavior::CreateProrations);
        let updated = self.send(&request, Some(idempotency_key)).await?;
        SubscriptionSnapshot::from_object(&updated).map_err(unexpected)
    }

    async fn raw_subscription(&self, subscription_id: &str) -> Result<Value, GatewayError> {
        self.send(&RetrieveSubscription::new(subscription_id), None)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_period_end_on_the_item_or_on_the_subscription() {
        let recent = json!({
            "id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
            "cancel_at_period_end": false, "metadata": {"tenant_id": "t1"},
            "items": {"object": "list", "data": [
                {"id": "si_1", "current_period_end": 200, "price": {"id": "price_1"}}
            ]}
        });
        let snapshot = SubscriptionSnapshot::from_object(&recent).expect("parses");
        assert_eq!(snapshot.current_period_end, Some(200));
        assert_eq!(snapshot.price_id.as_deref(), Some("price_1"));
        assert_eq!(snapshot.tenant_id.as_deref(), Some("t1"));
        assert!(snapshot.is_active());

        let older = json!({
            "id": "sub_2", "customer": {"id": "cus_2"}, "status": "past_due",
            "current_period_end": 100, "cancel_at_period_end": true, "metadata": {},
            "items": {"data": [{"id": "si_2", "plan": {"id": "price_2"}}]}
        });
        let snapshot = SubscriptionSnapshot::from_object(&older).expect("parses");
        assert_eq!(snapshot.current_period_end, Some(100));
        assert_eq!(snapshot.customer_id, "cus_2");
        assert_eq!(snapshot.price_id.as_deref(), Some("price_2"));
        assert!(snapshot.cancel_at_period_end);
        assert_eq!(snapshot.tenant_id, None);
        assert!(!snapshot.is_active());
    }

    #[test]
    fn id_customer_and_status_are_required() {
        for missing in ["id", "customer", "status"] {
            let mut value = json!({"id": "sub_1", "customer": "cus_1", "status": "active"});
            value.as_object_mut().expect("object").remove(missing);
            assert_eq!(
                SubscriptionSnapshot::from_object(&value),
                Err(EventError::Missing(missing))
            );
        }
    }
}
