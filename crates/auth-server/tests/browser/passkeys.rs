//! Passkeys in Chromium with the DevTools virtual authenticator (CTAP2,
//! platform, resident keys, user verification): a user adds a passkey on
//! the account page, then signs in to an app on another origin with it and
//! no password — in a tenant that requires MFA, with no second step; a copy
//! of the authenticator whose counter went back is refused; the passkey is
//! deleted. The auth server is `http://localhost:PORT` (a relying-party id
//! must be a domain name), the app `http://127.0.0.1:PORT`.
use headless_chrome::protocol::cdp::WebAuthn;
use headless_chrome::Tab;
use reqwest::Method;
use serde_json::{json, Value};

use crate::relying_party::RelyingParty;
use crate::support::{
    body_text, click, create_tenant_with, fill, fresh_tab, launch_browser, spawn_app_on_localhost,
    text_of, user_id, wait_for_text, wait_for_url_prefix, EMAIL, PASSWORD, SLUG, WAIT,
};

/// A platform authenticator that holds discoverable credentials, verifies
/// its user and answers without a touch.
fn virtual_authenticator(tab: &Tab) -> String {
    tab.call_method(WebAuthn::Enable { enable_ui: None })
        .expect("WebAuthn.enable");
    tab.call_method(WebAuthn::AddVirtualAuthenticator {
        options: WebAuthn::VirtualAuthenticatorOptions {
            protocol: WebAuthn::AuthenticatorProtocol::Ctap2,
            ctap_2_version: Some(WebAuthn::Ctap2Version::Ctap21),
            transport: WebAuthn::AuthenticatorTransport::Internal,
            has_resident_key: Some(true),
            has_user_verification: Some(true),
            has_large_blob: None,
            has_cred_blob: None,
            has_min_pin_length: None,
            has_prf: None,
            automatic_presence_simulation: Some(true),
            is_user_verified: Some(true),
            default_backup_eligibility: None,
            default_backup_state: None,
        },
    })
    .expect("WebAuthn.addVirtualAuthenticator")
    .authenticator_id
}

fn credentials(tab: &Tab, authenticator: &str) -> Vec<WebAuthn::Credential> {
    tab.call_method(WebAuthn::GetCredentials {
        authenticator_id: authenticator.to_owned(),
    })
    .expect("WebAuthn.getCredentials")
    .credentials
}

/// Clicks the passkey button once the script has shown it (it is hidden
/// without JavaScript or WebAuthn).
fn click_passkey_button(tab: &Tab, selector: &str) {
    if let Err(e) =
        tab.wait_for_element_with_custom_timeout(&format!("{selector}:not([hidden])"), WAIT)
    {
        panic!(
            "the passkey button {selector} is not shown ({e}) at {}: {}",
            tab.get_url(),
            body_text(tab).unwrap_or_default()
        );
    }
    click(tab, selector);
}

async fn admin(app: &crate::support::TestApp, method: Method, path: &str, body: Value) -> Value {
    let resp = app
        .admin(method, path)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.expect("json")
}

