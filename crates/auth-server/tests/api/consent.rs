//! What the authorization request shows a logged-in user, and who gets a
//! code: consent is asked once per client and scope (always with
//! `prompt=consent`, never for a first-party client otherwise), `max_age`
//! sends a user whose login is older back to the login page, a disabled client
//! gets no redirect, and a user disabled while the code is in flight gets no
//! tokens.
use std::sync::Arc;

use auth_server::domain::user::UserId;
use auth_server::store::users::UserStore;
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::helpers::{spawn_app, spawn_app_with_clock, TestApp, PASSWORD};
use crate::oidc::{
    authorize, authorize_path, callback_params, claims, code_flow, create_client, param, pkce,
    token, TestClient, REDIRECT,
};
use crate::web::{Page, Web};

const ALICE: &str = "alice@example.com";

fn is_consent_page(page: &Page) -> bool {
    page.status == 200 && page.contains("name=\"authz\"")
}

/// Straight back to the client with a code, no page in between.
fn went_back_with_a_code(page: &Page) -> bool {
    page.status == 303
        && page.location.as_deref().is_some_and(|l| {
            l.starts_with(REDIRECT) && param(&callback_params(l), "code").is_some()
        })
}

fn went_to_login(page: &Page) -> bool {
    page.status == 303
        && page
            .location
            .as_deref()
            .is_some_and(|l| l.contains("/login?"))
}

async fn logged_in(app: &TestApp) -> (Web, String) {
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let page = app.login(&web, "acme", ALICE, PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    (web, tenant.id.to_string())
}

async fn get(web: &Web, client: &TestClient, extra: &[(&str, &str)]) -> Page {
    web.get(&authorize_path("acme", client, &pkce().1, extra))
        .await
}

async fn consent_is_remembered(engine: Engine) {
    let app = spawn_app(engine).await;
    let (web, tenant_id) = logged_in(&app).await;
    let third = create_client(&app, &tenant_id, json!({"name": "Other App"})).await;

    let first = get(&web, &third, &[]).await;
    assert!(is_consent_page(&first), "{}", first.body);
    authorize(
        &web,
        &authorize_path("acme", &third, &pkce().1, &[]),
        ALICE,
        PASSWORD,
    )
    .await;

    let again = get(&web, &third, &[]).await;
    assert!(
        went_back_with_a_code(&again),
        "a remembered consent is not asked again: {} {:?}",
        again.status,
        again.location
    );
    let asked = get(&web, &third, &[("prompt", "consent")]).await;
    assert!(is_consent_page(&asked), "prompt=consent asks again");
    let wider = web
        .get(&authorize_path("acme", &third, &pkce().1, &[]).replace(
            "scope=openid+profile+email",
            "scope=openid+profile+email+api%3Aread",
        ))
        .await;
    assert!(
        is_consent_page(&wider),
        "a scope beyond the remembered consent is asked"
    );
}

async fn first_party_clients_skip_consent(engine: Engine) {
    let app = spawn_app(engine).await;
    let (web, tenant_id) = logged_in(&app).await;
    let own = create_client(&app, &tenant_id, json!({"first_party": true})).await;

    let page = get(&web, &own, &[]).await;
    assert!(
        went_back_with_a_code(&page),
        "no consent page for a first-party client: {} {}",
        page.status,
        page.body
    );
    let asked = get(&web, &own, &[("prompt", "consent")]).await;
    assert!(
        is_consent_page(&asked),
        "unless the request asks for it: {}",
        asked.body
    );
}

async fn max_age_counts_from_the_login(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let tenant = app.tenant("acme", json!({})).await;
    let own = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let tokens = code_flow(&app, &web, "acme", &own, ALICE, PASSWORD).await;
    let auth_time = claims(tokens["id_token"].as_str().expect("id token"))["auth_time"]
        .as_i64()
        .expect("auth_time");

    clock.set(auth_time + 100);
    let fresh = get(&web, &own, &[("max_age", "100")]).await;
    assert!(
        went_back_with_a_code(&fresh),
        "a login exactly max_age old is recent enough: {:?}",
        fresh.location
    );
    let stale = get(&web, &own, &[("max_age", "99")]).await;
    assert!(
        went_to_login(&stale),
        "a login older than max_age is asked again: {:?}",
        stale.location
    );
    let none = get(&web, &own, &[("max_age", "99"), ("prompt", "none")]).await;
    let cb = callback_params(none.location.as_deref().expect("location"));
    assert_eq!(param(&cb, "error").as_deref(), Some("login_required"));
    let zero = get(&web, &own, &[("max_age", "0")]).await;
    assert!(went_to_login(&zero), "max_age=0 always asks");
}

async fn disabled_clients_get_no_redirect(engine: Engine) {
    let app = spawn_app(engine).await;
    let (web, tenant_id) = logged_in(&app).await;
    let own = create_client(&app, &tenant_id, json!({"first_party": true})).await;
    assert!(went_back_with_a_code(&get(&web, &own, &[]).await));

    let disabled = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant_id}/clients/{}/disable", own.id),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);
    let page = get(&web, &own, &[]).await;
    assert_eq!(page.location, None, "no redirect to a disabled client");
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.contains("is unknown"), "{}", page.body);
}

async fn a_user_disabled_in_flight_gets_no_tokens(engine: Engine) {
    let app = spawn_app(engine).await;
    let (web, tenant_id) = logged_in(&app).await;
    let own = create_client(&app, &tenant_id, json!({"first_party": true})).await;
    let (verifier, challenge) = pkce();
    let page = web
        .get(&authorize_path("acme", &own, &challenge, &[]))
        .await;
    assert!(went_back_with_a_code(&page));
    let code = param(
        &callback_params(page.location.as_deref().expect("location")),
        "code",
    )
    .expect("code");

    // Disabled between the code and its exchange (by another instance: the
    // store alone, the grant still live).
    let id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(ALICE)
        .fetch_one(&app.database.pool)
        .await
        .expect("user");
    let tenant = auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("acme")
        .await
        .expect("tenant");
    UserStore::new(app.database.pool.clone())
        .disable(
            tenant.id,
            UserId::parse(&id).expect("id"),
            SystemClock.now(),
        )
        .await
        .expect("disabled");

    let (status, body) = token(
        &app,
        "acme",
        &own,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(body.get("access_token").is_none());
}

both_engines!(
    a_remembered_consent_is_not_asked_again_unless_prompted_or_widened,
    consent_is_remembered
);
both_engines!(
    first_party_clients_skip_consent_unless_prompted,
    first_party_clients_skip_consent
);
both_engines!(
    max_age_sends_an_older_login_back_to_the_login_page,
    max_age_counts_from_the_login
);
both_engines!(
    a_disabled_client_gets_a_page_not_a_redirect,
    disabled_clients_get_no_redirect
);
both_engines!(
    a_user_disabled_after_the_code_gets_no_tokens,
    a_user_disabled_in_flight_gets_no_tokens
);
