//! `billing::stripe::Gateway` against the Stripe fake (and, for customers,
//! against localstripe: see `localstripe.rs`).
use std::time::Duration;

use billing::domain::plan::PlanId;
use billing::stripe::{CheckoutRequest, Gateway, GatewayError};
use serde_json::json;

use crate::stripe_fake::StripeFake;

fn gateway(fake: &StripeFake) -> Gateway {
    Gateway::new(&fake.settings()).expect("gateway")
}

#[tokio::test]
async fn create_customer_is_idempotent_per_tenant() {
    let fake = StripeFake::start().await;
    let gateway = gateway(&fake);
    let first = gateway
        .create_customer("tenant-1", "Acme", Some("owner@acme.test"))
        .await
        .expect("created");
    let again = gateway
        .create_customer("tenant-1", "Acme", Some("owner@acme.test"))
        .await
        .expect("replayed");
    assert!(first.starts_with("cus_"), "{first}");
    assert_eq!(first, again);
    let customers = fake.objects("customer");
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["metadata"], json!({"tenant_id": "tenant-1"}));
    assert_eq!(customers[0]["name"], "Acme");
    assert_eq!(customers[0]["email"], "owner@acme.test");
    let requests = fake.requests_to("POST", "/v1/customers");
    assert_eq!(requests.len(), 2);
    assert!(requests
        .iter()
        .all(|r| r.idempotency_key.as_deref() == Some("connectauth-customer-tenant-1")));
    assert_eq!(
        requests.iter().map(|r| r.replayed).collect::<Vec<_>>(),
        [false, true]
    );

    let other = gateway
        .create_customer("tenant-2", "Beta", None)
        .await
        .expect("created");
    assert_ne!(other, first);
    assert_eq!(
        fake.objects("customer")[1]["email"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn checkout_session_carries_the_price_and_the_tenant() {
    let fake = StripeFake::start().await;
    let gateway = gateway(&fake);
    gateway.sync_plans().await.expect("synced");
    let customer = gateway
        .create_customer("tenant-1", "Acme", None)
        .await
        .expect("customer");
    let link = gateway
        .create_checkout_session(&CheckoutRequest {
            tenant_id: "tenant-1",
            customer_id: &customer,
            plan: PlanId::Pro,
            success_url: "https://app.test/billing?done=1",
            cancel_url: "https://app.test/billing",
            idempotency_key: "checkout-tenant-1-pro-1",
        })
        .await
        .expect("session");
    assert!(link.id.starts_with("cs_test_"), "{}", link.id);
    assert!(link.url.starts_with(fake.url()), "{}", link.url);
    assert_eq!(reqwest::get(&link.url).await.expect("page").status(), 200);

    let request = fake.requests_to("POST", "/v1/checkout/sessions").remove(0);
    assert_eq!(
        request.idempotency_key.as_deref(),
        Some("checkout-tenant-1-pro-1")
    );
    let form = &request.form;
    let pro_price = gateway.price_for(PlanId::Pro).await.expect("price");
    assert_eq!(form["mode"], "subscription");
    assert_eq!(form["customer"], customer.as_str());
    assert_eq!(form["client_reference_id"], "tenant-1");
    assert_eq!(
        form["line_items"],
        json!([{"price": pro_price, "quantity": "1"}])
    );
    assert_eq!(
        form["metadata"],
        json!({"tenant_id": "tenant-1", "plan": "pro"})
    );
    assert_eq!(
        form["subscription_data"]["metadata"],
        json!({"tenant_id": "tenant-1", "plan": "pro"})
    );
    assert_eq!(form["success_url"], "https://app.test/billing?done=1");
    assert_eq!(form["cancel_url"], "https://app.test/billing");

    // Paying creates the subscription with the tenant on it.
    let done = fake.complete_checkout(&link.id);
    let snapshot = gateway
        .subscription(&done.subscription_id)
        .await
        .expect("snapshot");
    assert_eq!(snapshot.tenant_id.as_deref(), Some("tenant-1"));
    assert_eq!(snapshot.price_id.as_deref(), Some(pro_price.as_str()));
    let kinds: Vec<String> = fake.pending_events().into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            "checkout.session.completed",
            "customer.subscription.created",
            "invoice.paid"
        ]
    );
}

