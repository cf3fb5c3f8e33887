//! One test per end-user journey: it starts at the relying party on another
//! origin and ends back there with tokens (or at its logout page), through
//! the hosted pages, with no CSP violation on the way.
use std::sync::Arc;

use auth_server::domain::tenant::Tenant;
use headless_chrome::{Browser, Tab};
use serde_json::{json, Value};

use crate::relying_party::RelyingParty;
use crate::support::{
    body_text, click, create_tenant_with, fill, fresh_tab, launch_browser, mail_link, open,
    spawn_app_on_port, text_of, user_id, verification_code, verification_link, wait_for_text,
    wait_for_url_prefix, CspLog, TestApp, EMAIL, PASSWORD, SLUG,
};

struct Journey {
    app: TestApp,
    tenant: Tenant,
    rp: RelyingParty,
    browser: Browser,
    issuer: String,
    client_id: String,
}

/// The server, a tenant with `settings`, a public client of the relying
/// party (first-party: no consent page) and the relying party itself.
async fn journey(settings: Value, first_party: bool) -> Journey {
    journey_with(&[], settings, first_party).await
}

/// [`journey`] with `extra` settings of the server.
async fn journey_with(extra: &[(&str, &str)], settings: Value, first_party: bool) -> Journey {
    let browser = launch_browser();
    let app = spawn_app_on_port(extra).await;
    let tenant = create_tenant_with(&app, SLUG, "Connect People", settings).await;
    let port = crate::billing_service::free_port();
    let created: Value = reqwest::Client::new()
        .post(format!(
            "{}/manage/v1/tenants/{}/clients",
            app.address, tenant.id
        ))
        .bearer_auth(&app.admin_token)
        .json(&json!({
            "name": "Connect People web",
            "kind": "public",
            "redirect_uris": [RelyingParty::redirect_uri(port)],
            "post_logout_redirect_uris": [RelyingParty::post_logout_uri(port)],
            "grant_types": ["authorization_code", "refresh_token"],
            "scopes": ["openid", "profile", "email"],
            "first_party": first_party,
        }))
        .send()
        .await
        .expect("client request")
        .json()
        .await
        .expect("client JSON");
    let client_id = created["client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no client_id in {created}"))
        .to_owned();
    let issuer = format!("{}/t/{SLUG}", app.address);
    let rp = RelyingParty::start(port, &issuer, &client_id).await;
    Journey {
        app,
        tenant,
        rp,
        browser,
        issuer,
        client_id,
    }
}

impl Journey {
    /// A fresh browser context at the app's `/start`, which sends it on to
    /// the hosted login page.
    fn start(&self, extra: &str) -> (Arc<Tab>, CspLog) {
        let (tab, csp) = fresh_tab(&self.browser);
        tab.navigate_to(&self.rp.start_url(extra))
            .expect("navigate to the app");
        wait_for_url_prefix(&tab, &format!("{}/login?return_to=", self.issuer));
        (tab, csp)
    }

    /// Waits until the browser is back at the app, signed in as `email`.
    fn assert_back_at_app(&self, tab: &Tab, email: &str) {
        wait_for_url_prefix(tab, &format!("{}/callback?code=", self.rp.origin));
        wait_for_text(tab, "Signed in to the app");
        let rt = tokio::runtime::Handle::current();
        let expected = rt.block_on(user_id(&self.app, &self.tenant, email));
        assert_eq!(text_of(tab, "#sub"), expected, "the ID token's sub");
        let signed_in = self.rp.signed_in();
        let last = signed_in.last().expect("the app got tokens");
        assert!(!last.access_token.is_empty(), "an access token");
    }

    fn log_in(&self, tab: &Tab, email: &str, password: &str) {
        fill(tab, "#email", email);
        fill(tab, "#password", password);
        click(tab, "form[action$='/login'] button[type=submit]");
    }

