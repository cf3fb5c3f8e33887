//! A startup onboards itself in a real browser: its founder signs up on the
//! platform, creates the tenant with a single-page app whose callback is the
//! relying party on another origin, reads the quickstart, and the tenant's
//! first user signs up and lands back in that app with tokens. A newcomer
//! who picks a backend job gets a token by pasting the quickstart's `curl`.
use crate::billing_service::free_port;
use std::time::Instant;

use headless_chrome::Tab;

use crate::relying_party::RelyingParty;
use crate::support::{
    artifacts_dir, assert_png, assert_stylesheet_loaded, click, fill, fresh_tab, launch_browser,
    open, open_at, screenshot, spawn_app_on_port, text_of, verification_link, wait_for_document,
    wait_for_text, wait_for_url_prefix, PASSWORD,
};

const FOUNDER: &str = "founder@startup.example";
const FIRST_USER: &str = "first.user@startup.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_founder_creates_a_tenant_and_its_first_user_signs_in_to_the_app() {
    let browser = launch_browser();
    let app = spawn_app_on_port(&[]).await;
    let port = free_port();
    let url = |path: &str| format!("{}{path}", app.address);
    let issuer = url("/t/startup");
    let dir = artifacts_dir();

    tokio::task::block_in_place(|| {
        let rt = tokio::runtime::Handle::current();
        let (tab, csp) = fresh_tab(&browser);

        // The founder signs up as a user of the platform tenant.
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

        // The dashboard, through the platform login, offers to create a tenant.
        open_at(
            &tab,
            &url("/dashboard"),
            &url("/t/platform/login?return_to=%2Fdashboard"),
            "Log in",
        );
        fill(&tab, "#email", FOUNDER);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_document(&tab, &url("/dashboard"));
        wait_for_text(&tab, "You do not own any tenant yet");
        click(&tab, "#new-tenant-link");
        wait_for_document(&tab, &url("/dashboard/new"));
        wait_for_text(&tab, "Create your tenant");
        assert_stylesheet_loaded(&tab);

        fill(&tab, "#display_name", "Startup");
        fill(&tab, "#slug", "startup");
        click(&tab, "input[name=app][value=spa]");
        fill(&tab, "#callback_url", &RelyingParty::redirect_uri(port));
        click(&tab, "form[action='/dashboard/new'] button[type=submit]");
        wait_for_text(&tab, "Your tenant is ready");
        assert_eq!(text_of(&tab, "#issuer"), issuer);
        let client_id = text_of(&tab, "#client-id");
        assert!(client_id.starts_with("cli_"), "{client_id}");
        assert!(
            text_of(&tab, "#snippet-js").contains(&format!("client_id: '{client_id}'")),
            "the oidc-client-ts snippet names the app"
        );
        screenshot(&tab, &dir.join("onboarding-quickstart.png"));
        csp.assert_none(&tab);

        // The app on another origin signs in the tenant's first user.
        let rp = rt.block_on(RelyingParty::start(port, &issuer, &client_id));
        let (tab, csp) = fresh_tab(&browser);
        tab.navigate_to(&rp.start_url(""))
            .expect("navigate to the app");
        wait_for_url_prefix(&tab, &format!("{issuer}/login?return_to="));
        click(&tab, "a[href*='/signup?return_to=']");
        wait_for_text(&tab, "Create your account");
        fill(&tab, "#email", FIRST_USER);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Check your email");
        open(
            &tab,
            &verification_link(&app, FIRST_USER),
            "Confirm my address",
        );
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Log in to continue");
        fill(&tab, "#password", PASSWORD);
        click(&tab, "form[action$='/login'] button[type=submit]");
        wait_for_text(&tab, "Single-page app");
        click(&tab, "button[value=allow]");
        wait_for_url_prefix(&tab, &format!("{}/callback?code=", rp.origin));
        wait_for_text(&tab, "Signed in to the app");
        let signed_in = rp.signed_in();
        assert!(
            signed_in.last().is_some_and(|s| !s.access_token.is_empty()),
            "the app got tokens"
        );
        csp.assert_none(&tab);
    });

    assert_png(&dir.join("onboarding-quickstart.png"));
}

