//! The test controls: what Stripe does on its own (a Checkout paid, a
//! renewal, a failed or late payment, a cancellation, an older API
//! version's shape), each queuing the events Stripe would send.
use serde_json::{json, Value};

use super::State;
use crate::stripe_fake::objects::{self, NewInvoice, PERIOD_SECS};

impl State {
    pub fn complete_checkout(&mut self, session_id: &str) -> Result<(String, String), String> {
        let session = self
            .find("checkout.session", session_id)
            .cloned()
            .ok_or_else(|| format!("no checkout session {session_id}"))?;
        if session["status"] != "open" {
            return Err(format!(
                "checkout session {session_id} is {}",
                session["status"]
            ));
        }
        let plan = self
            .sessions
            .get(session_id)
            .ok_or("session without a plan")?;
        let price = self
            .find("price", &plan.price)
            .cloned()
            .ok_or("price gone")?;
        let metadata = plan.subscription_metadata.clone();
        let customer = match session["customer"].as_str() {
            Some(customer) => customer.to_owned(),
            None => {
                let id = objects::new_id("cus");
                self.insert(objects::customer(
                    &id,
                    &json!({"email": session["customer_email"]}),
                ));
                id
            }
        };
        let start = objects::now();
        let subscription_id = objects::new_id("sub");
        let item = objects::subscription_item(
            &objects::new_id("si"),
            &subscription_id,
            &price,
            start,
            start + PERIOD_SECS,
        );
        let mut subscription =
            objects::subscription(&subscription_id, &customer, item, metadata, start);
        let invoice = self.new_invoice(&subscription, "subscription_create", true);
        subscription["latest_invoice"] = invoice["id"].clone();
        self.insert(subscription.clone());
        self.insert(invoice.clone());
        let mut session = session;
        session["status"] = json!("complete");
        session["payment_status"] = json!("paid");
        session["customer"] = json!(customer);
        session["subscription"] = json!(subscription_id);
        session["invoice"] = invoice["id"].clone();
        self.replace(session.clone());
        self.queue_event("checkout.session.completed", session, None);
        self.queue_event("customer.subscription.created", subscription, None);
        self.queue_event("invoice.paid", invoice.clone(), None);
        Ok((
            subscription_id,
            invoice["id"].as_str().unwrap_or_default().to_owned(),
        ))
    }

    fn new_invoice(&mut self, subscription: &Value, reason: &str, paid: bool) -> Value {
        self.invoice_seq += 1;
        let id = objects::new_id("in");
        objects::invoice(&NewInvoice {
            id: &id,
            number: format!("FAKE-{:04}", self.invoice_seq),
            base_url: &self.base_url,
            subscription,
            billing_reason: reason,
            paid,
        })
    }

    fn set_status(&mut self, subscription: &mut Value, status: &str) -> Option<Value> {
        let before = subscription["status"].clone();
        if before == status {
            return None;
        }
        subscription["status"] = json!(status);
        Some(json!({ "status": before }))
    }

    pub fn payment_failed(&mut self, subscription_id: &str) -> Result<String, String> {
        let mut subscription = self
            .find("subscription", subscription_id)
            .cloned()
            .ok_or_else(|| format!("no subscription {subscription_id}"))?;
        let invoice = self.new_invoice(&subscription, "subscription_cycle", false);
        subscription["latest_invoice"] = invoice["id"].clone();
        let previous = self.set_status(&mut subscription, "past_due");
        self.insert(invoice.clone());
        self.replace(subscription.clone());
        self.queue_event("invoice.payment_failed", invoice.clone(), None);
        if let Some(previous) = previous {
            self.queue_event(
                "customer.subscription.updated",
                subscription,
                Some(previous),
            );
        }
        Ok(invoice["id"].as_str().unwrap_or_default().to_owned())
    }

    pub fn fail_next_payment(&mut self, subscription_id: &str) {
        self.failing.push(subscription_id.to_owned());
    }

