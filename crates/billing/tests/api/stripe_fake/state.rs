//! What the fake remembers, and the API's behaviour over it.
use std::collections::{HashMap, VecDeque};

use serde_json::{json, Value};

use super::objects::{self, NewInvoice, NewPrice, NewSession, PERIOD_SECS};

/// One API request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// e.g. `/v1/customers`
    pub path: String,
    pub idempotency_key: Option<String>,
    /// The form body (POST) or query (GET, DELETE), parsed.
    pub form: Value,
    /// Answered from the idempotency store.
    pub replayed: bool,
    pub status: u16,
}

struct StoredResponse {
    method: String,
    path: String,
    body: String,
    status: u16,
    response: Value,
}

/// What a checkout session will create when completed.
struct SessionPlan {
    price: String,
    subscription_metadata: Value,
}

pub struct State {
    pub secret_key: String,
    pub base_url: String,
    /// Every object, in creation order.
    objects: Vec<Value>,
    sessions: HashMap<String, SessionPlan>,
    idempotency: HashMap<String, StoredResponse>,
    pub requests: Vec<RecordedRequest>,
    pub events: Vec<Value>,
    pub pending: VecDeque<Value>,
    pub webhook: Option<(String, String)>,
    failing: Vec<String>,
    invoice_seq: u32,
}

pub type Reply = (u16, Value);

fn missing(kind: &str, id: &str, param: &str, status: u16) -> Reply {
    (
        status,
        objects::error(
            "invalid_request_error",
            Some("resource_missing"),
            &format!("No such {kind}: '{id}'"),
            Some(param),
        ),
    )
}

fn invalid(message: &str, param: Option<&str>) -> Reply {
    (
        400,
        objects::error(
            "invalid_request_error",
            Some("parameter_missing").filter(|_| message.starts_with("Missing")),
            message,
            param,
        ),
    )
}

