//! `/dashboard/t/{slug}/webhooks` and `/webhooks/{id}`: an owner adds an
//! endpoint (its signing secret shown once), sends it a test event that a
//! loopback receiver gets signed with that secret, sees the delivery and
//! sends it again, rotates the secret, turns the endpoint off and on and
//! deletes it after confirming. Bad input is refused with the rule and
//! creates nothing; a viewer reads but changes nothing; another tenant's
//! owner gets the same 404 as an unknown tenant.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::billing_e2e::unix_now;
use crate::dashboard_pages::{make_owner, platform_user};
use crate::helpers::{spawn_app_with, TestApp};
use crate::web::{Page, Web};
use crate::webhook_receiver::Receiver;

const OWNER: &str = "founder@acme.example";
const HOOKS: &str = "/dashboard/t/acme/webhooks";
/// Loopback receivers need private endpoints allowed.
const PRIVATE: (&str, &str) = ("AUTH_WEBHOOK_ALLOW_PRIVATE", "true");

async fn endpoints(app: &TestApp, tenant: &str) -> Vec<Value> {
    let list = app
        .admin_json(&format!("/manage/v1/tenants/{tenant}/webhooks"))
        .await;
    list["items"].as_array().cloned().unwrap_or_default()
}

fn secret_of(page: &Page) -> String {
    page.between("<code id=\"webhook-secret\">", "</code>")
        .expect("the secret")
}

/// The endpoint page once its newest delivery is `state` (within 10 s).
async fn page_when(web: &Web, path: &str, state: &str) -> Page {
    let needle = format!("data-state=\"{state}\"");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let page = web.get(path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if page.contains(&needle) || tokio::time::Instant::now() >= deadline {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn owner_runs_webhooks_from_the_console(engine: Engine) {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(engine, &[PRIVATE]).await;
    let acme = app.tenant("acme", json!({})).await;
    let tenant = acme.id.to_string();
    let web = platform_user(&app, OWNER).await;
    make_owner(&app, &acme, OWNER).await;
    assert!(web
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{HOOKS}\"")));
    let page = web.get(HOOKS).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("id=\"no-webhooks\"") && page.contains("login.failed"));

    // Bad input: the rule, the form as typed, nothing made.
    let url = format!("{}/hook", receiver.url);
    for (fields, says) in [
        (
            vec![("url", "not a url"), ("user.created", "on")],
            "an absolute https URL",
        ),
        (
            vec![("url", url.as_str())],
            "choose at least one event type",
        ),
    ] {
        let page = web.post(HOOKS, &fields).await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.contains(says), "{says}: {}", page.body);
        assert!(page.contains(&format!("value=\"{}\"", fields[0].1)));
    }
    assert!(endpoints(&app, &tenant).await.is_empty());

    // Added: the secret once, on a no-store page.
    let page = web
        .post(
            HOOKS,
            &[
                ("url", url.as_str()),
                ("description", "CRM sync"),
                ("login.failed", "on"),
                ("user.created", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    assert_eq!(page.headers["cache-control"], "no-store");
    let secret = secret_of(&page);
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(page.contains("ConnectAuth-Signature"));
    let listed = endpoints(&app, &tenant).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["events"], json!(["user.created", "login.failed"]));
    assert_eq!(listed[0]["description"], "CRM sync");
    let id = listed[0]["id"].as_str().expect("id").to_owned();
    let list = web.get(HOOKS).await;
    assert!(list.contains(&url) && list.contains("CRM sync"));
    assert!(!list.contains(&secret), "the secret is shown once");

    // A test event, received signed with that secret, delivered.
    let hook = format!("{HOOKS}/{id}");
    let sent = web.post(&format!("{hook}/test"), &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(
        sent.location.as_deref(),
        Some(format!("{hook}?done=tested").as_str())
    );
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event_type, "webhook.test");
    assert!(got[0].signed_by(&secret, unix_now()));
    let page = page_when(&web, &hook, "delivered").await;
    assert!(page.contains("webhook.test") && page.contains("<code>200</code>"));

    // Sent again: the same event once more.
    let delivery = got[0].delivery_id.clone();
    assert!(page.contains(&format!("id=\"delivery-{delivery}\"")));
    let again = web
        .post(&format!("{hook}/deliveries/{delivery}/redeliver"), &[])
        .await;
    assert_eq!(again.status, 303, "{}", again.body);
    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].event_id, got[0].event_id);

    // A new secret, once; the next delivery is signed with it.
    let page = web.post(&format!("{hook}/rotate-secret"), &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let rotated = secret_of(&page);
    assert_ne!(rotated, secret);
    assert!(page.contains("id=\"previous-until\""));
    web.post(&format!("{hook}/test"), &[]).await;
    let got = receiver.wait_for(3).await;
    assert_eq!(got.len(), 3);
    assert!(got[2].signed_by(&rotated, unix_now()));

    // Off (saying by whom, on its page and the list) and on again.
    let off = web.post(&format!("{hook}/disable"), &[]).await;
    assert_eq!(
        off.location.as_deref(),
        Some(format!("{hook}?done=disabled").as_str())
    );
    assert_eq!(endpoints(&app, &tenant).await[0]["enabled"], false);
    let page = web.get(&format!("{hook}?done=disabled")).await;
    assert!(page.contains("Turned off") && page.contains("disabled by owner"));
    assert!(
        page.contains(&format!("action=\"{hook}/enable\"")),
        "{}",
        page.body
    );
    assert!(web.get(HOOKS).await.contains("disabled by owner"));
    assert_eq!(web.post(&format!("{hook}/enable"), &[]).await.status, 303);
    assert_eq!(endpoints(&app, &tenant).await[0]["enabled"], true);

    // Deleted only once confirmed.
    let page = web.post(&format!("{hook}/delete"), &[]).await;
    assert_eq!(page.status, 422);
    assert!(page.contains("Tick the box"));
    assert_eq!(endpoints(&app, &tenant).await.len(), 1);
    let gone = web
        .post(&format!("{hook}/delete"), &[("confirm", "on")])
        .await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert!(endpoints(&app, &tenant).await.is_empty());
    assert_eq!(web.get(&hook).await.status, 404);
}