/// What a person does on the way, counted as the browser does it, for
/// `scripts/bench-onboarding`'s estimate of a newcomer's time (the test
/// itself asserts the journey, never a duration).
#[derive(Default, serde::Serialize)]
struct Effort {
    /// Characters typed into fields.
    typed: usize,
    /// Fields filled.
    fields: usize,
    /// Buttons, links and choices clicked.
    clicks: usize,
    /// Pages the person arrives on and reads before acting.
    pages: usize,
    /// Mails opened to follow a link.
    mails: usize,
    /// Commands pasted into a terminal.
    commands: usize,
    /// Seconds the browser, the server and curl took, step by step.
    steps: Vec<(String, f64)>,
}

impl Effort {
    fn fill(&mut self, tab: &Tab, selector: &str, text: &str) {
        fill(tab, selector, text);
        self.fields += 1;
        self.typed += text.chars().count();
    }

    fn click(&mut self, tab: &Tab, selector: &str) {
        click(tab, selector);
        self.clicks += 1;
    }

    fn step(&mut self, name: &str, started: &mut Instant) {
        self.steps
            .push((name.to_owned(), started.elapsed().as_secs_f64()));
        *started = Instant::now();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_gets_a_token_with_the_quickstart_curl() {
    let browser = launch_browser();
    let app = spawn_app_on_port(&[]).await;
    let url = |path: &str| format!("{}{path}", app.address);
    let mut effort = Effort::default();

    let answer = tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&browser);
        let mut started = Instant::now();

        open(&tab, &url("/t/platform/signup"), "Create your account");
        effort.pages += 1;
        effort.fill(&tab, "#email", FOUNDER);
        effort.fill(&tab, "#password", PASSWORD);
        effort.click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Check your email");
        effort.pages += 1;
        effort.step("sign up", &mut started);

        effort.mails += 1;
        open(
            &tab,
            &verification_link(&app, FOUNDER),
            "Confirm my address",
        );
        effort.pages += 1;
        effort.click(&tab, "button[type=submit]");
        wait_for_text(&tab, "is confirmed");
        effort.pages += 1;
        effort.step("verify the address", &mut started);

        open_at(
            &tab,
            &url("/dashboard"),
            &url("/t/platform/login?return_to=%2Fdashboard"),
            "Log in",
        );
        effort.pages += 1;
        effort.fill(&tab, "#email", FOUNDER);
        effort.fill(&tab, "#password", PASSWORD);
        effort.click(&tab, "button[type=submit]");
        wait_for_text(&tab, "You do not own any tenant yet");
        effort.pages += 1;
        effort.click(&tab, "#new-tenant-link");
        wait_for_text(&tab, "Create your tenant");
        effort.pages += 1;
        effort.step("log in to the console", &mut started);

        effort.fill(&tab, "#display_name", "Startup");
        effort.fill(&tab, "#slug", "startup");
        effort.click(&tab, "input[name=app][value=m2m]");
        effort.click(&tab, "form[action='/dashboard/new'] button[type=submit]");
        wait_for_text(&tab, "Your tenant is ready");
        effort.pages += 1;
        let client_id = text_of(&tab, "#client-id");
        assert!(client_id.starts_with("cli_"), "{client_id}");
        let command = text_of(&tab, "#snippet-curl");
        assert!(command.starts_with("curl "), "{command}");
        csp.assert_none(&tab);
        effort.step("create the tenant and its app", &mut started);

        // The newcomer pastes the snippet into a terminal, as shown.
        effort.commands += 1;
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .output()
            .expect("run the quickstart's curl");
        assert!(output.status.success(), "curl: {output:?}");
        effort.step("paste the curl", &mut started);
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("a JSON answer")
    });

    let token = answer["access_token"].as_str().unwrap_or_default();
    assert_eq!(token.split('.').count(), 3, "a JWT access token: {answer}");
    assert_eq!(answer["token_type"], "Bearer");
    // The token is the new tenant's.
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p).ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .expect("claims");
    assert_eq!(claims["iss"], url("/t/startup"));

    let report = artifacts_dir().join("onboarding-effort.json");
    std::fs::write(
        &report,
        serde_json::to_vec_pretty(&effort).expect("effort as JSON"),
    )
    .expect("write the effort report");
}