#[tokio::test]
async fn checkout_for_a_plan_without_a_price_is_refused_before_stripe() {
    let fake = StripeFake::start().await;
    let gateway = gateway(&fake);
    for plan in [PlanId::Free, PlanId::Enterprise, PlanId::Starter] {
        // Starter: nothing synced, so no price carries its lookup key.
        let error = gateway.price_for(plan).await.expect_err("no price");
        assert!(
            matches!(error, GatewayError::NoPrice(p) if p == plan),
            "{error:?}"
        );
    }
    assert!(fake.requests_to("POST", "/v1/checkout/sessions").is_empty());
}

#[tokio::test]
async fn configured_price_ids_win_and_lookups_are_cached() {
    let fake = StripeFake::start().await;
    let mut settings = fake.settings();
    settings.prices.starter = Some("price_configured".into());
    let gateway = Gateway::new(&settings).expect("gateway");
    assert_eq!(
        gateway.price_for(PlanId::Starter).await.expect("price"),
        "price_configured"
    );
    let pro = fake.seed_price(
        "connectauth_pro",
        2900,
        "eur",
        Some("connectauth_pro_monthly_eur"),
    );
    assert_eq!(gateway.price_for(PlanId::Pro).await.expect("price"), pro);
    assert_eq!(
        gateway.clone().price_for(PlanId::Pro).await.expect("price"),
        pro
    );
    let lookups = fake.requests_to("GET", "/v1/prices");
    assert_eq!(lookups.len(), 1, "one lookup, then the cache");
    assert_eq!(
        lookups[0].form["lookup_keys"],
        json!(["connectauth_pro_monthly_eur"])
    );
    assert_eq!(lookups[0].form["active"], "true");
}

#[tokio::test]
async fn portal_session_returns_the_url() {
    let fake = StripeFake::start().await;
    let gateway = gateway(&fake);
    let customer = gateway
        .create_customer("tenant-1", "Acme", None)
        .await
        .expect("customer");
    let url = gateway
        .create_portal_session(&customer, "https://app.test/billing")
        .await
        .expect("portal");
    assert!(
        url.starts_with(&format!("{}/p/session/bps_", fake.url())),
        "{url}"
    );
    let request = fake
        .requests_to("POST", "/v1/billing_portal/sessions")
        .remove(0);
    assert_eq!(
        request.form,
        json!({"customer": customer, "return_url": "https://app.test/billing"})
    );
}

#[tokio::test]
async fn subscription_snapshot_reads_both_period_shapes() {
    let fake = StripeFake::start().await;
    let gateway = gateway(&fake);
    let price = fake.seed_price("connectauth_starter", 900, "eur", None);
    let customer = gateway
        .create_customer("tenant-1", "Acme", None)
        .await
        .expect("customer");
    let session = fake.seed_checkout_session(&customer, &price);
    let done = fake.complete_checkout(&session);
    let stored = fake
        .object("subscription", &done.subscription_id)
        .expect("stored");
    let period_end = stored["items"]["data"][0]["current_period_end"]
        .as_i64()
        .expect("item period");

    let snapshot = gateway
        .subscription(&done.subscription_id)
        .await
        .expect("snapshot");
    assert_eq!(snapshot.id, done.subscription_id);
    assert_eq!(snapshot.customer_id, customer);
    assert_eq!(snapshot.status, "active");
    assert_eq!(snapshot.price_id.as_deref(), Some(price.as_str()));
    assert_eq!(snapshot.current_period_end, Some(period_end));
    assert!(!snapshot.cancel_at_period_end);

    fake.use_legacy_subscription_shape(&done.subscription_id);
    let legacy = gateway
        .subscription(&done.subscription_id)
        .await
        .expect("legacy snapshot");
    assert_eq!(legacy.current_period_end, Some(period_end));
    assert_eq!(legacy, snapshot);

    fake.payment_failed(&done.subscription_id);
    assert_eq!(
        gateway
            .subscription(&done.subscription_id)
            .await
            .expect("snapshot")
            .status,
        "past_due"
    );
    fake.cancel_subscription(&done.subscription_id);
    assert_eq!(
        gateway
            .subscription(&done.subscription_id)
            .await
            .expect("snapshot")
            .status,
        "canceled"
    );
}

