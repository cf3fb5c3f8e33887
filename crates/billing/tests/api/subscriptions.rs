//! Subscribing through Checkout, upgrading, a failed payment with its grace
//! period and downgrade, paying again, cancelling — against the Stripe fake,
//! with every change arriving as a signed webhook.
use billing::domain::plan::PlanId;
use billing::domain::tenant::TenantId;
use billing::service::BillingError;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_with_stripe, unix_now, TestBilling, OWNER_A, TENANT_A};
use crate::stripe_fake::CompletedCheckout;

const DAY: i64 = 86_400;

async fn checkout(app: &TestBilling, plan: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        &format!("/v1/tenants/{TENANT_A}/checkout"),
        &app.owner_token(TENANT_A),
        Some(json!({
            "plan": plan,
            "success_url": "https://dashboard.example.com/billing?ok=1",
            "cancel_url": "https://dashboard.example.com/billing",
        })),
    )
    .await
}

/// A checkout for `plan` that the customer paid (its events not delivered).
async fn paid_checkout(app: &TestBilling, plan: &str) -> CompletedCheckout {
    let body: Value = checkout(app, plan).await.json().await.unwrap();
    app.stripe()
        .complete_checkout(body["session_id"].as_str().unwrap())
}

async fn deliver_all_ok(app: &TestBilling) {
    for (kind, status) in app.stripe().deliver_all().await {
        assert_eq!(status, 200, "{kind}");
    }
}

async fn subscription_lifecycle(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    app.set_owner(TENANT_A, OWNER_A).await;
    let fake = app.stripe();

    // Subscribe: a Checkout session for the Starter price, tagged with the tenant.
    let resp = checkout(&app, "starter").await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["outcome"], "checkout");
    let session_id = body["session_id"].as_str().unwrap().to_owned();
    assert!(body["url"].as_str().unwrap().starts_with(fake.url()));
    let session = fake
        .object("checkout.session", &session_id)
        .expect("session stored");
    assert_eq!(session["client_reference_id"], TENANT_A);
    // A second click gets the same session, and never a second customer.
    let again: Value = checkout(&app, "starter").await.json().await.unwrap();
    assert_eq!(again["session_id"], session_id.as_str());
    let customers = fake.requests_to("POST", "/v1/customers");
    assert_eq!(customers.len(), 1);
    assert_eq!(
        customers[0].idempotency_key.as_deref(),
        Some(format!("connectauth-customer-{TENANT_A}").as_str())
    );
    assert!(fake
        .requests_to("POST", "/v1/checkout/sessions")
        .iter()
        .all(|r| r.idempotency_key.is_some()));
    // Nothing changes until Stripe says the customer paid.
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "free");

    let paid = fake.complete_checkout(&session_id);
    deliver_all_ok(&app).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (
            e["plan"].as_str(),
            e["status"].as_str(),
            e["source"].as_str(),
            e["mau_limit"].as_u64()
        ),
        (Some("starter"), Some("active"), Some("stripe"), Some(5_000)),
        "{e}"
    );
    assert!(e["current_period_end"].as_i64().unwrap() > unix_now());
    let invoices = app
        .get_json(
            &format!("/v1/tenants/{TENANT_A}/invoices"),
            &app.owner_token(TENANT_A),
        )
        .await;
    assert_eq!(invoices["invoices"][0]["id"], paid.invoice_id.as_str());
    assert_eq!(invoices["invoices"][0]["status"], "paid");
    assert!(invoices["invoices"][0]["hosted_invoice_url"]
        .as_str()
        .unwrap()
        .starts_with("http"));

    // Upgrade: the subscription's price changes at once; the webhook agrees.
    let resp = checkout(&app, "pro").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        (body["outcome"].as_str(), body["plan"].as_str()),
        (Some("changed"), Some("pro"))
    );
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "pro");
    deliver_all_ok(&app).await;
    assert_eq!(app.entitlements(TENANT_A).await["mau_limit"], 20_000);
    assert_problem(checkout(&app, "pro").await, 422, "invalid-input").await;

    // A renewal fails: the plan stays for the grace period, the owner is told.
    let failed_invoice = fake.payment_failed(&paid.subscription_id);
    deliver_all_ok(&app).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["status"].as_str()),
        (Some("pro"), Some("past_due"))
    );
    let grace_until = e["grace_until"].as_i64().unwrap();
    assert!(
        (grace_until - (app.now() + 7 * DAY)).abs() < 60,
        "7 days of grace"
    );
    let mails = app.mails_to(OWNER_A, 1).await;
    assert!(mails[0]
        .subject
        .as_deref()
        .unwrap()
        .contains("payment failed"));

    // Grace over: Free, and the owner is told once.
    app.clock.set(grace_until - 1);
    assert_eq!(app.billing.run_dunning_once().await.unwrap(), 0);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "pro");
    app.clock.set(grace_until);
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["mau_limit"].as_u64()),
        (Some("free"), Some(1_000))
    );
    assert_eq!(app.billing.run_dunning_once().await.unwrap(), 1);
    assert_eq!(app.billing.run_dunning_once().await.unwrap(), 0);
    let mails = app.mails_to(OWNER_A, 2).await;
    assert!(mails[1].subject.as_deref().unwrap().contains("Free plan"));

    // Paying the open invoice restores the plan (signatures are checked
    // against the service's clock, so it is set back to the signer's).
    app.clock.set(unix_now());
    fake.pay_invoice(&failed_invoice);
    deliver_all_ok(&app).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["status"].as_str()),
        (Some("pro"), Some("active"))
    );
    assert_eq!(e["grace_until"], Value::Null);

    // The Customer Portal, then a cancellation made there.
    let portal = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{TENANT_A}/portal"),
            &app.owner_token(TENANT_A),
            Some(json!({"return_url": "https://dashboard.example.com/billing"})),
        )
        .await;
    assert_eq!(portal.status(), 201);
    let portal: Value = portal.json().await.unwrap();
    assert!(portal["url"].as_str().unwrap().starts_with(fake.url()));
    fake.cancel_subscription(&paid.subscription_id);
    deliver_all_ok(&app).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["status"].as_str()),
        (Some("free"), Some("canceled"))
    );
    // Subscribing again after a cancellation goes through Checkout.
    let again: Value = checkout(&app, "starter").await.json().await.unwrap();
    assert_eq!(again["outcome"], "checkout");
}
both_engines!(lifecycle, subscription_lifecycle);

