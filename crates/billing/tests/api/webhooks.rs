//! Stripe webhooks: signatures (bad, stale, rotated secrets), replays,
//! out-of-order delivery, unknown types, malformed bodies, and Stripe being
//! down while an event is processed — each answered correctly, nothing
//! applied twice and nothing lost.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_with, spawn_with_stripe, unix_now, Options, TestBilling, TENANT_A};
use crate::stripe_fake::{sign_payload, CompletedCheckout, FakeEvent, WEBHOOK_SECRET};

/// Checkout for Starter completed in the fake; its events are queued, not sent.
async fn subscribed(app: &TestBilling) -> CompletedCheckout {
    let resp = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{TENANT_A}/checkout"),
            &app.owner_token(TENANT_A),
            Some(json!({"plan": "starter", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"})),
        )
        .await;
    let body: Value = resp.json().await.unwrap();
    app.stripe()
        .complete_checkout(body["session_id"].as_str().unwrap())
}

async fn post(app: &TestBilling, payload: Vec<u8>, signature: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(payload);
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.unwrap()
}

/// A delivery from `from`, as the trusted proxy at 127.0.0.1 passes it.
async fn post_from(
    app: &TestBilling,
    from: &str,
    payload: Vec<u8>,
    signature: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", from)
        .header("stripe-signature", signature)
        .body(payload)
        .send()
        .await
        .unwrap()
}

async fn processed(app: &TestBilling) -> i64 {
    app.count("SELECT COUNT(*) FROM stripe_events WHERE processed_at IS NOT NULL")
        .await
}

async fn bad_signatures_are_refused_and_nothing_is_applied(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    subscribed(&app).await;
    let events = app.stripe().take_pending_events();
    let payload = events[0].payload();
    let now = unix_now();
    let mut tampered = payload.clone();
    tampered.extend_from_slice(b" ");
    let good = sign_payload(&payload, WEBHOOK_SECRET, now);
    for (name, body, header) in [
        ("no header", payload.clone(), None),
        (
            "garbage header",
            payload.clone(),
            Some("nonsense".to_owned()),
        ),
        ("no v1", payload.clone(), Some(format!("t={now}"))),
        (
            "wrong secret",
            payload.clone(),
            Some(sign_payload(&payload, "whsec_someone_else", now)),
        ),
        ("tampered body", tampered, Some(good.clone())),
        (
            "stale timestamp",
            payload.clone(),
            Some(sign_payload(&payload, WEBHOOK_SECRET, now - 400)),
        ),
        (
            "from the future",
            payload.clone(),
            Some(sign_payload(&payload, WEBHOOK_SECRET, now + 400)),
        ),
    ] {
        let resp = post(&app, body, header.as_deref()).await;
        assert_eq!(resp.status(), 400, "{name}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["code"], "webhook-signature", "{name}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM stripe_events").await, 0);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "free");
    // The same bytes, correctly signed, go through.
    assert_eq!(post(&app, payload, Some(&good)).await.status(), 200);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "starter");
}
both_engines!(
    bad_signatures,
    bad_signatures_are_refused_and_nothing_is_applied
);

async fn a_flood_of_signatures_is_refused_and_nothing_is_applied(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    subscribed(&app).await;
    let events = app.stripe().take_pending_events();
    // The event, padded with whitespace (still the same JSON) to near the
    // body limit: every HMAC over it is as costly as it gets.
    let mut payload = events[0].payload();
    payload.resize(500_000, b' ');
    let now = unix_now();
    let good = sign_payload(&payload, WEBHOOK_SECRET, now);
    let junk = |n: usize| (0..n).map(|i| format!(",v1={i:064x}")).collect::<String>();
    for (name, header) in [
        // 5,000 short entries: 30 KB, well within the server's header limit.
        ("5,000 entries", format!("{good}{}", ",v1=00".repeat(4_999))),
        ("six full-length v1", format!("{good}{}", junk(5))),
        ("a short v1 beside a good one", format!("{good},v1=00")),
    ] {
        let resp = post(&app, payload.clone(), Some(&header)).await;
        assert_eq!(resp.status(), 400, "{name}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["code"], "webhook-signature", "{name}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("malformed") && detail.contains("at most 5 v1 signatures"),
            "{name}: {detail}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM stripe_events").await, 0);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "free");
    // The same body with Stripe's own header goes through.
    assert_eq!(post(&app, payload, Some(&good)).await.status(), 200);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "starter");
}
both_engines!(
    signature_flood,
    a_flood_of_signatures_is_refused_and_nothing_is_applied
);

#[tokio::test]
async fn both_secrets_of_a_rotation_are_accepted() {
    let app = spawn_with_stripe(Engine::Sqlite).await;
    subscribed(&app).await;
    let events = app.stripe().take_pending_events();
    let payload = events[0].payload();
    let old = sign_payload(&payload, "whsec_old_rotated_out", unix_now());
    assert_eq!(post(&app, payload, Some(&old)).await.status(), 200);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "starter");
}

