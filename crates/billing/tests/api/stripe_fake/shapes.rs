//! Every answer of the fake parses with async-stripe's own types, sent and
//! read by async-stripe's client (so the fake cannot drift from Stripe's
//! shapes as async-stripe knows them).
use std::collections::HashMap;

use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::{ListInvoice, RetrieveInvoice};
use stripe_billing::subscription::{
    CancelSubscription, RetrieveSubscription, UpdateSubscription, UpdateSubscriptionItems,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
    RetrieveCheckoutSession,
};
use stripe_core::customer::{CreateCustomer, RetrieveCustomer, RetrieveCustomerReturned};
use stripe_product::price::{
    CreatePrice, CreatePriceRecurring, CreatePriceRecurringInterval, ListPrice, RetrievePrice,
};
use stripe_product::product::{CreateProduct, RetrieveProduct, UpdateProduct};

use stripe::StripeRequest;

use super::StripeFake;

fn client(fake: &StripeFake) -> stripe::Client {
    stripe::ClientBuilder::new(fake.secret_key())
        .url(format!("{}/", fake.url()))
        .build()
        .expect("client")
}

fn parses<T: miniserde::Deserialize>(json: &serde_json::Value, what: &str) -> T {
    miniserde::json::from_str(&json.to_string())
        .unwrap_or_else(|_| panic!("{what} does not parse: {json:#}"))
}

#[tokio::test]
async fn every_answer_parses_with_async_stripe_types() {
    let fake = StripeFake::start().await;
    let client = client(&fake);
    let tenant = HashMap::from([("tenant_id".to_owned(), "t1".to_owned())]);

    let customer = CreateCustomer::new()
        .name("Acme")
        .email("owner@acme.test")
        .metadata(tenant.clone())
        .send(&client)
        .await
        .expect("customer parses");
    assert!(customer.id.as_str().starts_with("cus_"));
    assert_eq!(
        customer
            .metadata
            .as_ref()
            .and_then(|m| m.get("tenant_id"))
            .map(String::as_str),
        Some("t1")
    );
    let RetrieveCustomerReturned::Customer(again) = RetrieveCustomer::new(customer.id.clone())
        .send(&client)
        .await
        .expect("customer retrieve parses")
    else {
        panic!("a live customer")
    };
    assert_eq!(again.email.as_deref(), Some("owner@acme.test"));

    let product = CreateProduct::new("Starter")
        .id("connectauth_starter")
        .send(&client)
        .await
        .expect("product parses");
    assert_eq!(product.id.as_str(), "connectauth_starter");
    let renamed = UpdateProduct::new("connectauth_starter")
        .name("Starter plan")
        .send(&client)
        .await
        .expect("update parses");
    assert_eq!(renamed.name, "Starter plan");
    RetrieveProduct::new("connectauth_starter")
        .send(&client)
        .await
        .expect("product retrieve parses");

    let price = CreatePrice::new(stripe_types::Currency::EUR)
        .product("connectauth_starter")
        .unit_amount(900)
        .recurring(CreatePriceRecurring::new(
            CreatePriceRecurringInterval::Month,
        ))
        .lookup_key("connectauth_starter_monthly_eur")
        .send(&client)
        .await
        .expect("price parses");
    assert_eq!(price.unit_amount, Some(900));
    let listed = ListPrice::new()
        .lookup_keys(vec!["connectauth_starter_monthly_eur".to_owned()])
        .active(true)
        .send(&client)
        .await
        .expect("price list parses");
    assert_eq!(listed.data.len(), 1);
    assert_eq!(listed.data[0].id, price.id);
    RetrievePrice::new(price.id.clone())
        .send(&client)
        .await
        .expect("price retrieve parses");

    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(price.id.to_string());
    item.quantity = Some(1);
    let mut subscription_data = CreateCheckoutSessionSubscriptionData::new();
    subscription_data.metadata = Some(tenant.clone());
    let session = CreateCheckoutSession::new()
        .mode(stripe_shared::CheckoutSessionMode::Subscription)
        .customer(customer.id.as_str())
        .line_items(vec![item])
        .subscription_data(subscription_data)
        .success_url("https://app.test/ok")
        .send(&client)
        .await
        .expect("checkout session parses");
    assert!(session.id.as_str().starts_with("cs_test_"));
    assert!(session
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with(fake.url())));

    let portal = CreateBillingPortalSession::new()
        .customer(customer.id.as_str())
        .return_url("https://app.test/billing")
        .send(&client)
        .await
        .expect("portal session parses");
    assert!(portal.url.starts_with(fake.url()));

    let done = fake.complete_checkout(session.id.as_str());
    let completed = RetrieveCheckoutSession::new(session.id.clone())
        .send(&client)
        .await
        .expect("completed session parses");
    assert_eq!(
        completed.subscription.as_ref().map(|s| s.id().to_string()),
        Some(done.subscription_id.clone())
    );

    let subscription = RetrieveSubscription::new(done.subscription_id.as_str())
        .send(&client)
        .await
        .expect("subscription parses");
    assert_eq!(
        subscription.status,
        stripe_shared::SubscriptionStatus::Active
    );
    assert_eq!(
        subscription.metadata.get("tenant_id").map(String::as_str),
        Some("t1")
    );
    let item_id = subscription.items.data[0].id.to_string();
    let pro = fake.seed_price("connectauth_pro", 2900, "eur", None);
    let mut change = UpdateSubscriptionItems::new();
    change.id = Some(item_id);
    change.price = Some(pro.clone());
    let updated = UpdateSubscription::new(done.subscription_id.as_str())
        .items(vec![change])
        .send(&client)
        .await
        .expect("subscription update parses");
    assert_eq!(updated.items.data[0].price.id.as_str(), pro);

    let invoice = RetrieveInvoice::new(done.invoice_id.as_str())
        .send(&client)
        .await
        .expect("invoice parses");
    assert_eq!(invoice.amount_paid, 900);
    let invoices = ListInvoice::new()
        .customer(customer.id.as_str())
        .send(&client)
        .await
        .expect("invoice list parses");
    assert_eq!(invoices.data.len(), 1);
    let failed = fake.payment_failed(&done.subscription_id);
    RetrieveInvoice::new(failed.as_str())
        .send(&client)
        .await
        .expect("open invoice parses");
    fake.pay_invoice(&failed);

    let canceled = CancelSubscription::new(done.subscription_id.as_str())
        .send(&client)
        .await
        .expect("cancel parses");
    assert_eq!(canceled.status, stripe_shared::SubscriptionStatus::Canceled);

    // Events, and the objects they carry, in async-stripe's types too.
    let events = fake.events();
    assert!(events.len() >= 8, "{events:?}");
    for event in &events {
        let parsed: stripe_shared::Event = parses(&event.json, &event.kind);
        assert_eq!(parsed.id.as_str(), event.id);
        match event.kind.split('.').next() {
            Some("checkout") => drop(parses::<stripe_shared::CheckoutSession>(
                event.object(),
                &event.kind,
            )),
            Some("customer") => drop(parses::<stripe_shared::Subscription>(
                event.object(),
                &event.kind,
            )),
            Some("invoice") => drop(parses::<stripe_shared::Invoice>(
                event.object(),
                &event.kind,
            )),
            other => panic!("unexpected event family {other:?}"),
        }
    }
}

