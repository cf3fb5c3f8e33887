//! An authorization code is good for one minute (RFC 6749 §4.1.2 advises
//! ten at most): used a second before that it gives tokens; at the minute,
//! and forever after, it is `invalid_grant` "the code has expired". A code
//! the server never issued is `invalid_grant` "unknown code". The server
//! reads a clock the test moves.
use std::sync::Arc;

use auth_server::oauth::CODE_TTL_SECS;
use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::helpers::{spawn_app_with_clock, PASSWORD};
use crate::oidc::{acme_code, create_client, exchange_acme_code, pkce};

const ALICE: &str = "alice@example.com";

async fn codes_expire_after_a_minute(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let tenant = app.tenant("acme", json!({})).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;

    let in_time = acme_code(&web, &client, ALICE).await;
    clock.advance(CODE_TTL_SECS - 1);
    let (status, body) = exchange_acme_code(&app, &client, &in_time).await;
    assert_eq!(status, 200, "a second before the minute: {body}");
    assert!(body["access_token"].is_string());

    let late = acme_code(&web, &client, ALICE).await;
    clock.advance(CODE_TTL_SECS);
    for _ in 0..2 {
        let (status, body) = exchange_acme_code(&app, &client, &late).await;
        assert_eq!(
            (
                status,
                body["error"].as_str(),
                body["error_description"].as_str()
            ),
            (400, Some("invalid_grant"), Some("the code has expired")),
            "{body}"
        );
    }

    let never_issued = ("not-a-code".to_owned(), pkce().0);
    let (status, body) = exchange_acme_code(&app, &client, &never_issued).await;
    assert_eq!(
        (
            status,
            body["error"].as_str(),
            body["error_description"].as_str()
        ),
        (400, Some("invalid_grant"), Some("unknown code")),
        "{body}"
    );
}

both_engines!(
    a_code_is_good_for_one_minute_and_an_unknown_code_for_nothing,
    codes_expire_after_a_minute
);