#[tokio::test]
async fn unsellable_plans_and_bad_urls_are_refused() {
    let app = spawn_with_stripe(Engine::Sqlite).await;
    for plan in ["free", "enterprise"] {
        assert_problem(checkout(&app, plan).await, 422, "plan-not-purchasable").await;
    }
    assert_problem(checkout(&app, "gold").await, 422, "invalid-input").await;
    for (success, cancel) in [
        ("javascript:alert(1)", "https://a.example/no"),
        ("https://a.example/ok", "/relative"),
        ("https://user:pw@a.example/ok", "https://a.example/no"),
    ] {
        let resp = app
            .call(
                Method::POST,
                &format!("/v1/tenants/{TENANT_A}/checkout"),
                &app.owner_token(TENANT_A),
                Some(json!({"plan": "pro", "success_url": success, "cancel_url": cancel})),
            )
            .await;
        assert_problem(resp, 422, "invalid-input").await;
    }
    // Nothing reached Stripe.
    assert!(app.stripe().requests_to("POST", "/v1/customers").is_empty());
    assert!(app
        .stripe()
        .requests_to("POST", "/v1/checkout/sessions")
        .is_empty());
    // No customer yet: nothing to manage in the portal.
    let portal = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{TENANT_A}/portal"),
            &app.owner_token(TENANT_A),
            Some(json!({"return_url": "https://a.example/billing"})),
        )
        .await;
    assert_problem(portal, 409, "no-subscription").await;
}

#[tokio::test]
async fn an_operator_cannot_override_a_stripe_subscription() {
    let app = spawn_with_stripe(Engine::Sqlite).await;
    paid_checkout(&app, "starter").await;
    deliver_all_ok(&app).await;
    let resp = app
        .call(
            Method::PUT,
            &format!("/v1/tenants/{TENANT_A}/plan"),
            &app.admin_token(),
            Some(json!({"plan": "free"})),
        )
        .await;
    assert_problem(resp, 422, "invalid-input").await;
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "starter");
}

