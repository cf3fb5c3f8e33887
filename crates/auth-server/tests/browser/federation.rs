//! "Continue with …": a user of the relying party's tenant signs in through
//! an upstream OpenID Connect provider — another tenant of the same server,
//! on a known loopback port — and the browser comes back to the app on its
//! own origin, through both tenants' pages, with no CSP violation.
use serde_json::{json, Value};

use crate::relying_party::RelyingParty;
use crate::support::{
    click, create_tenant_with, fill, fresh_tab, launch_browser, spawn_app_on_port, text_of,
    user_id, wait_for_text, wait_for_url_prefix, EMAIL, PASSWORD, SLUG,
};

const IDP: &str = "workforce";

async fn post(app: &crate::support::TestApp, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 201, "{path}");
    resp.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_with_an_upstream_provider_returns_to_the_app() {
    let browser = launch_browser();
    let app = spawn_app_on_port(&[("AUTH_UPSTREAM_ALLOW_PRIVATE", "true")]).await;
    let tenant = create_tenant_with(&app, SLUG, "Connect People", json!({})).await;
    let idp = create_tenant_with(&app, IDP, "Acme Workforce", json!({})).await;
    app.signup_verified(&app.web(), IDP, EMAIL, PASSWORD).await;
    let upstream_client = post(
        &app,
        &format!("/manage/v1/tenants/{}/clients", idp.id),
        json!({
            "name": "Connect People sign-in",
            "kind": "confidential",
            "redirect_uris": [format!("{}/t/{SLUG}/upstream/callback", app.address)],
            "grant_types": ["authorization_code"],
            "scopes": ["openid", "profile", "email"],
            "first_party": true,
        }),
    )
    .await;
    post(
        &app,
        &format!("/manage/v1/tenants/{}/upstream-providers", tenant.id),
        json!({
            "slug": "workforce",
            "display_name": "Acme Workforce",
            "issuer": format!("{}/t/{IDP}", app.address),
            "client_id": upstream_client["client_id"],
            "client_secret": upstream_client["client_secret"],
        }),
    )
    .await;
    let port = crate::billing_service::free_port();
    let app_client = post(
        &app,
        &format!("/manage/v1/tenants/{}/clients", tenant.id),
        json!({
            "name": "Connect People web",
            "kind": "public",
            "redirect_uris": [RelyingParty::redirect_uri(port)],
            "post_logout_redirect_uris": [RelyingParty::post_logout_uri(port)],
            "grant_types": ["authorization_code", "refresh_token"],
            "scopes": ["openid", "profile", "email"],
            "first_party": true,
        }),
    )
    .await;
    let issuer = format!("{}/t/{SLUG}", app.address);
    let client_id = app_client["client_id"].as_str().expect("client_id");
    let rp = RelyingParty::start(port, &issuer, client_id).await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&browser);
        tab.navigate_to(&rp.start_url(""))
            .expect("navigate to the app");
        wait_for_url_prefix(&tab, &format!("{issuer}/login?return_to="));
        wait_for_text(&tab, "Continue with Acme Workforce");
        click(&tab, "#upstream-workforce");
        // The provider's own login page, its request pending.
        wait_for_url_prefix(&tab, &format!("{}/t/{IDP}/login?return_to=", app.address));
        fill(&tab, "#email", EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "form[action$='/login'] button[type=submit]");
        // Back through the tenant's callback and its authorize, at the app.
        wait_for_url_prefix(&tab, &format!("{}/callback?code=", rp.origin));
        wait_for_text(&tab, "Signed in to the app");
        let rt = tokio::runtime::Handle::current();
        let expected = rt.block_on(user_id(&app, &tenant, EMAIL));
        assert_eq!(text_of(&tab, "#sub"), expected, "the tenant's own user");
        assert!(!rp.signed_in().is_empty(), "the app got tokens");
        csp.assert_none(&tab);
    });
}
