//! The API's endpoints over the fake's objects: routing, then creating,
//! reading, updating and listing, with Stripe's error shapes.
use serde_json::{json, Value};

use super::{Reply, SessionPlan, State};
use crate::stripe_fake::objects::{self, NewPrice, NewSession};

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
    pub(super) fn route(&mut self, method: &str, path: &str, form: &Value) -> Reply {
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
}
