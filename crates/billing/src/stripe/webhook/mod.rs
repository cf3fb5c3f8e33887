//! Stripe webhooks without I/O: the `Stripe-Signature` check, the event
//! envelope, and typed readers of the objects billing reacts to. Readers
//! accept the shapes of older and newer API versions (an endpoint receives
//! events in its own API version, not async-stripe's).
use serde_json::Value;

use super::object;
pub use super::subscriptions::SubscriptionSnapshot;

mod signature;
pub use signature::{
    verify_signature, SignatureError, MAX_SIGNATURE_HEADER_BYTES, MAX_V1_SIGNATURES,
    V1_SIGNATURE_HEX_LEN,
};

/// Why an event or one of its objects cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event payload is not JSON: {0}")]
    Json(String),
    #[error("missing or empty field `{0}`")]
    Missing(&'static str),
}

/// A Stripe event envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_…`: deliveries may repeat, dedupe on it.
    pub id: String,
    /// `type`, e.g. `invoice.paid`.
    pub kind: String,
    pub created: i64,
    pub livemode: bool,
    /// The API version the object is rendered in, when given.
    pub api_version: Option<String>,
    /// `data.object`.
    pub object: Value,
}

/// Reads an event (`id`, `type` and `data.object` required; `created`
/// defaults to 0 and `livemode` to false).
pub fn parse_event(payload: &[u8]) -> Result<Event, EventError> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| EventError::Json(e.to_string()))?;
    let object = object::at(&value, &["data", "object"])
        .filter(|o| o.is_object())
        .cloned()
        .ok_or(EventError::Missing("data.object"))?;
    Ok(Event {
        id: object::string(&value, &["id"]).ok_or(EventError::Missing("id"))?,
        kind: object::string(&value, &["type"]).ok_or(EventError::Missing("type"))?,
        created: object::int(&value, &["created"]).unwrap_or(0),
        livemode: value
            .get("livemode")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        api_version: object::string(&value, &["api_version"]),
        object,
    })
}

/// `checkout.session.completed` (and `.expired`, `.async_payment_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutCompleted {
    /// `cs_…`
    pub id: String,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub client_reference_id: Option<String>,
    /// `metadata[tenant_id]`.
    pub tenant_id: Option<String>,
    /// `metadata[plan]`.
    pub plan: Option<String>,
    /// `open`, `complete` or `expired`.
    pub status: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: Option<String>,
    pub mode: Option<String>,
}

impl CheckoutCompleted {
    pub fn from_object(session: &Value) -> Result<Self, EventError> {
        Ok(Self {
            id: object::string(session, &["id"]).ok_or(EventError::Missing("id"))?,
            customer_id: object::id(session, &["customer"]),
            subscription_id: object::id(session, &["subscription"]),
            client_reference_id: object::string(session, &["client_reference_id"]),
            tenant_id: object::string(session, &["metadata", "tenant_id"]),
            plan: object::string(session, &["metadata", "plan"]),
            status: object::string(session, &["status"]),
            payment_status: object::string(session, &["payment_status"]),
            mode: object::string(session, &["mode"]),
        })
    }

    /// The tenant: `client_reference_id`, else `metadata[tenant_id]`.
    pub fn tenant(&self) -> Option<&str> {
        self.client_reference_id
            .as_deref()
            .or(self.tenant_id.as_deref())
    }
}

/// `customer.subscription.*`: the subscription object (id, customer,
/// `metadata[tenant_id]`, status, price, period end in either place).
pub type SubscriptionRef = SubscriptionSnapshot;

/// `invoice.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceFacts {
    /// `in_…`
    pub id: String,
    pub customer_id: Option<String>,
    /// `subscription` before API 2025-03-31.basil,
    /// `parent.subscription_details.subscription` since.
    pub subscription_id: Option<String>,
    /// The subscription's `metadata[tenant_id]` as copied onto the invoice
    /// (`parent.subscription_details.metadata` or `subscription_details.metadata`).
    pub tenant_id: Option<String>,
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub status: Option<String>,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub currency: Option<String>,
    pub hosted_invoice_url: Option<String>,
    pub created: Option<i64>,
    /// The invoice's `period_end`. For subscription invoices Stripe sets it
    /// to the *start* of the billed period; see `service_period_end`.
    pub period_end: Option<i64>,
    /// The latest end among the line items' periods (the end of the service
    /// billed), when lines are included.
    pub service_period_end: Option<i64>,
}

