//! A startup onboards itself in a real browser: its founder signs up on the
//! platform, creates the tenant with a single-page app whose callback is the
//! relying party on another origin, reads the quickstart, and the tenant's
//! first user signs up and lands back in that app with tokens.
use crate::billing_service::free_port;
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