async fn a_replayed_event_is_applied_once(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    let paid = subscribed(&app).await;
    let events = app.stripe().take_pending_events();
    for event in &events {
        assert_eq!(app.stripe().deliver(event).await.status(), 200);
    }
    let before = app.entitlements(TENANT_A).await;
    for event in &events {
        let resp = app.stripe().deliver(event).await;
        assert_eq!(resp.status(), 200, "a replay is still acknowledged");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["outcome"]["result"], "duplicate", "{}", event.kind);
    }
    assert_eq!(app.entitlements(TENANT_A).await, before);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stripe_events").await,
        events.len() as i64
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, 1);
    // Two deliveries of one event at the same moment: one applies it.
    let failed = app.stripe().payment_failed(&paid.subscription_id);
    let event = app
        .stripe()
        .take_pending_events()
        .into_iter()
        .find(|e| e.kind == "invoice.payment_failed")
        .unwrap();
    let (a, b) = tokio::join!(app.stripe().deliver(&event), app.stripe().deliver(&event));
    assert_eq!(
        (a.status(), b.status()),
        (reqwest::StatusCode::OK, reqwest::StatusCode::OK)
    );
    let results: Vec<Value> = vec![a.json().await.unwrap(), b.json().await.unwrap()];
    let applied = results
        .iter()
        .filter(|r| r["outcome"]["result"] == "applied")
        .count();
    assert_eq!(applied, 1, "{results:?}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invoices WHERE id = '{failed}'"
        ))
        .await,
        1
    );
    let grace = app.entitlements(TENANT_A).await["grace_until"].clone();
    assert!(grace.is_i64());
    // The owner would be told of the failure once (no owner set here: no mail at all).
    assert!(app.smtp.messages().is_empty());
}
both_engines!(replayed_event, a_replayed_event_is_applied_once);

async fn events_out_of_order_end_in_stripes_current_state(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    let paid = subscribed(&app).await;
    let mut subscribe_events = app.stripe().take_pending_events();
    app.stripe().cancel_subscription(&paid.subscription_id);
    let deleted = app.stripe().take_pending_events();
    // The cancellation arrives first, the subscription's creation last.
    for event in deleted.iter().chain(subscribe_events.iter().rev()) {
        assert_eq!(
            app.stripe().deliver(event).await.status(),
            200,
            "{}",
            event.kind
        );
    }
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["status"].as_str()),
        (Some("free"), Some("canceled")),
        "{e}"
    );

    // A late `created` after an upgrade does not take the upgrade back.
    let app = spawn_with_stripe(engine).await;
    subscribed(&app).await;
    subscribe_events = app.stripe().take_pending_events();
    let created: Vec<&FakeEvent> = subscribe_events
        .iter()
        .filter(|e| e.kind == "customer.subscription.created")
        .collect();
    let first: Vec<&FakeEvent> = subscribe_events
        .iter()
        .filter(|e| e.kind == "checkout.session.completed")
        .collect();
    assert_eq!(app.stripe().deliver(first[0]).await.status(), 200);
    let upgrade = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{TENANT_A}/checkout"),
            &app.owner_token(TENANT_A),
            Some(json!({"plan": "pro", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"})),
        )
        .await;
    assert_eq!(upgrade.status(), 200);
    assert_eq!(app.stripe().deliver(created[0]).await.status(), 200);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "pro");
}
both_engines!(
    out_of_order,
    events_out_of_order_end_in_stripes_current_state
);