impl InvoiceFacts {
    pub fn from_object(invoice: &Value) -> Result<Self, EventError> {
        let subscription_id =
            object::id(invoice, &["parent", "subscription_details", "subscription"])
                .or_else(|| object::id(invoice, &["subscription"]));
        let tenant_id = object::string(
            invoice,
            &["parent", "subscription_details", "metadata", "tenant_id"],
        )
        .or_else(|| object::string(invoice, &["subscription_details", "metadata", "tenant_id"]));
        let service_period_end = object::at(invoice, &["lines", "data"])
            .and_then(Value::as_array)
            .and_then(|lines| {
                lines
                    .iter()
                    .filter_map(|l| object::int(l, &["period", "end"]))
                    .max()
            });
        Ok(Self {
            id: object::string(invoice, &["id"]).ok_or(EventError::Missing("id"))?,
            customer_id: object::id(invoice, &["customer"]),
            subscription_id,
            tenant_id,
            number: object::string(invoice, &["number"]),
            status: object::string(invoice, &["status"]),
            amount_due: object::int(invoice, &["amount_due"]).unwrap_or(0),
            amount_paid: object::int(invoice, &["amount_paid"]).unwrap_or(0),
            currency: object::string(invoice, &["currency"]),
            hosted_invoice_url: object::string(invoice, &["hosted_invoice_url"]),
            created: object::int(invoice, &["created"]),
            period_end: object::int(invoice, &["period_end"]),
            service_period_end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_parsed() {
        let payload = json!({
            "id": "evt_1", "object": "event", "type": "invoice.paid", "created": 5,
            "livemode": true, "api_version": "2025-03-31.basil",
            "data": {"object": {"id": "in_1", "object": "invoice"}}
        });
        let event = parse_event(payload.to_string().as_bytes()).expect("parses");
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.kind, "invoice.paid");
        assert_eq!(event.created, 5);
        assert!(event.livemode);
        assert_eq!(event.api_version.as_deref(), Some("2025-03-31.basil"));
        assert_eq!(event.object["id"], "in_1");
    }

    #[test]
    fn broken_events_are_refused() {
        assert!(matches!(
            parse_event(b"{not json"),
            Err(EventError::Json(_))
        ));
        assert_eq!(
            parse_event(br#"{"type":"x","data":{"object":{}}}"#),
            Err(EventError::Missing("id"))
        );
        assert_eq!(
            parse_event(br#"{"id":"evt_1","data":{"object":{}}}"#),
            Err(EventError::Missing("type"))
        );
        assert_eq!(
            parse_event(br#"{"id":"evt_1","type":"x","data":{}}"#),
            Err(EventError::Missing("data.object"))
        );
        assert_eq!(
            parse_event(br#"{"id":"evt_1","type":"x","data":{"object":"in_1"}}"#),
            Err(EventError::Missing("data.object"))
        );
    }

    #[test]
    fn checkout_sessions_are_read() {
        let session = json!({
            "id": "cs_test_1", "object": "checkout.session", "customer": "cus_1",
            "subscription": {"id": "sub_1"}, "client_reference_id": "t1",
            "metadata": {"tenant_id": "t1", "plan": "pro"}, "status": "complete",
            "payment_status": "paid", "mode": "subscription"
        });
        let facts = CheckoutCompleted::from_object(&session).expect("reads");
        assert_eq!(facts.customer_id.as_deref(), Some("cus_1"));
        assert_eq!(facts.subscription_id.as_deref(), Some("sub_1"));
        assert_eq!(facts.tenant(), Some("t1"));
        assert_eq!(facts.plan.as_deref(), Some("pro"));
        let bare =
            CheckoutCompleted::from_object(&json!({"id": "cs_2", "metadata": {"tenant_id": "t2"}}))
                .expect("reads");
        assert_eq!(bare.tenant(), Some("t2"));
        assert_eq!(bare.subscription_id, None);
        assert_eq!(
            CheckoutCompleted::from_object(&json!({})),
            Err(EventError::Missing("id"))
        );
    }

    #[test]
    fn invoices_are_read_in_old_and_new_shapes() {
        let new = json!({
            "id": "in_1", "customer": "cus_1", "number": "A-1", "status": "paid",
            "amount_due": 900, "amount_paid": 900, "currency": "eur",
            "hosted_invoice_url": "https://invoice.stripe.com/i/x", "created": 10, "period_end": 10,
            "parent": {"type": "subscription_details",
                       "subscription_details": {"subscription": "sub_1", "metadata": {"tenant_id": "t1"}}},
            "lines": {"data": [{"period": {"start": 10, "end": 20}}, {"period": {"start": 10, "end": 30}}]}
        });
        let facts = InvoiceFacts::from_object(&new).expect("reads");
        assert_eq!(facts.subscription_id.as_deref(), Some("sub_1"));
        assert_eq!(facts.tenant_id.as_deref(), Some("t1"));
        assert_eq!((facts.amount_due, facts.amount_paid), (900, 900));
        assert_eq!(facts.service_period_end, Some(30));
        assert_eq!(
            facts.hosted_invoice_url.as_deref(),
            Some("https://invoice.stripe.com/i/x")
        );

        let old = json!({
            "id": "in_2", "customer": {"id": "cus_2"}, "subscription": "sub_2",
            "subscription_details": {"metadata": {"tenant_id": "t2"}}, "status": "open",
            "amount_due": 2900, "amount_paid": 0, "currency": "eur"
        });
        let facts = InvoiceFacts::from_object(&old).expect("reads");
        assert_eq!(facts.customer_id.as_deref(), Some("cus_2"));
        assert_eq!(facts.subscription_id.as_deref(), Some("sub_2"));
        assert_eq!(facts.tenant_id.as_deref(), Some("t2"));
        assert_eq!(facts.service_period_end, None);
        assert_eq!(
            InvoiceFacts::from_object(&json!({"status": "paid"})),
            Err(EventError::Missing("id"))
        );
    }
}