    /// The next period: its invoice is paid, or fails when flagged.
    pub fn renew(&mut self, subscription_id: &str) -> Result<String, String> {
        if let Some(at) = self.failing.iter().position(|s| s == subscription_id) {
            self.failing.remove(at);
            return self.payment_failed(subscription_id);
        }
        let mut subscription = self
            .find("subscription", subscription_id)
            .cloned()
            .ok_or_else(|| format!("no subscription {subscription_id}"))?;
        let item = &mut subscription["items"]["data"][0];
        let end = item["current_period_end"]
            .as_i64()
            .unwrap_or_else(objects::now);
        let previous_end = item["current_period_end"].clone();
        item["current_period_start"] = json!(end);
        item["current_period_end"] = json!(end + PERIOD_SECS);
        let invoice = self.new_invoice(&subscription, "subscription_cycle", true);
        subscription["latest_invoice"] = invoice["id"].clone();
        self.insert(invoice.clone());
        self.replace(subscription.clone());
        self.queue_event("invoice.paid", invoice.clone(), None);
        self.queue_event(
            "customer.subscription.updated",
            subscription,
            Some(json!({ "items": { "data": [{ "current_period_end": previous_end }] } })),
        );
        Ok(invoice["id"].as_str().unwrap_or_default().to_owned())
    }

    pub fn pay_invoice(&mut self, invoice_id: &str) -> Result<(), String> {
        let mut invoice = self
            .find("invoice", invoice_id)
            .cloned()
            .ok_or_else(|| format!("no invoice {invoice_id}"))?;
        if invoice["status"] == "paid" {
            return Err(format!("invoice {invoice_id} is already paid"));
        }
        invoice["status"] = json!("paid");
        invoice["amount_paid"] = invoice["amount_due"].clone();
        invoice["amount_remaining"] = json!(0);
        invoice["attempt_count"] = json!(invoice["attempt_count"].as_i64().unwrap_or(0) + 1);
        invoice["status_transitions"]["paid_at"] = json!(objects::now());
        self.replace(invoice.clone());
        self.queue_event("invoice.paid", invoice.clone(), None);
        let subscription_id = invoice["parent"]["subscription_details"]["subscription"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Some(mut subscription) = self.find("subscription", &subscription_id).cloned() {
            if subscription["status"] != "canceled" {
                if let Some(previous) = self.set_status(&mut subscription, "active") {
                    self.replace(subscription.clone());
                    self.queue_event(
                        "customer.subscription.updated",
                        subscription,
                        Some(previous),
                    );
                }
            }
        }
        Ok(())
    }

    pub fn cancel(&mut self, subscription_id: &str) -> Option<Value> {
        let mut subscription = self.find("subscription", subscription_id).cloned()?;
        let t = objects::now();
        subscription["status"] = json!("canceled");
        subscription["canceled_at"] = json!(t);
        subscription["ended_at"] = json!(t);
        subscription["cancellation_details"]["reason"] = json!("cancellation_requested");
        self.replace(subscription.clone());
        self.queue_event("customer.subscription.deleted", subscription.clone(), None);
        Some(subscription)
    }

    /// Rewrites a subscription as API versions before 2025-03-31 render it:
    /// the period on the subscription, not on its items.
    pub fn legacy_shape(&mut self, subscription_id: &str) -> Result<(), String> {
        let mut subscription = self
            .find("subscription", subscription_id)
            .cloned()
            .ok_or_else(|| format!("no subscription {subscription_id}"))?;
        let item = subscription["items"]["data"][0]
            .as_object_mut()
            .ok_or("no item")?;
        let start = item.remove("current_period_start").unwrap_or(Value::Null);
        let end = item.remove("current_period_end").unwrap_or(Value::Null);
        subscription["current_period_start"] = start;
        subscription["current_period_end"] = end;
        self.replace(subscription);
        Ok(())
    }
}
