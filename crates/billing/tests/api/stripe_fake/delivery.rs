//! The fake's events reach a webhook endpoint signed as Stripe signs them.
use billing::stripe::webhook::{
    parse_event, verify_signature, CheckoutCompleted, InvoiceFacts, SignatureError, SubscriptionRef,
};
use service_kit::secret::Secret;

use super::receiver::WebhookReceiver;
use super::{sign_payload, StripeFake, WEBHOOK_SECRET};

#[tokio::test]
async fn events_are_delivered_in_order_and_signed() {
    let fake = StripeFake::start().await;
    let receiver = WebhookReceiver::start(&[WEBHOOK_SECRET]).await;
    fake.set_webhook_target(receiver.url(), WEBHOOK_SECRET);
    let price = fake.seed_price("connectauth_starter", 900, "eur", None);
    let customer = fake.seed_customer();
    let session = fake.seed_checkout_session(&customer, &price);
    let done = fake.complete_checkout(&session);
    let failed = fake.payment_failed(&done.subscription_id);
    fake.pay_invoice(&failed);
    fake.cancel_subscription(&done.subscription_id);

    let statuses = fake.deliver_all().await;
    let kinds: Vec<&str> = statuses.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "checkout.session.completed",
            "customer.subscription.created",
            "invoice.paid",
            "invoice.payment_failed",
            "customer.subscription.updated",
            "invoice.paid",
            "customer.subscription.updated",
            "customer.subscription.deleted",
        ]
    );
    assert!(statuses.iter().all(|(_, s)| *s == 200), "{statuses:?}");
    assert!(fake.pending_events().is_empty());

    let deliveries = receiver.deliveries();
    assert_eq!(deliveries.len(), 8);
    let events: Vec<_> = deliveries
        .iter()
        .map(|d| parse_event(&d.body).expect("event"))
        .collect();
    let checkout = CheckoutCompleted::from_object(&events[0].object).expect("session");
    assert_eq!(
        checkout.subscription_id.as_deref(),
        Some(done.subscription_id.as_str())
    );
    assert_eq!(checkout.customer_id.as_deref(), Some(customer.as_str()));
    let created = SubscriptionRef::from_object(&events[1].object).expect("subscription");
    assert_eq!(
        (created.status.as_str(), created.price_id.as_deref()),
        ("active", Some(price.as_str()))
    );
    let paid = InvoiceFacts::from_object(&events[2].object).expect("invoice");
    assert_eq!(
        paid.subscription_id.as_deref(),
        Some(done.subscription_id.as_str())
    );
    assert_eq!(
        (paid.status.as_deref(), paid.amount_paid),
        (Some("paid"), 900)
    );
    assert!(paid
        .hosted_invoice_url
        .is_some_and(|u| u.starts_with(fake.url())));
    let failed_facts = InvoiceFacts::from_object(&events[3].object).expect("invoice");
    assert_eq!(
        (failed_facts.status.as_deref(), failed_facts.amount_paid),
        (Some("open"), 0)
    );
    assert_eq!(
        SubscriptionRef::from_object(&events[4].object)
            .expect("sub")
            .status,
        "past_due"
    );
    assert_eq!(
        SubscriptionRef::from_object(&events[6].object)
            .expect("sub")
            .status,
        "active"
    );
    assert_eq!(
        SubscriptionRef::from_object(&events[7].object)
            .expect("sub")
            .status,
        "canceled"
    );
}

#[tokio::test]
async fn bad_signatures_are_refused_by_the_receiver() {
    let fake = StripeFake::start().await;
    let receiver = WebhookReceiver::start(&[WEBHOOK_SECRET]).await;
    fake.set_webhook_target(receiver.url(), "whsec_someone_else");
    let customer = fake.seed_customer();
    let price = fake.seed_price("connectauth_pro", 2900, "eur", None);
    fake.complete_checkout(&fake.seed_checkout_session(&customer, &price));
    let event = fake.pending_events().remove(0);
    assert_eq!(
        fake.deliver(&event).await.status(),
        400,
        "signed with another secret"
    );

    let payload = event.payload();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let stale = sign_payload(&payload, WEBHOOK_SECRET, now - 301);
    assert_eq!(
        fake.post_webhook(receiver.url(), payload.clone(), &stale)
            .await
            .status(),
        400
    );
    let fresh = sign_payload(&payload, WEBHOOK_SECRET, now);
    assert_eq!(
        fake.post_webhook(receiver.url(), payload.clone(), &fresh)
            .await
            .status(),
        200
    );
    let mut tampered = payload.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        fake.post_webhook(receiver.url(), tampered, &fresh)
            .await
            .status(),
        400
    );
    assert_eq!(
        verify_signature(&payload, &stale, &[Secret::new(WEBHOOK_SECRET)], now, 300),
        Err(SignatureError::Stale)
    );
}