/// Two events of one tenant processed at once. The `created` event's read
/// of the subscription (still active) is held while the customer cancels
/// and the `deleted` event is applied; the older read, finishing last, must
/// not bring the paid plan back.
async fn an_older_read_finishing_last_does_not_undo_a_cancellation(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    let paid = subscribed(&app).await;
    let events = app.stripe().take_pending_events();
    let of_kind = |kind: &str| events.iter().find(|e| e.kind == kind).unwrap().clone();
    let completed = of_kind("checkout.session.completed");
    assert_eq!(app.stripe().deliver(&completed).await.status(), 200);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "starter");
    let mut hold = app.stripe().hold_next(
        "GET",
        &format!("/v1/subscriptions/{}", paid.subscription_id),
    );
    let created = of_kind("customer.subscription.created");
    let (late, ()) = tokio::join!(app.stripe().deliver(&created), async {
        hold.reached().await;
        app.stripe().cancel_subscription(&paid.subscription_id);
        for event in app.stripe().take_pending_events() {
            assert_eq!(app.stripe().deliver(&event).await.status(), 200);
        }
        assert_eq!(app.entitlements(TENANT_A).await["plan"], "free");
        hold.release();
    });
    assert_eq!(late.status(), 200);
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["status"].as_str()),
        (Some("free"), Some("canceled")),
        "{e}"
    );
    let body: Value = late.json().await.unwrap();
    assert_eq!(body["outcome"]["result"], "ignored", "{body}");
    assert_eq!(
        processed(&app).await,
        3,
        "the late event is still processed"
    );
}
both_engines!(
    older_read_last,
    an_older_read_finishing_last_does_not_undo_a_cancellation
);

async fn signed(app: &TestBilling, body: &[u8]) -> reqwest::Response {
    let header = sign_payload(body, WEBHOOK_SECRET, unix_now());
    post(app, body.to_vec(), Some(&header)).await
}

async fn unknown_and_malformed_events(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    let unknown = json!({
        "id": "evt_unknown_1", "object": "event", "type": "customer.tax_id.created",
        "created": unix_now(), "livemode": false, "data": {"object": {"id": "txi_1", "object": "tax_id"}}
    });
    let resp = signed(&app, unknown.to_string().as_bytes()).await;
    assert_eq!(resp.status(), 200, "unknown types are acknowledged");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["outcome"]["result"], "ignored");
    assert_eq!(
        processed(&app).await,
        1,
        "and recorded, so a replay is a duplicate"
    );
    // About a customer billing never made: acknowledged, nothing changes.
    let stranger = json!({
        "id": "evt_stranger", "object": "event", "type": "customer.subscription.updated",
        "created": unix_now(), "livemode": false,
        "data": {"object": {"id": "sub_x", "object": "subscription", "customer": "cus_nobody",
                 "status": "active", "metadata": {"tenant_id": TENANT_A}, "items": {"data": []}}}
    });
    let resp = signed(&app, stranger.to_string().as_bytes()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.entitlements(TENANT_A).await["plan"],
        "free",
        "metadata alone is not believed"
    );
    for bad in [
        &b"{\"id\": \"evt_1\", \"type\": "[..],
        b"[]",
        b"{}",
        br#"{"id": "evt_2", "type": "invoice.paid"}"#,
        br#"{"id": "evt_3", "type": "invoice.paid", "data": {"object": "nope"}}"#,
        b"\xff\xfe",
    ] {
        assert_eq!(
            signed(&app, bad).await.status(),
            400,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM stripe_events").await, 2);
}
both_engines!(unknown_and_malformed, unknown_and_malformed_events);

async fn a_vanished_subscription_is_ignored(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    let paid = subscribed(&app).await;
    for event in app.stripe().take_pending_events() {
        assert_eq!(signed(&app, &event.payload()).await.status(), 200);
    }
    let customer = app
        .stripe()
        .object("subscription", &paid.subscription_id)
        .expect("subscription")["customer"]
        .as_str()
        .expect("customer")
        .to_owned();
    // The tenant's own customer, a subscription Stripe no longer has.
    let gone = json!({
        "id": "evt_gone", "object": "event", "type": "customer.subscription.deleted",
        "created": unix_now(), "livemode": false,
        "data": {"object": {"id": "sub_gone", "object": "subscription", "customer": customer,
                 "status": "canceled", "metadata": {"tenant_id": TENANT_A}, "items": {"data": []}}}
    });
    let resp = signed(&app, gone.to_string().as_bytes()).await;
    assert_eq!(resp.status(), 200, "acknowledged, not retried");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        (
            body["outcome"]["result"].as_str(),
            body["outcome"]["reason"].as_str()
        ),
        (Some("ignored"), Some("no such subscription"))
    );
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "starter");
}
both_engines!(vanished_subscription, a_vanished_subscription_is_ignored);