#[tokio::test]
async fn change_price_replaces_the_single_item_with_prorations() {
    let fake = StripeFake::start().await;
    let gateway = gateway(&fake);
    let starter = fake.seed_price("connectauth_starter", 900, "eur", None);
    let pro = fake.seed_price("connectauth_pro", 2900, "eur", None);
    let customer = gateway
        .create_customer("tenant-1", "Acme", None)
        .await
        .expect("customer");
    let done = fake.complete_checkout(&fake.seed_checkout_session(&customer, &starter));
    let item_id = fake
        .object("subscription", &done.subscription_id)
        .expect("stored")["items"]["data"][0]["id"]
        .clone();
    fake.take_pending_events();

    let changed = gateway
        .change_price(&done.subscription_id, &pro, "upgrade-1")
        .await
        .expect("changed");
    assert_eq!(changed.price_id.as_deref(), Some(pro.as_str()));
    let again = gateway
        .change_price(&done.subscription_id, &pro, "upgrade-1")
        .await
        .expect("replayed");
    assert_eq!(again, changed);

    let updates = fake.requests_to(
        "POST",
        &format!("/v1/subscriptions/{}", done.subscription_id),
    );
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].idempotency_key.as_deref(), Some("upgrade-1"));
    assert_eq!(
        updates[0].form["items"],
        json!([{"id": item_id, "price": pro}])
    );
    assert_eq!(updates[0].form["proration_behavior"], "create_prorations");
    assert!(updates[1].replayed);
    let events = fake.pending_events();
    assert_eq!(events.len(), 1, "one change, one event");
    assert_eq!(events[0].kind, "customer.subscription.updated");
    assert_eq!(
        events[0].object()["items"]["data"][0]["price"]["id"],
        pro.as_str()
    );
    assert_eq!(
        events[0].json["data"]["previous_attributes"]["items"]["data"][0]["price"]["id"],
        starter.as_str()
    );
}

#[tokio::test]
async fn sync_plans_creates_once_then_changes_nothing() {
    let fake = StripeFake::start().await;
    let gateway = gateway(&fake);
    let first = gateway.sync_plans().await.expect("first run");
    assert_eq!(
        first.iter().map(|s| s.plan).collect::<Vec<_>>(),
        [PlanId::Starter, PlanId::Pro]
    );
    assert!(
        first.iter().all(|s| s.created_product && s.created_price),
        "{first:?}"
    );
    let products = fake.objects("product");
    assert_eq!(
        products
            .iter()
            .map(|p| (
                p["id"].as_str().unwrap_or(""),
                p["name"].as_str().unwrap_or("")
            ))
            .collect::<Vec<_>>(),
        [
            ("connectauth_starter", "Starter"),
            ("connectauth_pro", "Pro")
        ]
    );
    let prices = fake.objects("price");
    assert_eq!(prices.len(), 2);
    for (price, (product, amount, key)) in prices.iter().zip([
        (
            "connectauth_starter",
            900,
            "connectauth_starter_monthly_eur",
        ),
        ("connectauth_pro", 2900, "connectauth_pro_monthly_eur"),
    ]) {
        assert_eq!(price["product"], product);
        assert_eq!(price["unit_amount"], amount);
        assert_eq!(price["currency"], "eur");
        assert_eq!(price["lookup_key"], key);
        assert_eq!(price["recurring"]["interval"], "month");
        assert_eq!(price["recurring"]["interval_count"], 1);
    }
    let creates: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && (r.path == "/v1/products" || r.path == "/v1/prices"))
        .collect();
    assert_eq!(creates.len(), 4);
    assert!(creates.iter().all(|r| r
        .idempotency_key
        .as_deref()
        .is_some_and(|k| k.starts_with("connectauth-"))));
    assert_eq!(first[0].price_id, prices[0]["id"].as_str().expect("id"));
    assert_eq!(
        gateway.price_for(PlanId::Starter).await.expect("cached"),
        first[0].price_id
    );

    let posts_before = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    let second = gateway.sync_plans().await.expect("second run");
    assert!(
        second
            .iter()
            .all(|s| !s.created_product && !s.created_price),
        "{second:?}"
    );
    assert_eq!(
        second.iter().map(|s| &s.price_id).collect::<Vec<_>>(),
        first.iter().map(|s| &s.price_id).collect::<Vec<_>>()
    );
    let posts_after = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts_before, posts_after, "the second run writes nothing");
    assert_eq!(fake.objects("price").len(), 2);
}

