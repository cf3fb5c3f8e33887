//! Sign-in through an upstream OpenID Connect provider, against a real one:
//! tenant `idp` of the same server (on a known loopback port, with private
//! upstreams allowed) is the provider of tenant `acme`. The round trip goes
//! through idp's authorize and token endpoints, its JWKS and discovery; the
//! first sign-in makes the user, the next finds them by (provider, subject);
//! an email that an acme account already has links nothing; a local user
//! links the provider after proving their password, and unlinks it.
mod id_tokens;
mod linking;
mod provider_settings;
mod refusals;
mod sign_in;

use reqwest::Method;
use serde_json::{json, Value};
use service_kit::db::Engine;

use crate::helpers::{spawn_app_on_known_port_with, TestApp, PASSWORD};
use crate::oidc::create_client;
use crate::web::{Page, Web};

pub(super) const BOB: &str = "bob@example.com";

pub(super) struct Federation {
    pub(super) app: TestApp,
    pub(super) acme: auth_server::domain::tenant::Tenant,
    pub(super) provider_id: String,
}

/// `idp` with Bob, a first-party client whose redirect URI is acme's
/// callback, and acme with `idp` as its provider.
pub(super) async fn federation(engine: Engine) -> Federation {
    let app =
        spawn_app_on_known_port_with(engine, &[("AUTH_UPSTREAM_ALLOW_PRIVATE", "true")]).await;
    let idp = app.tenant("idp", json!({})).await;
    let acme = app.tenant("acme", json!({})).await;
    app.signup_verified(&app.web(), "idp", BOB, PASSWORD).await;
    let client = create_client(
        &app,
        &idp.id.to_string(),
        json!({"first_party": true, "redirect_uris": [app.url("/t/acme/upstream/callback")]}),
    )
    .await;
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/upstream-providers", acme.id),
        )
        .json(&json!({
            "slug": "idp",
            "display_name": "IdP",
            "issuer": app.url("/t/idp"),
            "client_id": client.id,
            "client_secret": client.secret.expect("secret"),
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 201);
    let created: Value = resp.json().await.expect("json");
    assert_eq!(
        created["callback_url"],
        app.url("/t/acme/upstream/callback")
    );
    assert!(
        created.get("client_secret").is_none(),
        "never shown: {created}"
    );
    Federation {
        provider_id: created["id"].as_str().expect("id").to_owned(),
        app,
        acme,
    }
}

/// `location` as a path of the server (every hop stays on it).
pub(super) fn path_of(app: &TestApp, location: &str) -> String {
    if location.starts_with('/') {
        return location.to_owned();
    }
    location
        .strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{location} leaves the server"))
        .to_owned()
}

/// From the button on acme's login page to acme's callback answer, with
/// Bob logged in at idp in the same browser.
pub(super) async fn round_trip(app: &TestApp, web: &Web, start: Page) -> Page {
    assert_eq!(start.status, 303, "{}", start.body);
    let to_idp = path_of(app, start.location.as_deref().expect("location"));
    assert!(to_idp.starts_with("/t/idp/authorize?"), "{to_idp}");
    for part in [
        "state=",
        "nonce=",
        "code_challenge=",
        "code_challenge_method=S256",
    ] {
        assert!(to_idp.contains(part), "{part} in {to_idp}");
    }
    let back = web.get(&to_idp).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let callback = path_of(app, back.location.as_deref().expect("location"));
    assert!(
        callback.starts_with("/t/acme/upstream/callback?code="),
        "{callback}"
    );
    web.get(&callback).await
}

/// Where a signed-in answer sends the browser next (a page whose refresh
/// and link go there: see the callback handler).
pub(crate) fn next_of(page: &Page) -> String {
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("http-equiv=\"refresh\""), "{}", page.body);
    page.between("<a href=\"", "\" class=\"button\" id=\"continue\"")
        .expect("a continue link")
        .replace("&amp;", "&")
}

pub(super) async fn bob_at_idp(app: &TestApp) -> Web {
    let web = app.web();
    let logged = app.login(&web, "idp", BOB, PASSWORD).await;
    assert_eq!(logged.status, 303, "{}", logged.body);
    web
}
