//! Refresh tokens end: one unused for its idle time, and every token of a
//! family once the family's absolute lifetime is over, are refused with
//! `invalid_grant` (RFC 9700 §4.14.2). The server reads a clock the test
//! moves, so no row is rewritten to fake the time.
use std::sync::Arc;

use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::helpers::{spawn_app_with_clock, TestApp, PASSWORD};
use crate::oidc::{code_flow, create_client, token, TestClient};

const ALICE: &str = "alice@example.com";
const IDLE: i64 = 600;
const ABSOLUTE: i64 = 3600;

async fn refresh(app: &TestApp, client: &TestClient, refresh_token: &Value) -> (u16, Value) {
    token(
        app,
        "acme",
        client,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                refresh_token.as_str().expect("a refresh token"),
            ),
        ],
    )
    .await
}

fn refused(answer: &(u16, Value)) -> bool {
    answer.0 == 400 && answer.1["error"] == "invalid_grant"
}

async fn setup(engine: Engine) -> (TestApp, Arc<ManualClock>, TestClient, crate::web::Web) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let tenant = app.tenant("acme", json!({})).await;
    let client = create_client(
        &app,
        &tenant.id.to_string(),
        json!({
            "first_party": true,
            "refresh_token_lifetime_secs": ABSOLUTE,
            "refresh_token_idle_secs": IDLE,
        }),
    )
    .await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    (app, clock, client, web)
}

async fn idle_refresh_tokens_expire(engine: Engine) {
    let (app, clock, client, web) = setup(engine).await;
    let tokens = code_flow(&app, &web, "acme", &client, ALICE, PASSWORD).await;
    let unused = code_flow(&app, &web, "acme", &client, ALICE, PASSWORD).await;

    // Used a second before its idle time ends: a new token, idle from now on.
    clock.advance(IDLE - 1);
    let (status, second) = refresh(&app, &client, &tokens["refresh_token"]).await;
    assert_eq!(status, 200, "{second}");
    clock.advance(IDLE - 1);
    let (status, third) = refresh(&app, &client, &second["refresh_token"]).await;
    assert_eq!(
        status, 200,
        "the rotated token is idle from its use: {third}"
    );

    // The code exchange's own refresh token, never used since: refused.
    clock.advance(1);
    let answer = refresh(&app, &client, &unused["refresh_token"]).await;
    assert!(refused(&answer), "{answer:?}");

    // Unused for exactly its idle time: refused, though the family lives on.
    clock.advance(IDLE - 1);
    let answer = refresh(&app, &client, &third["refresh_token"]).await;
    assert!(refused(&answer), "{answer:?}");
    assert_eq!(
        answer.1["error_description"],
        "the refresh token has expired"
    );
}

async fn refresh_token_families_expire(engine: Engine) {
    let (app, clock, client, web) = setup(engine).await;
    let start = clock.now();
    let tokens = code_flow(&app, &web, "acme", &client, ALICE, PASSWORD).await;

    // Refreshed well within its idle time, again and again, up to a second
    // before the family's end.
    let mut current = tokens["refresh_token"].clone();
    for at in [500, 1000, 1500, 2000, 2500, 3000, 3500, ABSOLUTE - 1] {
        clock.set(start + at);
        let (status, next) = refresh(&app, &client, &current).await;
        assert_eq!(status, 200, "at +{at}s: {next}");
        current = next["refresh_token"].clone();
    }
    // The family's absolute lifetime is over a second later, however
    // recently the token was issued.
    clock.set(start + ABSOLUTE);
    let answer = refresh(&app, &client, &current).await;
    assert!(refused(&answer), "{answer:?}");
    assert_eq!(
        answer.1["error_description"],
        "the refresh token has expired"
    );
}

both_engines!(
    a_refresh_token_unused_for_its_idle_time_is_refused,
    idle_refresh_tokens_expire
);
both_engines!(
    a_refresh_token_family_ends_at_its_absolute_lifetime,
    refresh_token_families_expire
);