/// The server on `localhost` (a relying-party id must be a domain name),
/// tenant `SLUG` with `settings` and a verified user, and an app on
/// `http://127.0.0.1:PORT` (another origin) with a first-party public
/// client: the app, the tenant, its issuer and the running app.
async fn app_with_relying_party(
    settings: Value,
) -> (
    crate::support::TestApp,
    auth_server::domain::tenant::Tenant,
    String,
    RelyingParty,
) {
    let (app, base) = spawn_app_on_localhost(&[]).await;
    let tenant = create_tenant_with(&app, SLUG, "Connect People", settings).await;
    app.signup_verified(&app.web(), SLUG, EMAIL, PASSWORD).await;
    let port = crate::billing_service::free_port();
    let client = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/clients", tenant.id),
        )
        .json(&json!({
            "name": "Connect People web",
            "kind": "public",
            "redirect_uris": [RelyingParty::redirect_uri_on("127.0.0.1", port)],
            "grant_types": ["authorization_code"],
            "scopes": ["openid", "profile", "email"],
            "first_party": true,
        }))
        .send()
        .await
        .expect("client created");
    assert_eq!(client.status(), 201);
    let client: Value = client.json().await.expect("json");
    let issuer = format!("{base}/t/{SLUG}");
    let client_id = client["client_id"].as_str().expect("client_id");
    let rp = RelyingParty::start_on("127.0.0.1", port, &issuer, client_id).await;
    (app, tenant, issuer, rp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_register_sign_in_without_password_clone_refused_delete() {
    let browser = launch_browser();
    let (app, tenant, issuer, rp) = app_with_relying_party(json!({})).await;
    let sub = user_id(&app, &tenant, EMAIL).await;
    let rt = tokio::runtime::Handle::current();

    tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&browser);
        let authenticator = virtual_authenticator(&tab);

        // Signed in with the password for the first time, the user is
        // offered a passkey, declines for now, and adds one later from the
        // account page.
        tab.navigate_to(&format!("{issuer}/login"))
            .expect("login page");
        wait_for_text(&tab, "Log in");
        fill(&tab, "#email", EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "form[action$='/login'] button[type=submit]");
        wait_for_text(&tab, "Sign in faster next time");
        click(&tab, "#passkey-not-now");
        wait_for_text(&tab, "Your account");
        wait_for_text(&tab, "No passkey yet");
        fill(&tab, "#passkey-name", "Work laptop");
        click_passkey_button(&tab, "#add-passkey");
        wait_for_text(&tab, "Work laptop");
        assert!(!body_text(&tab).expect("text").contains("No passkey yet"));
        let stored = credentials(&tab, &authenticator);
        assert_eq!(stored.len(), 1, "one credential on the authenticator");
        assert!(
            stored[0].is_resident_credential,
            "a discoverable credential"
        );

        // The tenant now requires MFA; the user has no TOTP.
        rt.block_on(admin(
            &app,
            Method::PATCH,
            &format!("/manage/v1/tenants/{}/settings", tenant.id),
            json!({ "require_mfa": true }),
        ));
        click(&tab, "form[action$='/logout'] button[type=submit]");
        wait_for_text(&tab, "logged out");

        // From the app on another origin: a passkey, no email, no password,
        // no second step, back at the app with a multi-factor ID token. The
        // login page offers the passkey in the email field's autofill
        // (conditional mediation), which the virtual authenticator answers
        // at once, as a person picking it would.
        tab.navigate_to(&rp.start_url("")).expect("the app");
        wait_for_url_prefix(&tab, &format!("{}/callback?code=", rp.origin));
        wait_for_text(&tab, "Signed in to the app");
        assert_eq!(text_of(&tab, "#sub"), sub, "the passkey's owner");
        let signed_in = rp.signed_in();
        let token = &signed_in.last().expect("tokens").id_token;
        let claims = id_token_claims(token);
        let amr: Vec<&str> = claims["amr"]
            .as_array()
            .expect("amr")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(amr.contains(&"mfa"), "amr {amr:?}");
        assert!(amr.contains(&"hwk") || amr.contains(&"swk"), "amr {amr:?}");
        assert!(!amr.contains(&"pwd"), "no password: {amr:?}");
        assert_eq!(claims["acr"], "urn:connectauth:acr:mfa");
        csp.assert_none(&tab);

        // A copy of the authenticator made before the last sign-in: its
        // counter is behind the server's, and it is refused.
        let before = credentials(&tab, &authenticator).remove(0);
        assert!(before.sign_count > 0, "the authenticator counts signatures");
        tab.call_method(WebAuthn::RemoveCredential {
            authenticator_id: authenticator.clone(),
            credential_id: before.credential_id.clone(),
        })
        .expect("remove the credential");
        tab.call_method(WebAuthn::AddCredential {
            authenticator_id: authenticator.clone(),
            credential: WebAuthn::Credential {
                sign_count: 0,
                ..before.clone()
            },
        })
        .expect("add the cloned credential");
        tab.navigate_to(&format!("{issuer}/account"))
            .expect("account");
        wait_for_text(&tab, "Your account");
        click(&tab, "form[action$='/logout'] button[type=submit]");
        wait_for_text(&tab, "logged out");
        tab.navigate_to(&format!("{issuer}/login"))
            .expect("login page");
        wait_for_text(&tab, "may have been copied");
        assert!(
            tab.get_url().ends_with("/passkeys/sign-in"),
            "still not signed in: {}",
            tab.get_url()
        );
        // The refusal page does not ask again by itself; its button does
        // (a dialog, not the autofill), and is refused the same way.
        let refusals = || {
            rt.block_on(events(&app, &tenant))
                .iter()
                .filter(|e| e.2 == "passkey_counter_regression")
                .count()
        };
        assert_eq!(refusals(), 1);
        click_passkey_button(&tab, "#passkey-sign-in");
        let deadline = std::time::Instant::now() + WAIT;
        while refusals() < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert_eq!(refusals(), 2, "the button's attempt is refused too");
        wait_for_text(&tab, "may have been copied");

        // With the password (and now a TOTP demand, since the tenant
        // requires MFA and a password is one factor) the account page is
        // not reachable; the tenant drops the rule, the user deletes the
        // passkey.
        rt.block_on(admin(
            &app,
            Method::PATCH,
            &format!("/manage/v1/tenants/{}/settings", tenant.id),
            json!({ "require_mfa": false }),
        ));
        // The password, on the refusal page (which is the login form).
        fill(&tab, "#email", EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "form[action$='/login'] button[type=submit]");
        wait_for_text(&tab, "Work laptop");
        click(&tab, "#delete-passkey-1");
        wait_for_text(&tab, "No passkey yet");
        csp.assert_none(&tab);
    });
    let events = events(&app, &tenant).await;
    for kind in ["passkey_added", "passkey_removed"] {
        assert!(events.iter().any(|e| e.0 == kind), "{kind} in {events:?}");
    }
    assert!(
        events
            .iter()
            .any(|e| e.0 == "login" && e.1 == "failure" && e.2 == "passkey_counter_regression"),
        "the clone is recorded: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.0 == "login" && e.1 == "success" && e.2 == "passkey"),
        "the passkey sign-in is recorded: {events:?}"
    );
    rp.stop().await;
}

