//! Stripe objects as the API renders them (API version
//! `API_VERSION`), with every field async-stripe's types require.
use serde_json::{json, Map, Value};

pub const API_VERSION: &str = "2026-09-30.endive";
pub const PERIOD_SECS: i64 = 30 * 24 * 3600;

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `prefix_` + 24 random alphanumerics.
pub fn new_id(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &random[..24])
}

pub fn error(kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> Value {
    let mut error = Map::new();
    error.insert("type".into(), json!(kind));
    error.insert("message".into(), json!(message));
    if let Some(code) = code {
        error.insert("code".into(), json!(code));
        error.insert(
            "doc_url".into(),
            json!(format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            )),
        );
    }
    if let Some(param) = param {
        error.insert("param".into(), json!(param));
    }
    json!({ "error": error })
}

pub fn list(data: Vec<Value>, url: &str) -> Value {
    json!({ "object": "list", "data": data, "has_more": false, "url": url })
}

pub fn metadata(form: &Value) -> Value {
    match form.get("metadata") {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        _ => json!({}),
    }
}

pub fn customer(id: &str, form: &Value) -> Value {
    json!({
        "id": id,
        "object": "customer",
        "address": null,
        "balance": 0,
        "created": now(),
        "currency": null,
        "default_source": null,
        "delinquent": false,
        "description": form.get("description").cloned().unwrap_or(Value::Null),
        "discount": null,
        "email": form.get("email").cloned().unwrap_or(Value::Null),
        "invoice_prefix": id.trim_start_matches("cus_")[..8].to_uppercase(),
        "invoice_settings": {
            "custom_fields": null, "default_payment_method": null, "footer": null,
            "rendering_options": null
        },
        "livemode": false,
        "metadata": metadata(form),
        "name": form.get("name").cloned().unwrap_or(Value::Null),
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null
    })
}

pub fn product(id: &str, name: &str, form: &Value) -> Value {
    let t = now();
    json!({
        "id": id,
        "object": "product",
        "active": form.get("active").map(|v| v != "false").unwrap_or(true),
        "created": t,
        "default_price": null,
        "description": form.get("description").cloned().unwrap_or(Value::Null),
        "images": [],
        "livemode": false,
        "marketing_features": [],
        "metadata": metadata(form),
        "name": name,
        "package_dimensions": null,
        "shippable": null,
        "statement_descriptor": null,
        "tax_code": null,
        "type": "service",
        "unit_label": null,
        "updated": t,
        "url": null
    })
}

pub struct NewPrice<'a> {
    pub product: &'a str,
    pub unit_amount: i64,
    pub currency: &'a str,
    pub interval: &'a str,
    pub interval_count: i64,
    pub lookup_key: Option<&'a str>,
    pub nickname: Option<&'a str>,
}

pub fn price(id: &str, p: &NewPrice<'_>) -> Value {
    json!({
        "id": id,
        "object": "price",
        "active": true,
        "billing_scheme": "per_unit",
        "created": now(),
        "currency": p.currency,
        "custom_unit_amount": null,
        "livemode": false,
        "lookup_key": p.lookup_key,
        "metadata": {},
        "nickname": p.nickname,
        "product": p.product,
        "recurring": {
            "interval": p.interval,
            "interval_count": p.interval_count,
            "meter": null,
            "trial_period_days": null,
            "usage_type": "licensed"
        },
        "tax_behavior": "unspecified",
        "tiers_mode": null,
        "transform_quantity": null,
        "type": "recurring",
        "unit_amount": p.unit_amount,
        "unit_amount_decimal": p.unit_amount.to_string()
    })
}

/// The legacy `plan` twin of a recurring price (still required on items).
pub fn plan_of(price: &Value) -> Value {
    json!({
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": price["recurring"]["interval"],
        "interval_count": price["recurring"]["interval_count"],
        "livemode": false,
        "metadata": {},
        "meter": null,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": null,
        "transform_usage": null,
        "trial_period_days": null,
        "usage_type": "licensed"
    })
}

