//! Monthly active users: distinct per tenant and UTC month, never counted
//! twice, whatever the auth server resends.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_billing, users, TENANT_A, TENANT_B};

/// 2026-11-30T23:59:59Z and one second later.
const LAST_SECOND_OF_NOVEMBER: i64 = 1_796_083_199;
const FIRST_SECOND_OF_DECEMBER: i64 = 1_796_083_200;

async fn a_user_logging_in_100_times_counts_once(engine: Engine) {
    let app = spawn_billing(engine).await;
    let now = app.now();
    let alice = vec!["alice".to_owned()];
    for i in 0..100 {
        let resp = app.report(TENANT_A, &alice, now - i).await;
        assert_eq!(resp.status(), 200);
    }
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(e["mau_used"], 1, "{e}");
    // One report with the same user 100 times over.
    let same: Vec<String> = std::iter::repeat_n("bob".to_owned(), 100).collect();
    let receipt: Value = app.report(TENANT_A, &same, now).await.json().await.unwrap();
    assert_eq!(receipt, json!({"received": 100, "recorded": 1}));
    assert_eq!(app.entitlements(TENANT_A).await["mau_used"], 2);
    // The other tenant's count is its own.
    assert_eq!(app.entitlements(TENANT_B).await["mau_used"], 0);
}
both_engines!(
    same_user_counts_once,
    a_user_logging_in_100_times_counts_once
);

/// The auth server crashed after billing stored a report but before it got
/// the answer: it sends the same report again on restart.
async fn a_resent_report_counts_nobody_twice(engine: Engine) {
    let app = spawn_billing(engine).await;
    let now = app.now();
    let batch = users("u", 250);
    let first: Value = app
        .report(TENANT_A, &batch, now)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["recorded"], 250);
    let again: Value = app
        .report(TENANT_A, &batch, now)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, json!({"received": 250, "recorded": 0}));
    assert_eq!(app.entitlements(TENANT_A).await["mau_used"], 250);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM monthly_active_users").await,
        250
    );
}
both_engines!(resent_report, a_resent_report_counts_nobody_twice);

async fn months_change_at_midnight_utc(engine: Engine) {
    let app = spawn_billing(engine).await;
    app.clock.set(FIRST_SECOND_OF_DECEMBER + 3_600);
    let ana = vec!["ana".to_owned()];
    assert_eq!(
        app.report(TENANT_A, &ana, LAST_SECOND_OF_NOVEMBER)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.report(TENANT_A, &ana, FIRST_SECOND_OF_DECEMBER)
            .await
            .status(),
        200
    );
    let usage = app
        .get_json(&format!("/v1/tenants/{TENANT_A}/usage"), &app.admin_token())
        .await;
    assert_eq!(usage["month"], "2026-12");
    assert_eq!(usage["mau"], 1);
    assert_eq!(
        usage["history"],
        json!([{"month": "2026-12", "mau": 1}, {"month": "2026-11", "mau": 1}])
    );
    let november = app
        .get_json(
            &format!("/v1/tenants/{TENANT_A}/usage?month=2026-11"),
            &app.admin_token(),
        )
        .await;
    assert_eq!(november["mau"], 1);
    // History is kept: December's count does not touch November's.
    app.report(TENANT_A, &users("dec", 3), FIRST_SECOND_OF_DECEMBER + 10)
        .await;
    let history = app
        .get_json(&format!("/v1/tenants/{TENANT_A}/usage"), &app.admin_token())
        .await["history"]
        .clone();
    assert_eq!(
        history,
        json!([{"month": "2026-12", "mau": 4}, {"month": "2026-11", "mau": 1}])
    );
}
both_engines!(month_boundary_in_utc, months_change_at_midnight_utc);

async fn bad_reports_are_refused_whole(engine: Engine) {
    let app = spawn_billing(engine).await;
    let now = app.now();
    let good = json!({"tenant_id": TENANT_A, "user_id": "ok-user", "at": now});
    let bad_events = [
        json!({"tenant_id": "not-a-uuid", "user_id": "u", "at": now}),
        json!({"tenant_id": TENANT_A, "user_id": "", "at": now}),
        json!({"tenant_id": TENANT_A, "user_id": "has space", "at": now}),
        json!({"tenant_id": TENANT_A, "user_id": "x".repeat(65), "at": now}),
        json!({"tenant_id": TENANT_A, "user_id": "u", "at": now + 3_600}),
        json!({"tenant_id": TENANT_A, "user_id": "u", "at": now - 500 * 86_400}),
        json!({"tenant_id": TENANT_A, "user_id": "u", "at": "yesterday"}),
        json!({"tenant_id": TENANT_A, "user_id": "u"}),
        json!({"tenant_id": TENANT_A, "user_id": "u", "at": now, "extra": 1}),
    ];
    for (i, bad) in bad_events.into_iter().enumerate() {
        // Well-formed but wrong values: 422; not the report's shape: 400.
        let expected = if i < 6 { 422 } else { 400 };
        let resp = app
            .call(
                Method::POST,
                "/v1/usage",
                &app.service_token(),
                Some(json!({"events": [good.clone(), bad.clone()]})),
            )
            .await;
        assert_eq!(resp.status(), expected, "{bad}");
    }
    let too_many: Vec<Value> = (0..1_001)
        .map(|i| json!({"tenant_id": TENANT_A, "user_id": format!("u{i}"), "at": now}))
        .collect();
    let resp = app
        .call(
            Method::POST,
            "/v1/usage",
            &app.service_token(),
            Some(json!({"events": too_many})),
        )
        .await;
    assert_problem(resp, 422, "invalid-input").await;
    let not_json = app
        .client
        .post(app.url("/v1/usage"))
        .bearer_auth(app.service_token())
        .header("content-type", "application/json")
        .body("{\"events\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    // Nothing of any refused report was stored.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM monthly_active_users").await,
        0
    );
    // user_id counts characters, as its documented pattern does: 64
    // two-byte characters are one valid id.
    let wide = json!({"events": [{"tenant_id": TENANT_A, "user_id": "é".repeat(64), "at": now}]});
    let resp = app
        .call(Method::POST, "/v1/usage", &app.service_token(), Some(wide))
        .await;
    assert_eq!(resp.status(), 200);
    // Exactly the most events a report may carry is one report.
    let most: Vec<Value> = (0..1_000)
        .map(|i| json!({"tenant_id": TENANT_A, "user_id": format!("m{i}"), "at": now}))
        .collect();
    let resp = app
        .call(
            Method::POST,
            "/v1/usage",
            &app.service_token(),
            Some(json!({"events": most})),
        )
        .await;
    assert_eq!(resp.status(), 200);
}
both_engines!(bad_reports_refused, bad_reports_are_refused_whole);