    /// From the login page of the request: "Create an account", then the
    /// form, up to "Check your email".
    fn sign_up(&self, tab: &Tab) {
        click(tab, "a[href*='/signup?return_to=']");
        wait_for_url_prefix(tab, &format!("{}/signup?return_to=", self.issuer));
        wait_for_text(tab, "Create your account");
        fill(tab, "#email", EMAIL);
        fill(tab, "#password", PASSWORD);
        click(tab, "button[type=submit]");
        wait_for_text(tab, "Check your email");
    }

    /// Back at the login page once the address is confirmed: the password,
    /// the consent page, and the app.
    fn log_in_consent_and_reach_the_app(&self, tab: &Tab) {
        wait_for_text(tab, "Log in to continue");
        fill(tab, "#password", PASSWORD);
        click(tab, "form[action$='/login'] button[type=submit]");
        wait_for_text(tab, "Connect People web");
        click(tab, "button[value=allow]");
        self.assert_back_at_app(tab, EMAIL);
    }
}

/// On the enrolment page: the password, then the code of the step
/// `offset` away, up to the recovery codes. Returns the TOTP key.
fn enrol_totp(tab: &Tab, offset: i64) -> String {
    fill(tab, "#password", PASSWORD);
    click(tab, "button[type=submit]");
    wait_for_text(tab, "Scan this QR code");
    let key = text_of(tab, "code.secret");
    fill(tab, "#code", &crate::web::totp_code(&key, offset));
    click(tab, "button[type=submit]");
    wait_for_text(tab, "recovery codes");
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_verify_by_link_consent_and_back_at_the_app() {
    let j = journey(json!({}), false).await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = j.start("");
        j.sign_up(&tab);
        // The link, opened in the same browser, continues the journey.
        open(
            &tab,
            &verification_link(&j.app, EMAIL),
            "Confirm my address",
        );
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Log in to continue");
        assert_eq!(
            tab.evaluate("document.querySelector('#email').value", false)
                .ok()
                .and_then(|v| v.value),
            Some(EMAIL.into()),
            "the address is filled in"
        );
        j.log_in_consent_and_reach_the_app(&tab);
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_verify_by_typed_code_and_back_at_the_app() {
    let j = journey(json!({}), false).await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = j.start("");
        j.sign_up(&tab);
        fill(&tab, "#code", "000000");
        click(
            &tab,
            "form[action$='/verify-email/code'] button[type=submit]",
        );
        wait_for_text(&tab, "This code is not right or no longer valid");
        fill(&tab, "#code", &verification_code(&j.app, EMAIL));
        click(
            &tab,
            "form[action$='/verify-email/code'] button[type=submit]",
        );
        j.log_in_consent_and_reach_the_app(&tab);
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_returns_to_the_app() {
    let j = journey(json!({}), true).await;
    j.app
        .signup_verified(&j.app.web(), SLUG, EMAIL, PASSWORD)
        .await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = j.start("");
        j.log_in(&tab, EMAIL, PASSWORD);
        j.assert_back_at_app(&tab, EMAIL);
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_totp_returns_to_the_app() {
    let j = journey(json!({}), true).await;
    j.app
        .signup_verified(&j.app.web(), SLUG, EMAIL, PASSWORD)
        .await;
    tokio::task::block_in_place(|| {
        // The user turns on two-step verification from their account.
        let (tab, csp) = fresh_tab(&j.browser);
        open(&tab, &format!("{}/login", j.issuer), "Log in");
        j.log_in(&tab, EMAIL, PASSWORD);
        wait_for_text(&tab, "Your account");
        open(
            &tab,
            &format!("{}/mfa/enroll", j.issuer),
            "current password",
        );
        // The code of the step before: the login's code is then a new step.
        let key = enrol_totp(&tab, -1);
        csp.assert_none(&tab);

        let (tab, csp) = j.start("");
        j.log_in(&tab, EMAIL, PASSWORD);
        wait_for_url_prefix(&tab, &format!("{}/mfa?return_to=", j.issuer));
        fill(&tab, "#code", &crate::web::totp_code(&key, 0));
        click(&tab, "button[type=submit]");
        j.assert_back_at_app(&tab, EMAIL);
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacked_account_confirms_by_mailed_code_and_returns_to_the_app() {
    // The sentinel on, behind a proxy at 127.0.0.1: the attacker's requests
    // name their address; the browser's (no header) are the loopback's.
    let j = journey_with(
        &[
            ("AUTH_SENTINEL", "on"),
            ("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
        ],
        json!({ "lockout_threshold": 30 }),
        true,
    )
    .await;
    j.app
        .signup_verified(&j.app.web(), SLUG, EMAIL, PASSWORD)
        .await;
    let mut attacker = j.app.web();
    attacker.forwarded_for = Some("203.0.113.20".into());
    for _ in 0..10 {
        j.app.login(&attacker, SLUG, EMAIL, "wrong guess!").await;
    }
    let audit = auth_server::store::audit::AuditStore::new(j.app.database.pool.clone());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !audit
        .recent(j.tenant.id, 200)
        .await
        .expect("audit")
        .iter()
        .any(|e| e.kind == "sentinel" && e.outcome == "stepped_up")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the account was not stepped up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::task::block_in_place(|| {
        let (tab, csp) = j.start("");
        j.log_in(&tab, EMAIL, PASSWORD);
        wait_for_url_prefix(&tab, &format!("{}/step-up?return_to=", j.issuer));
        wait_for_text(&tab, "Confirm it is you");
        let code = verification_code(&j.app, EMAIL);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        fill(&tab, "#code", wrong);
        click(&tab, "form[action$='/step-up'] button[type=submit]");
        wait_for_text(&tab, "This code is not right");
        fill(&tab, "#code", &code);
        click(&tab, "form[action$='/step-up'] button[type=submit]");
        j.assert_back_at_app(&tab, EMAIL);
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_mfa_enrolment_returns_to_the_app() {
    let j = journey(json!({ "require_mfa": true }), true).await;
    j.app
        .signup_verified(&j.app.web(), SLUG, EMAIL, PASSWORD)
        .await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = j.start("");
        j.log_in(&tab, EMAIL, PASSWORD);
        wait_for_url_prefix(&tab, &format!("{}/mfa/enroll?return_to=", j.issuer));
        enrol_totp(&tab, 0);
        click(&tab, "#continue");
        j.assert_back_at_app(&tab, EMAIL);
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_from_the_login_page_returns_to_the_app() {
    let j = journey(json!({}), true).await;
    j.app
        .signup_verified(&j.app.web(), SLUG, EMAIL, PASSWORD)
        .await;
    let new_password = "a brand new passphrase 77";
    tokio::task::block_in_place(|| {
        let (tab, csp) = j.start("");
        click(&tab, "a[href*='/forgot-password?return_to=']");
        wait_for_url_prefix(&tab, &format!("{}/forgot-password?return_to=", j.issuer));
        fill(&tab, "#email", EMAIL);
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "If an account uses this address");
        open(
            &tab,
            &mail_link(&j.app, EMAIL, "/reset-password"),
            "new password",
        );
        fill(&tab, "#password", new_password);
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Log in with the new one to continue");
        j.log_in(&tab, EMAIL, new_password);
        j.assert_back_at_app(&tab, EMAIL);
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_language_mid_journey_returns_to_the_app() {
    let j = journey(json!({}), true).await;
    j.app
        .signup_verified(&j.app.web(), SLUG, EMAIL, PASSWORD)
        .await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = j.start("");
        click(&tab, "nav.lang a[hreflang=fr]");
        wait_for_text(&tab, "Connexion");
        wait_for_url_prefix(&tab, &format!("{}/login?return_to=", j.issuer));
        let lang = tab
            .evaluate("document.documentElement.lang", false)
            .ok()
            .and_then(|v| v.value);
        assert_eq!(lang, Some("fr".into()), "<html lang> after the switch");
        j.log_in(&tab, EMAIL, PASSWORD);
        j.assert_back_at_app(&tab, EMAIL);
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_returns_to_the_post_logout_redirect_uri() {
    let j = journey(json!({}), true).await;
    j.app
        .signup_verified(&j.app.web(), SLUG, EMAIL, PASSWORD)
        .await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = j.start("");
        j.log_in(&tab, EMAIL, PASSWORD);
        j.assert_back_at_app(&tab, EMAIL);

        // The app sends the user to log out; the user confirms.
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &j.client_id)
            .append_pair(
                "post_logout_redirect_uri",
                &format!("{}/logged-out", j.rp.origin),
            )
            .append_pair("state", "bye-1");
        open(
            &tab,
            &format!("{}/end_session?{}", j.issuer, q.finish()),
            "Do you want to log out?",
        );
        click(&tab, "#confirm-logout");
        wait_for_url_prefix(&tab, &format!("{}/logged-out?state=bye-1", j.rp.origin));
        assert_eq!(text_of(&tab, "#state"), "bye-1");
        csp.assert_none(&tab);

        // The session is over: the app's next login asks for the password.
        tab.navigate_to(&j.rp.start_url("")).expect("navigate");
        wait_for_url_prefix(&tab, &format!("{}/login?return_to=", j.issuer));
        j.log_in(&tab, EMAIL, PASSWORD);
        j.assert_back_at_app(&tab, EMAIL);

        // With the ID token of this user as the hint, no confirmation.
        let id_token = j.rp.signed_in().last().expect("tokens").id_token.clone();
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("id_token_hint", &id_token)
            .append_pair(
                "post_logout_redirect_uri",
                &format!("{}/logged-out", j.rp.origin),
            )
            .append_pair("state", "bye-2");
        tab.navigate_to(&format!("{}/end_session?{}", j.issuer, q.finish()))
            .expect("navigate");
        wait_for_url_prefix(&tab, &format!("{}/logged-out?state=bye-2", j.rp.origin));
        csp.assert_none(&tab);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_logo_loads_on_the_login_page() {
    let j = journey(json!({}), true).await;
    // The logo lives on another origin (the app's).
    set_logo(&j, &format!("{}/logo.png", j.rp.origin)).await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&j.browser);
        open(&tab, &format!("{}/login", j.issuer), "Log in");
        let loaded = |tab: &Tab| {
            tab.evaluate(
                "(() => { const i = document.querySelector('img.logo'); \
                 return !!i && i.complete && i.naturalWidth > 0; })()",
                false,
            )
            .ok()
            .and_then(|v| v.value)
            .and_then(|v| v.as_bool())
                == Some(true)
        };
        let deadline = std::time::Instant::now() + crate::support::WAIT;
        while !loaded(&tab) {
            assert!(
                std::time::Instant::now() < deadline,
                "the logo did not load: {}",
                body_text(&tab).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        csp.assert_none(&tab);
    });
}

async fn set_logo(j: &Journey, logo: &str) {
    let answer = reqwest::Client::new()
        .patch(format!(
            "{}/manage/v1/tenants/{}",
            j.app.address, j.tenant.id
        ))
        .bearer_auth(&j.app.admin_token)
        .json(&json!({ "settings": { "logo_url": logo } }))
        .send()
        .await
        .expect("patch sent");
    assert_eq!(
        answer.status(),
        200,
        "{}",
        answer.text().await.unwrap_or_default()
    );
}

/// The CSP log is not blind: a page whose own policy forbids its image
/// shows up in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csp_log_sees_a_violation() {
    let j = journey(json!({}), true).await;
    tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&j.browser);
        open(&tab, &format!("{}/csp-probe", j.rp.origin), "probe");
        let deadline = std::time::Instant::now() + crate::support::WAIT;
        while csp.violations().is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the probe's CSP violation was not seen"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    });
}