fn text<'a>(form: &'a Value, key: &str) -> Option<&'a str> {
    form.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl State {
    pub fn new(secret_key: String, base_url: String) -> Self {
        Self {
            secret_key,
            base_url,
            objects: Vec::new(),
            sessions: HashMap::new(),
            idempotency: HashMap::new(),
            requests: Vec::new(),
            events: Vec::new(),
            pending: VecDeque::new(),
            webhook: None,
            failing: Vec::new(),
            invoice_seq: 0,
        }
    }

    pub fn find(&self, kind: &str, id: &str) -> Option<&Value> {
        self.objects
            .iter()
            .find(|o| o["object"] == kind && o["id"] == id)
    }

    fn find_mut(&mut self, kind: &str, id: &str) -> Option<&mut Value> {
        self.objects
            .iter_mut()
            .find(|o| o["object"] == kind && o["id"] == id)
    }

    pub fn all(&self, kind: &str) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|o| o["object"] == kind)
            .cloned()
            .collect()
    }

    pub fn insert(&mut self, object: Value) -> Value {
        self.objects.push(object.clone());
        object
    }

    pub fn replace(&mut self, object: Value) {
        let kind = object["object"].clone();
        let id = object["id"].clone();
        if let Some(slot) = self
            .objects
            .iter_mut()
            .find(|o| o["object"] == kind && o["id"] == id)
        {
            *slot = object;
        }
    }

    pub fn queue_event(&mut self, kind: &str, object: Value, previous: Option<Value>) {
        let event = objects::event(kind, object, previous);
        self.events.push(event.clone());
        self.pending.push_back(event);
    }

    /// Answers an API request (already authenticated), honouring `Idempotency-Key`.
    pub fn handle(
        &mut self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: &str,
        form: &Value,
    ) -> (Reply, bool) {
        if let (Some(key), "POST") = (key, method) {
            if let Some(stored) = self.idempotency.get(key) {
                if stored.method == method && stored.path == path && stored.body == body {
                    return ((stored.status, stored.response.clone()), true);
                }
                let message = format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                );
                return (
                    (
                        400,
                        objects::error("idempotency_error", None, &message, None),
                    ),
                    false,
                );
            }
        }
        let reply = self.route(method, path, form);
        if let (Some(key), "POST") = (key, method) {
            if (200..300).contains(&reply.0) {
                self.idempotency.insert(
                    key.to_owned(),
                    StoredResponse {
                        method: method.to_owned(),
                        path: path.to_owned(),
                        body: body.to_owned(),
                        status: reply.0,
                        response: reply.1.clone(),
                    },
                );
            }
        }
        (reply, false)
    }

    fn route(&mut self, method: &str, path: &str, form: &Value) -> Reply {
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        match (method, segments.as_slice()) {
            ("POST", ["customers"]) => self.create_customer(form),
            ("GET", ["customers", id]) => self.get("customer", id),
            ("POST", ["products"]) => self.create_product(form),
            ("GET", ["products", id]) => self.get("product", id),
            ("POST", ["products", id]) => self.update_product(id, form),
            ("POST", ["prices"]) => self.create_price(form),
            ("GET", ["prices"]) => self.list_prices(form),
            ("GET", ["prices", id]) => self.get("price", id),
            ("POST", ["checkout", "sessions"]) => self.create_checkout_session(form),
            ("GET", ["checkout", "sessions", id]) => self.get("checkout.session", id),
            ("POST", ["billing_portal", "sessions"]) => self.create_portal_session(form),
            ("GET", ["subscriptions", id]) => self.get("subscription", id),
            ("POST", ["subscriptions", id]) => self.update_subscription(id, form),
            ("DELETE", ["subscriptions", id]) => match self.cancel(id) {
                Some(subscription) => (200, subscription),
                None => missing("subscription", id, "id", 404),
            },
            ("GET", ["invoices", id]) => self.get("invoice", id),
            ("GET", ["invoices"]) => self.list_invoices(form),
            _ => (
                404,
                objects::error(
                    "invalid_request_error",
                    None,
                    &format!("Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."),
                    None,
                ),
            ),
        }
    }

    fn get(&self, kind: &str, id: &str) -> Reply {
        match self.find(kind, id) {
            Some(object) => (200, object.clone()),
            None => missing(kind.rsplit('.').next().unwrap_or(kind), id, "id", 404),
        }
    }

    fn create_customer(&mut self, form: &Value) -> Reply {
        let id = objects::new_id("cus");
        (200, self.insert(objects::customer(&id, form)))
    }

    fn create_product(&mut self, form: &Value) -> Reply {
        let Some(name) = text(form, "name") else {
            return invalid("Missing required param: name.", Some("name"));
        };
        let id = text(form, "id").map_or_else(|| objects::new_id("prod"), str::to_owned);
        if self.find("product", &id).is_some() {
            return (
                400,
                objects::error(
                    "invalid_request_error",
                    Some("resource_already_exists"),
                    "Product already exists.",
                    Some("id"),
                ),
            );
        }
        (200, self.insert(objects::product(&id, name, form)))
    }

    fn update_product(&mut self, id: &str, form: &Value) -> Reply {
        let Some(product) = self.find_mut("product", id) else {
            return missing("product", id, "id", 404);
        };
        if let Some(name) = text(form, "name") {
            product["name"] = json!(name);
        }
        if let Some(active) = text(form, "active") {
            product["active"] = json!(active == "true");
        }
        if let Some(Value::Object(metadata)) = form.get("metadata") {
            for (k, v) in metadata {
                product["metadata"][k] = v.clone();
            }
        }
        product["updated"] = json!(objects::now());
        (200, product.clone())
    }

    fn create_price(&mut self, form: &Value) -> Reply {
        let (Some(currency), Some(product)) = (text(form, "currency"), text(form, "product"))
        else {
            return invalid(
                "Missing required param: currency or product.",
                Some("currency"),
            );
        };
        if self.find("product", product).is_none() {
            return missing("product", product, "product", 400);
        }
        let Some(unit_amount) = text(form, "unit_amount").and_then(|a| a.parse::<i64>().ok())
        else {
            return invalid("Missing required param: unit_amount.", Some("unit_amount"));
        };
        let Some(interval) = form.get("recurring").and_then(|r| text(r, "interval")) else {
            return invalid(
                "This fake only makes recurring prices: recurring[interval] is required.",
                Some("recurring"),
            );
        };
        let interval_count = form
            .get("recurring")
            .and_then(|r| text(r, "interval_count"))
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        let lookup_key = text(form, "lookup_key");
        if let Some(key) = lookup_key {
            let holder = self
                .objects
                .iter()
                .find(|o| o["object"] == "price" && o["lookup_key"] == key)
                .map(|o| o["id"].as_str().unwrap_or_default().to_owned());
            if let Some(holder) = holder {
                if text(form, "transfer_lookup_key") != Some("true") {
                    return (
                        400,
                        objects::error(
                            "invalid_request_error",
                            None,
                            &format!("A price (`{holder}`) already uses that lookup key."),
                            Some("lookup_key"),
                        ),
                    );
                }
                if let Some(old) = self.find_mut("price", &holder) {
                    old["lookup_key"] = Value::Null;
                }
            }
        }
        let id = objects::new_id("price");
        let price = objects::price(
            &id,
            &NewPrice {
                product,
                unit_amount,
                currency,
                interval,
                interval_count,
                lookup_key,
                nickname: text(form, "nickname"),
            },
        );
        (200, self.insert(price))
    }

    fn list_prices(&self, form: &Value) -> Reply {
        let keys: Option<Vec<&str>> = form
            .get("lookup_keys")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect());
        let active = text(form, "active").map(|a| a == "true");
        let product = text(form, "product");
        let limit = text(form, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(10usize);
        let data: Vec<Value> = self
            .objects
            .iter()
            .rev()
            .filter(|o| o["object"] == "price")
            .filter(|p| {
                keys.as_ref()
                    .is_none_or(|keys| keys.iter().any(|k| p["lookup_key"] == *k))
            })
            .filter(|p| active.is_none_or(|a| p["active"] == a))
            .filter(|p| product.is_none_or(|id| p["product"] == id))
            .take(limit)
            .cloned()
            .collect();
        (200, objects::list(data, "/v1/prices"))
    }

    fn create_checkout_session(&mut self, form: &Value) -> Reply {
        let Some(mode) = text(form, "mode") else {
            return invalid("Missing required param: mode.", Some("mode"));
        };
        if text(form, "success_url").is_none() {
            return invalid("Missing required param: success_url.", Some("success_url"));
        }
        let customer = text(form, "customer");
        if let Some(customer) = customer {
            if self.find("customer", customer).is_none() {
                return missing("customer", customer, "customer", 400);
            }
        }
        let Some(price_id) = form.pointer("/line_items/0/price").and_then(Value::as_str) else {
            return invalid(
                "Missing required param: line_items[0][price].",
                Some("line_items"),
            );
        };
        let Some(price) = self.find("price", price_id).cloned() else {
            return missing("price", price_id, "line_items[0][price]", 400);
        };
        if mode == "subscription" && price["type"] != "recurring" {
            return invalid(
                "A recurring price is required in subscription mode.",
                Some("line_items"),
            );
        }
        let id = objects::new_id("cs_test");
        let session = objects::checkout_session(&NewSession {
            id: &id,
            base_url: &self.base_url,
            customer,
            amount: price["unit_amount"].as_i64().unwrap_or(0),
            currency: price["currency"].as_str().unwrap_or("eur"),
            form,
        });
        self.sessions.insert(
            id.clone(),
            SessionPlan {
                price: price_id.to_owned(),
                subscription_metadata: form
                    .pointer("/subscription_data/metadata")
                    .cloned()
                    .unwrap_or_else(|| json!({})),
            },
        );
        (200, self.insert(session))
    }

    fn create_portal_session(&mut self, form: &Value) -> Reply {
        let Some(customer) = text(form, "customer") else {
            return invalid("Missing required param: customer.", Some("customer"));
        };
        if self.find("customer", customer).is_none() {
            return missing("customer", customer, "customer", 400);
        }
        let id = objects::new_id("bps");
        let return_url = form.get("return_url").cloned().unwrap_or(Value::Null);
        let session = objects::portal_session(&id, &self.base_url, customer, &return_url);
        (200, self.insert(session))
    }

    fn update_subscription(&mut self, id: &str, form: &Value) -> Reply {
        let Some(before) = self.find("subscription", id).cloned() else {
            return missing("subscription", id, "id", 404);
        };
        let mut after = before.clone();
        let mut previous = serde_json::Map::new();
        if let Some(items) = form.get("items").and_then(Value::as_array) {
            for change in items {
                let Some(price_id) = text(change, "price") else {
                    continue;
                };
                let Some(price) = self.find("price", price_id).cloned() else {
                    return missing("price", price_id, "items[0][price]", 400);
                };
                let data = after["items"]["data"].as_array_mut().expect("items");
                let Some(item) = data
                    .iter_mut()
                    .find(|i| Some(i["id"].as_str().unwrap_or_default()) == text(change, "id"))
                else {
                    return invalid(
                        "items[0][id]: no such subscription item on this subscription.",
                        Some("items[0][id]"),
                    );
                };
                item["plan"] = objects::plan_of(&price);
                item["price"] = price;
                previous.insert("items".into(), before["items"].clone());
            }
        }
        if let Some(flag) = text(form, "cancel_at_period_end") {
            let flag = flag == "true";
            if after["cancel_at_period_end"] != flag {
                previous.insert("cancel_at_period_end".into(), json!(!flag));
                after["cancel_at_period_end"] = json!(flag);
                let period_end = after["items"]["data"][0]["current_period_end"].clone();
                after["cancel_at"] = if flag { period_end } else { Value::Null };
            }
        }
        if let Some(Value::Object(metadata)) = form.get("metadata") {
            previous.insert("metadata".into(), before["metadata"].clone());
            for (k, v) in metadata {
                after["metadata"][k] = v.clone();
            }
        }
        self.replace(after.clone());
        if !previous.is_empty() {
            self.queue_event(
                "customer.subscription.updated",
                after.clone(),
                Some(Value::Object(previous)),
            );
        }
        (200, after)
    }

    fn list_invoices(&self, form: &Value) -> Reply {
        let customer = text(form, "customer");
        let subscription = text(form, "subscription");
        let data: Vec<Value> = self
            .objects
            .iter()
            .rev()
            .filter(|o| o["object"] == "invoice")
            .filter(|i| customer.is_none_or(|c| i["customer"] == c))
            .filter(|i| {
                subscription
                    .is_none_or(|s| i["parent"]["subscription_details"]["subscription"] == s)
            })
            .cloned()
            .collect();
        (200, objects::list(data, "/v1/invoices"))
    }

    // ---- test controls ----

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

    pub fn record(&mut self, request: RecordedRequest) {
        self.requests.push(request);
    }
}
