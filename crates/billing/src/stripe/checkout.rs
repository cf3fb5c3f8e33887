//! Checkout sessions for a paid plan.
use std::collections::HashMap;

use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_shared::CheckoutSessionMode;

use super::{object, Gateway, GatewayError};
use crate::domain::plan::PlanId;

/// What a Checkout session is for.
#[derive(Debug, Clone, Copy)]
pub struct CheckoutRequest<'a> {
    pub tenant_id: &'a str,
    pub customer_id: &'a str,
    pub plan: PlanId,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    pub idempotency_key: &'a str,
}

/// A Checkout session to send the browser to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLink {
    /// `cs_…`
    pub id: String,
    pub url: String,
}

impl Gateway {
    /// A subscription-mode Checkout session for one unit of the plan's price,
    /// tagged with the tenant: `client_reference_id`, `metadata[tenant_id]`,
    /// `metadata[plan]`, and the same metadata on the subscription it creates.
    pub async fn create_checkout_session(
        &self,
        req: &CheckoutRequest<'_>,
    ) -> Result<CheckoutLink, GatewayError> {
        let price = self.price_for(req.plan).await?;
        let metadata = HashMap::from([
            ("tenant_id".to_owned(), req.tenant_id.to_owned()),
            ("plan".to_owned(), req.plan.as_str().to_owned()),
        ]);
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(price);
        item.quantity = Some(1);
        let mut subscription_data = CreateCheckoutSessionSubscriptionData::new();
        subscription_data.metadata = Some(metadata.clone());
        let request = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .customer(req.customer_id)
            .client_reference_id(req.tenant_id)
            .line_items(vec![item])
            .metadata(metadata)
            .subscription_data(subscription_data)
            .success_url(req.success_url)
            .cancel_url(req.cancel_url);
        let session = self.send(&request, Some(req.idempotency_key)).await?;
        match (
            object::string(&session, &["id"]),
            object::string(&session, &["url"]),
        ) {
            (Some(id), Some(url)) => Ok(CheckoutLink { id, url }),
            _ => Err(GatewayError::Unexpected(
                "checkout session without an id or url".into(),
            )),
        }
    }
}