pub struct NewSession<'a> {
    pub id: &'a str,
    pub base_url: &'a str,
    pub customer: Option<&'a str>,
    pub amount: i64,
    pub currency: &'a str,
    pub form: &'a Value,
}

pub fn checkout_session(s: &NewSession<'_>) -> Value {
    let t = now();
    let head = json!({
        "id": s.id,
        "object": "checkout.session",
        "after_expiration": null,
        "allow_promotion_codes": null,
        "amount_subtotal": s.amount,
        "amount_total": s.amount,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "billing_address_collection": null,
        "cancel_url": s.form.get("cancel_url").cloned().unwrap_or(Value::Null),
        "client_reference_id": s.form.get("client_reference_id").cloned().unwrap_or(Value::Null),
        "client_secret": null,
        "consent": null,
        "consent_collection": null,
        "created": t,
        "currency": s.currency,
        "custom_fields": [],
        "custom_text": {
            "after_submit": null, "shipping_address": null, "submit": null,
            "terms_of_service_acceptance": null
        },
        "customer": s.customer,
        "customer_creation": null,
        "customer_details": null,
        "customer_email": s.form.get("customer_email").cloned().unwrap_or(Value::Null),
    });
    let rest = json!({
        "expires_at": t + 24 * 3600,
        "invoice": null,
        "invoice_creation": null,
        "livemode": false,
        "locale": null,
        "metadata": metadata(s.form),
        "mode": s.form.get("mode").cloned().unwrap_or(Value::Null),
        "payment_intent": null,
        "payment_link": null,
        "payment_method_collection": "always",
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": { "enabled": false },
        "recovered_from": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": "open",
        "submit_type": null,
        "subscription": null,
        "success_url": s.form.get("success_url").cloned().unwrap_or(Value::Null),
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        "ui_mode": "hosted",
        "url": format!("{}/c/pay/{}", s.base_url, s.id)
    });
    merge(head, rest)
}

/// `a` with `b`'s fields added (json! has a recursion limit).
pub fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

pub fn portal_session(id: &str, base_url: &str, customer: &str, return_url: &Value) -> Value {
    json!({
        "id": id,
        "object": "billing_portal.session",
        "configuration": "bpc_fakedefaultconfiguration",
        "created": now(),
        "customer": customer,
        "flow": null,
        "livemode": false,
        "locale": null,
        "on_behalf_of": null,
        "return_url": return_url,
        "url": format!("{base_url}/p/session/{id}")
    })
}

pub fn subscription_item(
    id: &str,
    subscription: &str,
    price: &Value,
    start: i64,
    end: i64,
) -> Value {
    json!({
        "id": id,
        "object": "subscription_item",
        "billing_thresholds": null,
        "created": start,
        "current_period_end": end,
        "current_period_start": start,
        "discounts": [],
        "metadata": {},
        "plan": plan_of(price),
        "price": price,
        "quantity": 1,
        "subscription": subscription,
        "tax_rates": []
    })
}

pub fn subscription(id: &str, customer: &str, item: Value, metadata: Value, start: i64) -> Value {
    let head = json!({
        "id": id,
        "object": "subscription",
        "application": null,
        "application_fee_percent": null,
        "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
        "billing_cycle_anchor": start,
        "billing_cycle_anchor_config": null,
        "billing_mode": { "flexible": null, "type": "classic", "updated_at": null },
        "billing_schedules": [],
        "billing_thresholds": null,
        "cancel_at": null,
        "cancel_at_period_end": false,
        "canceled_at": null,
        "cancellation_details": { "comment": null, "feedback": null, "reason": null },
        "collection_method": "charge_automatically",
        "created": start,
        "currency": item["price"]["currency"],
        "customer": customer,
        "days_until_due": null,
        "default_payment_method": null,
        "default_source": null,
        "default_tax_rates": [],
        "description": null,
        "discounts": [],
    });
    let rest = json!({
        "ended_at": null,
        "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
        "items": list(vec![item], &format!("/v1/subscription_items?subscription={id}")),
        "latest_invoice": null,
        "livemode": false,
        "metadata": metadata,
        "next_pending_invoice_item_invoice": null,
        "on_behalf_of": null,
        "pause_collection": null,
        "payment_settings": {
            "payment_method_options": null, "payment_method_types": null,
            "save_default_payment_method": "off"
        },
        "pending_invoice_item_interval": null,
        "pending_setup_intent": null,
        "pending_update": null,
        "schedule": null,
        "start_date": start,
        "status": "active",
        "test_clock": null,
        "transfer_data": null,
        "trial_end": null,
        "trial_settings": { "end_behavior": { "missing_payment_method": "create_invoice" } },
        "trial_start": null
    });
    merge(head, rest)
}