#[tokio::test]
async fn stripe_down_while_processing_loses_nothing() {
    let mut app = spawn_with_stripe(Engine::Postgres).await;
    subscribed(&app).await;
    let events = app.stripe().take_pending_events();
    let fake = app.stripe.take().expect("fake");
    drop(fake);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let completed = events
        .iter()
        .find(|e| e.kind == "checkout.session.completed")
        .unwrap();
    let resp = signed(&app, &completed.payload()).await;
    assert!(
        resp.status().is_server_error(),
        "Stripe must retry: {}",
        resp.status()
    );
    assert_eq!(processed(&app).await, 0, "not marked processed");
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "free");
}

async fn a_sender_failing_its_signatures_is_refused_for_a_while(engine: Engine) {
    let app = spawn_with(
        engine,
        Options {
            stripe: true,
            env: vec![
                ("BILLING_TRUSTED_PROXIES", "127.0.0.1"),
                ("BILLING_WEBHOOK_PROBE_FAILURES", "3"),
                ("BILLING_WEBHOOK_PROBE_WINDOW_SECS", "60"),
                ("BILLING_WEBHOOK_PROBE_BLOCK_SECS", "600"),
                ("BILLING_WEBHOOK_NEVER_BLOCK", "192.0.2.0/24"),
            ],
            ..Options::default()
        },
    )
    .await;
    subscribed(&app).await;
    let events = app.stripe().take_pending_events();
    let payload = events[0].payload();
    let forged = |at: i64| sign_payload(&payload, "whsec_guessed", at);
    let prober = "203.0.113.9";

    // Two failures: still heard, and still refused for its signature.
    for _ in 0..2 {
        let resp = post_from(&app, prober, payload.clone(), &forged(app.now())).await;
        assert_eq!(resp.status(), 400);
    }
    // A minute later the first two have left the window: two more are
    // still under the threshold of three.
    app.clock.advance(61);
    for _ in 0..2 {
        let resp = post_from(&app, prober, payload.clone(), &forged(app.now())).await;
        assert_eq!(resp.status(), 400);
    }
    // The third within the window: refused from now on, even when signed.
    let resp = post_from(&app, prober, payload.clone(), &forged(app.now())).await;
    assert_eq!(resp.status(), 400, "the third is still checked");
    let good = sign_payload(&payload, WEBHOOK_SECRET, app.now());
    let resp = post_from(&app, prober, payload.clone(), &good).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "600");
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["code"], "too-many-requests");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stripe_events").await,
        0,
        "nothing applied"
    );

    // A delivery without any signature is refused as such (400), not as a
    // refused sender, and does not count.
    let unsigned = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", prober)
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);
    // Another address is heard, and the operator's spared range never
    // gets refused, however often it fails.
    let other = post_from(&app, "198.51.100.4", payload.clone(), &forged(app.now())).await;
    assert_eq!(other.status(), 400);
    for _ in 0..5 {
        let spared = post_from(&app, "192.0.2.7", payload.clone(), &forged(app.now())).await;
        assert_eq!(spared.status(), 400);
    }

    // Once the block has run out, the sender is checked again.
    app.clock.advance(600);
    let good = sign_payload(&payload, WEBHOOK_SECRET, app.now());
    assert_eq!(post_from(&app, prober, payload, &good).await.status(), 200);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "starter");
}
both_engines!(
    refused_sender,
    a_sender_failing_its_signatures_is_refused_for_a_while
);