both_engines!(
    an_owner_runs_webhooks_from_the_console,
    owner_runs_webhooks_from_the_console
);

/// The endpoints and each one's deliveries, through the management API.
async fn snapshot(app: &TestApp, tenant: &str) -> Value {
    let mut all = Vec::new();
    for e in endpoints(app, tenant).await {
        let id = e["id"].as_str().expect("id");
        let deliveries = app
            .admin_json(&format!(
                "/manage/v1/tenants/{tenant}/webhooks/{id}/deliveries"
            ))
            .await;
        all.push(json!({ "endpoint": e, "deliveries": deliveries }));
    }
    Value::Array(all)
}

async fn viewers_read_and_others_see_nothing(engine: Engine) {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(engine, &[PRIVATE]).await;
    let acme = app.tenant("acme", json!({})).await;
    let tenant = acme.id.to_string();
    let owner = platform_user(&app, OWNER).await;
    make_owner(&app, &acme, OWNER).await;
    let url = format!("{}/hook", receiver.url);
    let page = owner
        .post(HOOKS, &[("url", url.as_str()), ("user.created", "on")])
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    let id = endpoints(&app, &tenant).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let hook = format!("{HOOKS}/{id}");
    owner.post(&format!("{hook}/test"), &[]).await;
    let delivery = receiver.wait_for(1).await[0].delivery_id.clone();
    page_when(&owner, &hook, "delivered").await;

    let viewer = platform_user(&app, "viewer@acme.example").await;
    let resp = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
        .json(&json!({ "email": "viewer@acme.example", "role": "viewer" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let rival = platform_user(&app, "founder@rival.example").await;
    let other = app.tenant("rival", json!({})).await;
    make_owner(&app, &other, "founder@rival.example").await;

    // The viewer reads both pages, without a form that changes anything.
    for path in [HOOKS, hook.as_str()] {
        let page = viewer.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.contains(&url), "{path}");
        assert!(
            !page.contains("method=\"post\" action=\"/dashboard"),
            "{path}"
        );
        assert_eq!(rival.get(path).await.status, 404, "rival GET {path}");
    }
    let before = snapshot(&app, &tenant).await;
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            HOOKS.to_owned(),
            vec![("url", url.as_str()), ("user.created", "on")],
        ),
        (format!("{hook}/disable"), vec![]),
        (format!("{hook}/enable"), vec![]),
        (format!("{hook}/rotate-secret"), vec![]),
        (format!("{hook}/test"), vec![]),
        (format!("{hook}/delete"), vec![("confirm", "on")]),
        (format!("{hook}/deliveries/{delivery}/redeliver"), vec![]),
    ];
    for (path, fields) in &posts {
        let page = viewer.post(path, fields).await;
        assert_eq!(page.status, 403, "viewer POST {path}: {}", page.body);
        assert_eq!(
            rival.post(path, fields).await.status,
            404,
            "rival POST {path}"
        );
    }
    // The rival's own slug with acme's endpoint: not theirs either.
    let theirs = format!("/dashboard/t/rival/webhooks/{id}");
    assert_eq!(rival.get(&theirs).await.status, 404);
    assert_eq!(rival.post(&format!("{theirs}/test"), &[]).await.status, 404);
    assert_eq!(
        rival
            .post(&format!("{theirs}/delete"), &[("confirm", "on")])
            .await
            .status,
        404
    );
    assert_eq!(snapshot(&app, &tenant).await, before, "nothing changed");
    assert_eq!(receiver.received().len(), 1, "nothing more was sent");
}

both_engines!(
    viewers_read_webhooks_and_others_see_nothing,
    viewers_read_and_others_see_nothing
);