#[tokio::test]
async fn sync_plans_replaces_a_price_whose_amount_changed() {
    let fake = StripeFake::start().await;
    // Stripe as left by an older catalogue: Starter at 7 € under the lookup
    // key, a renamed and archived Pro product without a price.
    fake.seed_product("connectauth_starter", "Starter");
    let old = fake.seed_price(
        "connectauth_starter",
        700,
        "eur",
        Some("connectauth_starter_monthly_eur"),
    );
    fake.seed_product("connectauth_pro", "Pro (old)");
    let gateway = gateway(&fake);
    let synced = gateway.sync_plans().await.expect("synced");
    let starter = &synced[0];
    assert!(
        !starter.created_product && starter.created_price,
        "{starter:?}"
    );
    assert_ne!(starter.price_id, old);
    let new = fake.object("price", &starter.price_id).expect("new price");
    assert_eq!(new["unit_amount"], 900);
    assert_eq!(new["lookup_key"], "connectauth_starter_monthly_eur");
    let old_price = fake.object("price", &old).expect("old price");
    assert_eq!(
        old_price["lookup_key"],
        serde_json::Value::Null,
        "the key moved"
    );
    assert_eq!(old_price["active"], true, "kept for existing subscriptions");
    let create = fake
        .requests_to("POST", "/v1/prices")
        .into_iter()
        .find(|r| r.form["product"] == "connectauth_starter")
        .expect("price created");
    assert_eq!(create.form["transfer_lookup_key"], "true");
    assert_eq!(create.form["unit_amount"], "900");
    assert_eq!(
        create.form["recurring"],
        json!({"interval": "month", "interval_count": "1"})
    );

    let pro = &synced[1];
    assert!(!pro.created_product && pro.created_price, "{pro:?}");
    assert_eq!(
        fake.object("product", "connectauth_pro").expect("pro")["name"],
        "Pro",
        "renamed"
    );
    let pro_create = fake
        .requests_to("POST", "/v1/prices")
        .into_iter()
        .find(|r| r.form["product"] == "connectauth_pro")
        .expect("pro price created");
    assert_eq!(pro_create.form.get("transfer_lookup_key"), None);

    let again = gateway.sync_plans().await.expect("second run");
    assert!(again.iter().all(|s| !s.created_price && !s.created_product));
}

#[tokio::test]
async fn stripe_errors_carry_stripes_message() {
    let fake = StripeFake::start().await;
    let gateway = gateway(&fake);
    let error = gateway.subscription("sub_unknown").await.expect_err("404");
    assert!(error.is_not_found(), "{error:?}");
    let GatewayError::Stripe {
        status,
        kind,
        code,
        message,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(
        (*status, kind.as_str(), code.as_deref()),
        (404, "invalid_request_error", Some("resource_missing"))
    );
    assert_eq!(message, "No such subscription: 'sub_unknown'");

    let error = gateway
        .create_portal_session("cus_unknown", "https://app.test")
        .await
        .expect_err("400");
    let GatewayError::Stripe {
        status: 400,
        message,
        param,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(message, "No such customer: 'cus_unknown'");
    assert_eq!(param.as_deref(), Some("customer"));
    assert!(error.to_string().contains("No such customer"), "{error}");
}

#[tokio::test]
async fn a_wrong_key_is_refused_and_never_shown() {
    let fake = StripeFake::start().await;
    let mut settings = fake.settings();
    settings.secret_key = service_kit::secret::Secret::new("sk_test_not_the_right_key_at_all");
    let gateway = Gateway::new(&settings).expect("gateway");
    let error = gateway
        .create_customer("tenant-1", "Acme", None)
        .await
        .expect_err("401");
    assert_eq!(error.status(), Some(401), "{error:?}");
    let shown = format!("{error} {error:?} {gateway:?}");
    assert!(shown.contains("Invalid API Key"), "{shown}");
    assert!(!shown.contains("not_the_right_key_at_all"), "{shown}");
    assert!(fake.objects("customer").is_empty());
}

#[tokio::test]
async fn an_unreachable_stripe_is_a_transport_error() {
    // Free when picked, and nothing is started on it.
    let port = service_kit::testing::free_port();
    let fake = StripeFake::start().await;
    let mut settings = fake.settings();
    settings.api_base = Some(format!("http://127.0.0.1:{port}"));
    let gateway = Gateway::new(&settings).expect("gateway");
    let error = gateway
        .create_customer("tenant-1", "Acme", None)
        .await
        .expect_err("unreachable");
    assert!(matches!(error, GatewayError::Transport(_)), "{error:?}");
}

#[tokio::test]
async fn a_silent_stripe_times_out() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let fake = StripeFake::start().await;
    let mut settings = fake.settings();
    settings.api_base = Some(format!("http://{address}"));
    let gateway = Gateway::with_timeout(&settings, Duration::from_millis(300)).expect("gateway");
    let started = std::time::Instant::now();
    let error = gateway.subscription("sub_1").await.expect_err("timeout");
    assert!(matches!(error, GatewayError::Timeout), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
