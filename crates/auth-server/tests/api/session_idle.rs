//! A hosted-login session ends 30 minutes after its last recorded request.
//! A request is recorded when it comes at least a minute after the one
//! recorded before (one write a minute at most per session), so activity
//! keeps a session alive and a burst of requests costs one write. The
//! server reads a clock the test moves.
use std::sync::Arc;

use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::helpers::{spawn_app_with_clock, PASSWORD};

const IDLE: i64 = 30 * 60;

async fn sessions_slide_once_a_minute(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    app.tenant("acme", json!({})).await;
    let email = "dana@example.com";
    app.signup_verified(&app.web(), "acme", email, PASSWORD)
        .await;

    // A request 59 s after the login is not recorded: the session still
    // ends 30 minutes after the login.
    let web = app.web();
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    clock.advance(59);
    assert!(web.signed_in_at("acme").await);
    clock.advance(IDLE - 59 - 1);
    assert!(
        web.signed_in_at("acme").await,
        "a second before the idle time"
    );
    let web = app.web();
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    clock.advance(59);
    assert!(web.signed_in_at("acme").await);
    clock.advance(IDLE - 59);
    assert!(
        !web.signed_in_at("acme").await,
        "30 minutes after the last recorded request"
    );

    // A request a minute after the login is recorded: the session lives 30
    // minutes from it, and each later request a minute apart moves it on.
    let web = app.web();
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    clock.advance(60);
    assert!(web.signed_in_at("acme").await);
    clock.advance(IDLE - 1);
    assert!(
        web.signed_in_at("acme").await,
        "29:59 after the recorded request"
    );
    clock.advance(IDLE - 1);
    assert!(
        web.signed_in_at("acme").await,
        "the request before moved it on"
    );
    clock.advance(IDLE);
    assert!(
        !web.signed_in_at("acme").await,
        "30 minutes without a request"
    );
}
both_engines!(
    an_active_session_slides_and_an_idle_one_ends,
    sessions_slide_once_a_minute
);
