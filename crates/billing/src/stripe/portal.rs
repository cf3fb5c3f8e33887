//! Customer Portal sessions.
use stripe_billing::billing_portal_session::CreateBillingPortalSession;

use super::{object, Gateway, GatewayError};

impl Gateway {
    /// A Customer Portal session for `customer_id`; returns its URL (valid
    /// for a short time, to redirect the browser to).
    pub async fn create_portal_session(
        &self,
        customer_id: &str,
        return_url: &str,
    ) -> Result<String, GatewayError> {
        let request = CreateBillingPortalSession::new()
            .customer(customer_id)
            .return_url(return_url);
        let session = self.send(&request, None).await?;
        object::string(&session, &["url"])
            .ok_or_else(|| GatewayError::Unexpected("portal session without a url".into()))
    }
}