#[tokio::test]
async fn errors_parse_as_stripe_errors() {
    let fake = StripeFake::start().await;
    let error = RetrieveSubscription::new("sub_missing")
        .send(&client(&fake))
        .await
        .expect_err("404");
    let stripe::StripeError::Stripe(api, 404) = error else {
        panic!("a Stripe 404: {error:?}")
    };
    assert_eq!(
        api.message.as_deref(),
        Some("No such subscription: 'sub_missing'")
    );
    assert_eq!(
        api.code.as_ref().map(|c| c.as_str()),
        Some("resource_missing")
    );

    let wrong = stripe::ClientBuilder::new("sk_test_wrong_key_123456")
        .url(format!("{}/", fake.url()))
        .build()
        .expect("client");
    let error = RetrieveSubscription::new("sub_x")
        .send(&wrong)
        .await
        .expect_err("401");
    let stripe::StripeError::Stripe(api, 401) = error else {
        panic!("a Stripe 401: {error:?}")
    };
    let message = api.message.unwrap_or_default();
    assert!(message.starts_with("Invalid API Key provided"), "{message}");
    assert!(
        !message.contains("wrong_key_123456"),
        "the key is masked: {message}"
    );
}

#[tokio::test]
async fn legacy_subscription_shape_is_what_async_stripe_cannot_read() {
    // Why the gateway reads subscriptions as plain JSON: an older API
    // version's shape lacks the item-level period async-stripe requires.
    let fake = StripeFake::start().await;
    let price = fake.seed_price("connectauth_pro", 2900, "eur", None);
    let customer = fake.seed_customer();
    let session = fake.seed_checkout_session(&customer, &price);
    let done = fake.complete_checkout(&session);
    fake.use_legacy_subscription_shape(&done.subscription_id);
    let subscription = fake
        .object("subscription", &done.subscription_id)
        .expect("stored");
    assert!(subscription["current_period_end"].is_i64());
    let error = RetrieveSubscription::new(done.subscription_id.as_str())
        .send(&client(&fake))
        .await
        .expect_err("async-stripe refuses the legacy shape");
    assert!(
        matches!(error, stripe::StripeError::JSONDeserialize(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    let fake = StripeFake::start().await;
    let client = client(&fake);
    let send = |name: &'static str, key: &'static str| {
        let client = client.clone();
        async move {
            CreateCustomer::new()
                .name(name)
                .customize()
                .request_strategy(stripe::RequestStrategy::Idempotent(
                    stripe::IdempotencyKey::new(key).expect("key"),
                ))
                .send(&client)
                .await
        }
    };
    let first = send("Acme", "k1").await.expect("created");
    let again = send("Acme", "k1").await.expect("replayed");
    assert_eq!(first.id, again.id);
    assert_eq!(fake.objects("customer").len(), 1);
    let replays: Vec<bool> = fake.requests().iter().map(|r| r.replayed).collect();
    assert_eq!(replays, [false, true]);
    // Same key, other parameters: Stripe's idempotency_error.
    let error = send("Other", "k1").await.expect_err("refused");
    let stripe::StripeError::Stripe(api, 400) = error else {
        panic!("{error:?}")
    };
    assert_eq!(api.type_.as_str(), "idempotency_error");
    // Another key: another customer.
    send("Acme", "k2").await.expect("created");
    assert_eq!(fake.objects("customer").len(), 2);
}