fn id_token_claims(token: &str) -> Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

/// The tenant's audit events: (kind, outcome, detail).
async fn events(
    app: &crate::support::TestApp,
    tenant: &auth_server::domain::tenant::Tenant,
) -> Vec<(String, String, String)> {
    use sqlx::Row;
    sqlx::query("SELECT kind, outcome, detail FROM audit_events WHERE tenant_id = $1")
        .bind(tenant.id.to_string())
        .fetch_all(&app.database.pool)
        .await
        .expect("events")
        .iter()
        .map(|r| {
            (
                r.get::<String, _>("kind"),
                r.get::<String, _>("outcome"),
                r.get::<String, _>("detail"),
            )
        })
        .collect()
}

/// A tenant that requires MFA asks a password-only user for a second factor
/// before the app gets a code; adding a passkey there is that factor, and
/// the login goes on to the app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_added_at_the_mfa_step_lets_the_login_continue() {
    let browser = launch_browser();
    let (_app, _tenant, issuer, rp) = app_with_relying_party(json!({ "require_mfa": true })).await;

    tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&browser);
        virtual_authenticator(&tab);
        tab.navigate_to(&rp.start_url("")).expect("the app");
        wait_for_url_prefix(&tab, &format!("{issuer}/login?return_to="));
        fill(&tab, "#email", EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "form[action$='/login'] button[type=submit]");
        wait_for_url_prefix(&tab, &format!("{issuer}/mfa/enroll?return_to="));
        click_passkey_button(&tab, "#add-passkey");
        wait_for_url_prefix(&tab, &format!("{}/callback?code=", rp.origin));
        wait_for_text(&tab, "Signed in to the app");
        let signed_in = rp.signed_in();
        let claims = id_token_claims(&signed_in.last().expect("tokens").id_token);
        let amr: Vec<&str> = claims["amr"]
            .as_array()
            .expect("amr")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(amr.contains(&"pwd") && amr.contains(&"mfa"), "amr {amr:?}");
        csp.assert_none(&tab);
    });
    rp.stop().await;
}

/// Right after sign-up, the first sign-in offers a passkey; adding it goes
/// on to the app, and the next sign-in needs nothing but the passkey.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_offered_at_the_first_sign_in_goes_on_to_the_app() {
    let browser = launch_browser();
    let (_app, _tenant, issuer, rp) = app_with_relying_party(json!({})).await;

    tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&browser);
        virtual_authenticator(&tab);
        tab.navigate_to(&rp.start_url("")).expect("the app");
        wait_for_url_prefix(&tab, &format!("{issuer}/login?return_to="));
        fill(&tab, "#email", EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "form[action$='/login'] button[type=submit]");
        wait_for_url_prefix(&tab, &format!("{issuer}/passkeys/offer?return_to="));
        click_passkey_button(&tab, "#add-passkey");
        wait_for_url_prefix(&tab, &format!("{}/callback?code=", rp.origin));
        wait_for_text(&tab, "Signed in to the app");
        assert_eq!(rp.signed_in().len(), 1);

        // Logged out, back through the app: the passkey alone (the
        // autofill answers) signs in.
        tab.navigate_to(&format!("{issuer}/account"))
            .expect("account");
        wait_for_text(&tab, "Passkey 1");
        click(&tab, "form[action$='/logout'] button[type=submit]");
        wait_for_text(&tab, "logged out");
        tab.navigate_to(&rp.start_url("")).expect("the app");
        wait_for_url_prefix(&tab, &format!("{}/callback?code=", rp.origin));
        wait_for_text(&tab, "Signed in to the app");
        let signed_in = rp.signed_in();
        let claims = id_token_claims(&signed_in.last().expect("tokens").id_token);
        assert!(
            claims["amr"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("mfa"))),
            "{claims}"
        );
        csp.assert_none(&tab);
    });
    rp.stop().await;
}