/// Two tabs ask for Checkout at once: both get the one session, so the
/// tenant cannot pay for two subscriptions. Another plan, or the same plan
/// once the state has changed, is another session.
async fn two_checkouts_at_once_get_one_session(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    let (a, b) = tokio::join!(checkout(&app, "starter"), checkout(&app, "starter"));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (201, 201));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["session_id"], b["session_id"], "{a} {b}");
    assert_eq!(app.stripe().objects("checkout.session").len(), 1);
    assert_eq!(app.stripe().objects("customer").len(), 1);
    let pro: Value = checkout(&app, "pro").await.json().await.unwrap();
    assert_ne!(pro["session_id"], a["session_id"]);
    // Subscribed and cancelled: a new Checkout is a new session.
    let session = a["session_id"].as_str().unwrap();
    let paid = app.stripe().complete_checkout(session);
    deliver_all_ok(&app).await;
    app.stripe().cancel_subscription(&paid.subscription_id);
    deliver_all_ok(&app).await;
    let again: Value = checkout(&app, "starter").await.json().await.unwrap();
    assert_ne!(again["session_id"], a["session_id"]);
}
both_engines!(one_checkout_session, two_checkouts_at_once_get_one_session);

/// An upgrade's answer from Stripe is held while the customer cancels in the
/// portal and the cancellation is applied: the upgrade, read earlier and
/// finishing last, must not bring a paid plan back.
async fn an_upgrade_finishing_after_a_cancellation_does_not_undo_it(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    let paid = paid_checkout(&app, "starter").await;
    deliver_all_ok(&app).await;
    let mut hold = app.stripe().hold_next(
        "POST",
        &format!("/v1/subscriptions/{}", paid.subscription_id),
    );
    let (upgrade, ()) = tokio::join!(checkout(&app, "pro"), async {
        hold.reached().await;
        app.stripe().cancel_subscription(&paid.subscription_id);
        deliver_all_ok(&app).await;
        hold.release();
    });
    assert_eq!(upgrade.status(), 200);
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["status"].as_str()),
        (Some("free"), Some("canceled")),
        "{e}"
    );
}
both_engines!(
    upgrade_after_cancellation,
    an_upgrade_finishing_after_a_cancellation_does_not_undo_it
);

/// An operator sets a manual plan while `checkout.session.completed`
/// commits the tenant's Stripe subscription. The webhook's transaction is
/// played here by hand, held open after its writes (the tenant's account
/// row, then the paid subscription) until the operator's request waits on
/// it: the manual plan must be refused, not written over the subscription
/// Stripe keeps charging for.
async fn a_manual_plan_does_not_overwrite_a_subscription_committed_meanwhile(engine: Engine) {
    let app = spawn_with_stripe(engine).await;
    let paid = paid_checkout(&app, "starter").await;
    let pool = sqlx::AnyPool::connect(&app.db.url).await.unwrap();
    let mut webhook = pool.begin().await.unwrap();
    sqlx::query("UPDATE accounts SET updated_at = updated_at WHERE tenant_id = $1")
        .bind(TENANT_A)
        .execute(&mut *webhook)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO subscriptions (tenant_id, plan, status, source, stripe_subscription_id, \
         updated_at) VALUES ($1, 'starter', 'active', 'stripe', $2, $3)",
    )
    .bind(TENANT_A)
    .bind(paid.subscription_id.clone())
    .bind(app.now())
    .execute(&mut *webhook)
    .await
    .unwrap();
    let billing = app.billing.clone();
    let tenant = TenantId::parse(TENANT_A).unwrap();
    let operator =
        tokio::spawn(async move { billing.manual.set_plan(tenant, PlanId::Pro, None).await });
    wait_until_someone_waits(engine, &pool).await;
    webhook.commit().await.unwrap();
    let set = operator.await.unwrap();
    assert!(matches!(set, Err(BillingError::Invalid(_))), "{set:?}");
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["source"].as_str()),
        (Some("starter"), Some("stripe")),
        "{e}"
    );
    pool.close().await;
}
both_engines!(
    manual_plan_meanwhile,
    a_manual_plan_does_not_overwrite_a_subscription_committed_meanwhile
);

/// Until another session waits on a lock (PostgreSQL); SQLite cannot tell,
/// so a while (too short a wait would only let the unguarded code pass).
async fn wait_until_someone_waits(engine: Engine, pool: &sqlx::AnyPool) {
    if engine == Engine::Sqlite {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        return;
    }
    for _ in 0..100 {
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")
            .fetch_one(pool)
            .await
            .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("nobody waited on the held transaction");
}