pub struct NewInvoice<'a> {
    pub id: &'a str,
    pub number: String,
    pub base_url: &'a str,
    pub subscription: &'a Value,
    pub billing_reason: &'a str,
    pub paid: bool,
}

pub fn invoice(i: &NewInvoice<'_>) -> Value {
    let t = now();
    let sub = i.subscription;
    let item = &sub["items"]["data"][0];
    let amount = item["price"]["unit_amount"].as_i64().unwrap_or(0);
    let (start, end) = (
        item["current_period_start"].as_i64().unwrap_or(t),
        item["current_period_end"]
            .as_i64()
            .unwrap_or(t + PERIOD_SECS),
    );
    let line = json!({
        "id": new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": item["price"]["currency"],
        "description": format!("1 × {} (at {:.2} / month)", item["price"]["product"].as_str().unwrap_or(""), amount as f64 / 100.0),
        "discount_amounts": [],
        "discountable": true,
        "discounts": [],
        "invoice": i.id,
        "livemode": false,
        "metadata": {},
        "parent": null,
        "period": { "end": end, "start": start },
        "pretax_credit_amounts": [],
        "quantity": 1,
        "subtotal": amount,
        "taxes": []
    });
    let head = json!({
        "id": i.id,
        "object": "invoice",
        "account_country": "FR",
        "account_name": "ConnectAuth (fake)",
        "amount_due": amount,
        "amount_overpaid": 0,
        "amount_paid": if i.paid { amount } else { 0 },
        "amount_remaining": if i.paid { 0 } else { amount },
        "amount_shipping": 0,
        "attempt_count": 1,
        "attempted": true,
        "auto_advance": !i.paid,
        "automatic_tax": {
            "disabled_reason": null, "enabled": false, "liability": null,
            "provider": null, "status": null
        },
        "billing_reason": i.billing_reason,
        "collection_method": "charge_automatically",
        "created": t,
        "currency": item["price"]["currency"],
        "customer": sub["customer"],
        "customer_email": null,
        "default_tax_rates": [],
        "description": null,
        "discounts": [],
        "due_date": null,
        "ending_balance": 0,
    });
    let rest = json!({
        "hosted_invoice_url": format!("{}/i/{}", i.base_url, i.id),
        "invoice_pdf": format!("{}/i/{}/pdf", i.base_url, i.id),
        "issuer": { "type": "self" },
        "lines": list(vec![line], &format!("/v1/invoices/{}/lines", i.id)),
        "livemode": false,
        "metadata": {},
        "number": i.number,
        "parent": {
            "quote_details": null,
            "subscription_details": { "metadata": sub["metadata"], "subscription": sub["id"] },
            "type": "subscription_details"
        },
        "payment_settings": {
            "default_mandate": null, "payment_method_options": null, "payment_method_types": null
        },
        "period_end": t,
        "period_start": t,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "starting_balance": 0,
        "status": if i.paid { "paid" } else { "open" },
        "status_transitions": {
            "finalized_at": t,
            "marked_uncollectible_at": null,
            "paid_at": if i.paid { Value::from(t) } else { Value::Null },
            "voided_at": null
        },
        "subtotal": amount,
        "total": amount
    });
    merge(head, rest)
}

pub fn event(kind: &str, object: Value, previous_attributes: Option<Value>) -> Value {
    let mut data = json!({ "object": object });
    if let Some(previous) = previous_attributes {
        data["previous_attributes"] = previous;
    }
    json!({
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": data,
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind
    })
}
