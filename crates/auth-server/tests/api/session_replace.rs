//! A login in a browser that already holds a session of the tenant replaces
//! that session: the new cookie works, the old one is refused, and sessions
//! of other browsers go on.
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, PASSWORD};

const COOKIE: &str = "ca_session_acme";

async fn a_second_login_replaces_the_browsers_session(engine: Engine) {
    let app = spawn_app(engine).await;
    app.tenant("acme", json!({})).await;
    let email = "dana@example.com";
    app.signup_verified(&app.web(), "acme", email, PASSWORD)
        .await;
    let other = app.web();
    assert_eq!(app.login(&other, "acme", email, PASSWORD).await.status, 303);

    let web = app.web();
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    let first = web.cookie(COOKIE).expect("session cookie");
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    let second = web.cookie(COOKIE).expect("session cookie");
    assert_ne!(first, second, "a login opens a session with a new id");
    assert!(web.signed_in_at("acme").await, "the new session works");

    web.set_cookie(COOKIE, &first);
    assert!(
        !web.signed_in_at("acme").await,
        "the replaced session ended"
    );
    web.set_cookie(COOKIE, &second);
    assert!(web.signed_in_at("acme").await);
    assert!(
        other.signed_in_at("acme").await,
        "another browser's session goes on"
    );
}
both_engines!(
    a_login_replaces_the_session_its_browser_held,
    a_second_login_replaces_the_browsers_session
);
