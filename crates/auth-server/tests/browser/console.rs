//! An owner in the console, in a real browser: from the dashboard to the
//! tenant's apps, a new app, its settings edited (an advanced one refused,
//! then saved), its secret rotated (the new one shown once) and the app
//! disabled after confirming; then a user of the tenant found by the start
//! of their email and disabled; and the tenant's logo and colour set and
//! seen on its login page; a signing key revoked; Google added as a way to
//! sign in, its button on the login page; the events filtered. And a
//! webhook endpoint added on a loopback receiver, its secret read, a test
//! event sent and seen delivered, signed with that secret, and the endpoint
//! turned off and on again from its page.
use headless_chrome::Tab;
use reqwest::Method;
use serde_json::json;

use crate::billing_service::free_port;
use crate::relying_party::RelyingParty;
use crate::support::{
    artifacts_dir, assert_png, assert_stylesheet_loaded, body_text, click, fill, fresh_tab,
    launch_browser, open, open_at, screenshot, spawn_app_on_port, text_of, verification_link,
    wait_for_document, wait_for_text, PASSWORD, WAIT,
};
use crate::webhook_receiver::Receiver;

const FOUNDER: &str = "founder@console.example";
const USER: &str = "ada@console.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_runs_the_tenant_from_the_console() {
    let browser = launch_browser();
    let app = spawn_app_on_port(&[]).await;
    let url = |path: &str| format!("{}{path}", app.address);
    let dir = artifacts_dir();

    tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&browser);
        open(&tab, &url("/t/platform/signup"), "Create your account");
        fill(&tab, "#email", FOUNDER);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Check your email");
        open(
            &tab,
            &verification_link(&app, FOUNDER),
            "Confirm my address",
        );
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "is confirmed");
        open_at(
            &tab,
            &url("/dashboard/new"),
            &url("/t/platform/login?return_to=%2Fdashboard%2Fnew"),
            "Log in",
        );
        fill(&tab, "#email", FOUNDER);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_document(&tab, &url("/dashboard/new"));
        fill(&tab, "#display_name", "Console Co");
        fill(&tab, "#slug", "console-co");
        click(&tab, "input[name=app][value=m2m]");
        click(&tab, "form[action='/dashboard/new'] button[type=submit]");
        wait_for_text(&tab, "Your tenant is ready");
        let first_secret = text_of(&tab, "#client-secret");

        // From the dashboard to the apps, and a new web app.
        open(&tab, &url("/dashboard"), "Your tenants");
        click(&tab, "a[href='/dashboard/t/console-co/apps']");
        wait_for_document(&tab, &url("/dashboard/t/console-co/apps"));
        wait_for_text(&tab, "Apps of Console Co");
        assert_stylesheet_loaded(&tab);
        click(&tab, "#new-app-link");
        wait_for_text(&tab, "New app");
        fill(&tab, "#name", "Console web");
        click(&tab, "input[name=app][value=web]");
        fill(
            &tab,
            "#callback_url",
            "https://app.console.example/callback",
        );
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Copy the client secret now");
        let web_secret = text_of(&tab, "#client-secret");
        assert_ne!(web_secret, first_secret);
        click(&tab, "#app-link");
        wait_for_text(&tab, "Callback URLs");

        // Its settings: a second callback URL, one per line.
        tab.evaluate(
            "document.querySelector('#redirect_uris').value = \
             'https://app.console.example/callback\\nhttps://staging.console.example/callback'",
            false,
        )
        .expect("fill the callback URLs");
        click(&tab, "form#settings button[type=submit]");
        wait_for_text(&tab, "Saved.");
        let saved = tab
            .evaluate("document.querySelector('#redirect_uris').value", false)
            .ok()
            .and_then(|v| v.value)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        assert_eq!(
            saved, "https://app.console.example/callback\nhttps://staging.console.example/callback",
            "the saved callback URLs"
        );
        screenshot(&tab, &dir.join("console-app.png"));

        // Its advanced settings: an access lifetime out of bounds is refused
        // with the rule; then RS256 ID tokens and ten-minute access tokens.
        click(&tab, "#advanced summary");
        fill(&tab, "#access_token_lifetime_secs", "59");
        click(&tab, "form#settings button[type=submit]");
        wait_for_text(
            &tab,
            "Not saved: access_token_lifetime_secs must be between 60",
        );
        fill(&tab, "#access_token_lifetime_secs", "600");
        tab.evaluate(
            "document.querySelector('#id_token_alg').value = 'RS256'",
            false,
        )
        .expect("choose the ID-token algorithm");
        click(&tab, "form#settings button[type=submit]");
        wait_for_text(&tab, "Saved.");
        let shown = |selector: &str| {
            tab.evaluate(
                &format!("document.querySelector('{selector}').value"),
                false,
            )
            .ok()
            .and_then(|v| v.value)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
        };
        assert_eq!(
            (shown("#id_token_alg"), shown("#access_token_lifetime_secs")),
            ("RS256".to_owned(), "600".to_owned()),
            "the saved advanced settings"
        );
        let rt = tokio::runtime::Handle::current();
        let tenant = rt.block_on(app.admin_json("/manage/v1/tenants/by-slug/console-co"));
        let client = rt.block_on(app.admin_json(&format!(
            "/manage/v1/tenants/{}/clients/{}",
            tenant["id"].as_str().expect("tenant id"),
            text_of(&tab, "#client-id")
        )));
        assert_eq!(
            (
                &client["id_token_alg"],
                &client["access_token_lifetime_secs"]
            ),
            (&"RS256".into(), &600.into()),
            "{client}"
        );

        // A new secret, the old one kept for a day.
        tab.evaluate(
            "document.querySelector('#overlap_secs').value = '86400'",
            false,
        )
        .expect("choose the overlap");
        click(&tab, "form#rotate button[type=submit]");
        wait_for_text(&tab, "Copy the client secret now");
        let rotated = text_of(&tab, "#client-secret");
        assert_ne!(rotated, web_secret, "a new secret");
        click(&tab, "#app-link");
        wait_for_text(&tab, "Disable the app");

        // Disabling needs the box ticked.
        click(&tab, "form#disable button[type=submit]");
        wait_for_text(&tab, "Tick the box to confirm");
        click(&tab, "#confirm");
        click(&tab, "form#disable button[type=submit]");
        wait_for_text(&tab, "The app is disabled");
        assert_eq!(text_of(&tab, "#status"), "disabled");

        // A user of the tenant, found by the start of their email, disabled.
        let user = app.web();
        rt.block_on(app.signup_verified(&user, "console-co", USER, PASSWORD));
        open(&tab, &url("/dashboard"), "Your tenants");
        click(&tab, "a[href='/dashboard/t/console-co/users']");
        wait_for_text(&tab, "Users of Console Co");
        fill(&tab, "#q", "ADA");
        click(&tab, "form[role=search] button[type=submit]");
        wait_for_document(&tab, &url("/dashboard/t/console-co/users?q=ADA"));
        wait_for_text(&tab, USER);
        click(&tab, "#users a");
        wait_for_text(&tab, "Open sessions");
        screenshot(&tab, &dir.join("console-user.png"));
        click(&tab, "#confirm");
        click(&tab, "form#disable button[type=submit]");
        wait_for_text(&tab, "The user is disabled");
        assert_eq!(text_of(&tab, "#status"), "disabled");

        // Branding: a logo served by the app on another origin, a colour,
        // both on the users' login page.
        let port = free_port();
        let rp = rt.block_on(RelyingParty::start(port, &url("/t/console-co"), "unused"));
        open(&tab, &url("/dashboard"), "Your tenants");
        click(&tab, "a[href='/dashboard/t/console-co/branding']");
        wait_for_text(&tab, "Branding of Console Co");
        fill(&tab, "#logo_url", &format!("{}/logo.png", rp.origin));
        fill(&tab, "#brand_color", "#0b6e4f");
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Saved: your hosted pages now use this branding");
        wait_until_true(&tab, LOGO_LOADED.replace("LOGO", "#preview-logo").as_str());
        open(&tab, &url("/t/console-co/login"), "Log in");
        wait_until_true(&tab, LOGO_LOADED.replace("LOGO", "img.logo").as_str());
        assert_eq!(
            tab.evaluate(
                "getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor",
                false,
            )
            .ok()
            .and_then(|v| v.value)
            .and_then(|v| v.as_str().map(str::to_owned))
            .as_deref(),
            Some("rgb(11, 110, 79)"),
            "the brand colour on the login button"
        );
        screenshot(&tab, &dir.join("console-branded-login.png"));

        // Settings: sign-up closed and a stricter lockout; the login page
        // then offers no sign-up and the sign-up page says why.
        open(
            &tab,
            &url("/dashboard/t/console-co/settings"),
            "Settings of Console Co",
        );
        click(&tab, "#signup_open");
        fill(&tab, "#lockout_threshold", "3");
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Saved: the new settings apply");
        assert_eq!(
            tab.evaluate("document.querySelector('#signup_open').checked", false)
                .ok()
                .and_then(|v| v.value)
                .and_then(|v| v.as_bool()),
            Some(false)
        );
        screenshot(&tab, &dir.join("console-settings.png"));
        open(&tab, &url("/t/console-co/login"), "Log in");
        assert!(
            tab.find_element("a[href^='/t/console-co/signup']").is_err(),
            "no sign-up link once sign-up is closed"
        );
        open(&tab, &url("/t/console-co/signup"), "take sign-ups");

        // Signing keys: a rotation this soon is refused with the reason; the
        // next key is revoked after confirming.
        open(
            &tab,
            &url("/dashboard/t/console-co/keys"),
            "Signing keys of Console Co",
        );
        click(&tab, "form#rotate-ES256 button[type=submit]");
        wait_for_text(&tab, "Not yet: the next key was published too recently");
        click(&tab, "#confirm");
        click(&tab, "form#revoke button[type=submit]");
        wait_for_text(&tab, "Revoked: the key is no longer published");

        // Blocked addresses: a range blocked by hand, listed, then lifted.
        open(
            &tab,
            &url("/dashboard/t/console-co/blocks"),
            "Blocked addresses of Console Co",
        );
        fill(&tab, "#network", "203.0.113.0/24");
        fill(&tab, "#reason", "scraping the signup page");
        click(&tab, "form#add-block button[type=submit]");
        wait_for_text(&tab, "Blocked: every server refuses the address");
        assert!(text_of(&tab, "#blocks").contains("203.0.113.0/24"));
        screenshot(&tab, &dir.join("console-blocks.png"));
        click(&tab, "form.lift button[type=submit]");
        wait_for_text(&tab, "Lifted: the address may sign in again.");
        assert!(tab.find_element("#no-blocks").is_ok());

        // Sign-in methods: Google added through the form (the preset chosen
        // by default), shown without its secret, and its button on the
        // login page.
        open(&tab, &url("/dashboard"), "Your tenants");
        click(&tab, "a[href='/dashboard/t/console-co/sign-in-methods']");
        wait_for_text(&tab, "Sign-in methods of Console Co");
        assert_eq!(
            text_of(&tab, "#callback-url"),
            url("/t/console-co/upstream/callback")
        );
        fill(&tab, "#client_id", "123.apps.googleusercontent.com");
        fill(&tab, "#client_secret", "GOCSPX-console-secret");
        click(&tab, "form#add-provider button[type=submit]");
        wait_for_text(&tab, "Added: its button is on your login page");
        assert_eq!(text_of(&tab, "#provider-google .state"), "enabled");
        assert!(!body_text(&tab)
            .unwrap_or_default()
            .contains("GOCSPX-console-secret"));
        screenshot(&tab, &dir.join("console-sign-in-methods.png"));
        open(&tab, &url("/t/console-co/login"), "Continue with Google");

        // The audit trail, filtered to signups: Ada's is there.
        open(
            &tab,
            &url("/dashboard/t/console-co/events"),
            "Events of Console Co",
        );
        fill(&tab, "#kind", "signup");
        click(&tab, "form[role=search] button[type=submit]");
        wait_for_document(
            &tab,
            &url("/dashboard/t/console-co/events?kind=signup&user=&ip=&from=&until="),
        );
        wait_for_text(&tab, "signup (success)");
        assert!(
            !body_text(&tab).unwrap_or_default().contains("login ("),
            "only signups"
        );
        csp.assert_none(&tab);
    });

    assert_png(&dir.join("console-app.png"));
    assert_png(&dir.join("console-user.png"));
    assert_png(&dir.join("console-branded-login.png"));
    assert_png(&dir.join("console-settings.png"));
    assert_png(&dir.join("console-blocks.png"));
    assert_png(&dir.join("console-sign-in-methods.png"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_adds_a_webhook_and_sees_its_test_event_delivered() {
    const OWNER: &str = "founder@hooks.example";
    let browser = launch_browser();
    let receiver = Receiver::start().await;
    let app = spawn_app_on_port(&[("AUTH_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let url = |path: &str| format!("{}{path}", app.address);
    let dir = artifacts_dir();
    let tenant = app.tenant("hooks-co", json!({})).await;
    app.signup_verified(&app.web(), "platform", OWNER, PASSWORD)
        .await;
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/owners", tenant.id),
        )
        .json(&json!({ "email": OWNER }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let hooks = url("/dashboard/t/hooks-co/webhooks");
    let hook_url = format!("{}/hook", receiver.url);

    let secret = tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&browser);
        open_at(
            &tab,
            &hooks,
            &url("/t/platform/login?return_to=%2Fdashboard%2Ft%2Fhooks-co%2Fwebhooks"),
            "Log in",
        );
        fill(&tab, "#email", OWNER);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_document(&tab, &hooks);
        wait_for_text(&tab, "No endpoint yet");

        // Added: the secret shown once, with how to verify it.
        fill(&tab, "#url", &hook_url);
        fill(&tab, "#description", "Audit sink");
        click(&tab, "input[name='user.created']");
        click(&tab, "form#add-webhook button[type=submit]");
        wait_for_text(&tab, "Copy the signing secret now");
        let secret = text_of(&tab, "#webhook-secret");
        assert!(secret.starts_with("whsec_"), "{secret}");
        assert!(body_text(&tab)
            .unwrap_or_default()
            .contains("ConnectAuth-Signature"));
        screenshot(&tab, &dir.join("console-webhook-secret.png"));

        // Its page: a test event, then (reloading) the delivery delivered.
        click(&tab, "#webhook-link");
        wait_for_text(&tab, "No delivery yet");
        let endpoint = tab.get_url();
        click(&tab, "form#test button[type=submit]");
        wait_for_text(&tab, "webhook.test event is on its way");
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            open(&tab, &endpoint, "Deliveries");
            if tab
                .find_element("#deliveries [data-state=delivered]")
                .is_ok()
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "not delivered: {}",
                body_text(&tab).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        assert!(body_text(&tab).unwrap_or_default().contains("webhook.test"));
        screenshot(&tab, &dir.join("console-webhook.png"));

        // Turned off from its page, then on again (one form, its path says which).
        click(&tab, "form#toggle button[type=submit]");
        wait_for_text(&tab, "Turned off: its deliveries wait");
        assert_eq!(text_of(&tab, "#status"), "off");
        click(&tab, "form#toggle button[type=submit]");
        wait_for_text(&tab, "Turned on: its deliveries go out again");
        assert_eq!(text_of(&tab, "#status"), "on");

        open(&tab, &hooks, "Audit sink");
        assert_eq!(text_of(&tab, "#webhooks .state"), "on");
        screenshot(&tab, &dir.join("console-webhooks.png"));
        csp.assert_none(&tab);
        secret
    });

    let got = receiver.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].event_type, "webhook.test");
    assert_eq!(got[0].path, "/hook");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        got[0].signed_by(&secret, now),
        "signed with the secret shown"
    );
    assert!(!got[0].signed_by("whsec_not-the-secret", now));
    assert_png(&dir.join("console-webhook-secret.png"));
    assert_png(&dir.join("console-webhook.png"));
    assert_png(&dir.join("console-webhooks.png"));
}

/// True once the image `LOGO` (a selector) has loaded.
const LOGO_LOADED: &str = "(() => { const i = document.querySelector('LOGO'); \
     return !!i && i.complete && i.naturalWidth > 0; })()";

/// Waits until `expression` evaluates to true in the tab.
fn wait_until_true(tab: &Tab, expression: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let done = tab
            .evaluate(expression, false)
            .ok()
            .and_then(|v| v.value)
            .and_then(|v| v.as_bool());
        if done == Some(true) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not true on {}: {expression}",
            tab.get_url()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
