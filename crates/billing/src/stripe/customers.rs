//! Customers: one per tenant.
use std::collections::HashMap;

use stripe_core::customer::CreateCustomer;

use super::{object, Gateway, GatewayError};

/// The idempotency key of a tenant's customer creation: a retry within
/// Stripe's 24 h key lifetime returns the first customer instead of making
/// a second one. The caller stores the id it gets.
pub(crate) fn customer_idempotency_key(tenant_id: &str) -> String {
    format!("connectauth-customer-{tenant_id}")
}

impl Gateway {
    /// Creates the Stripe customer of a tenant (`metadata[tenant_id]`) and
    /// returns its id (`cus_…`). Idempotency key `connectauth-customer-{tenant_id}`.
    pub async fn create_customer(
        &self,
        tenant_id: &str,
        name: &str,
        email: Option<&str>,
    ) -> Result<String, GatewayError> {
        let mut request = CreateCustomer::new().name(name).metadata(HashMap::from([(
            "tenant_id".to_owned(),
            tenant_id.to_owned(),
        )]));
        if let Some(email) = email {
            request = request.email(email);
        }
        let customer = self
            .send(&request, Some(&customer_idempotency_key(tenant_id)))
            .await?;
        object::string(&customer, &["id"])
            .ok_or_else(|| GatewayError::Unexpected("customer without an id".into()))
    }
}
