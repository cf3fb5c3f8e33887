//! The account pages on their own (no app): sign up, confirm the address
//! from the mail, log in, reach the account page; French on request.
use std::sync::Arc;

use headless_chrome::Tab;

use crate::support::{
    artifacts_dir, assert_png, assert_stylesheet_loaded, click, create_tenant, fill,
    launch_browser, open, screenshot, spawn_app, verification_link, wait_for_text, CspLog, EMAIL,
    NAME, PASSWORD, SLUG, WAIT,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_confirm_and_login_in_chromium() {
    let browser = launch_browser();
    let app = spawn_app(&[]).await;
    create_tenant(&app, SLUG, "Connect People").await;
    let dir = artifacts_dir();
    let page = |path: &str| format!("{}/t/{SLUG}{path}", app.address);

    // headless_chrome is synchronous: run it on this worker thread while the
    // server and the SMTP catcher go on on the runtime's other threads.
    tokio::task::block_in_place(|| {
        let tab: Arc<Tab> = browser.new_tab().expect("new tab");
        tab.set_default_timeout(WAIT);
        let csp = CspLog::watch(&tab);

        open(&tab, &page("/signup"), "Connect People");
        assert_stylesheet_loaded(&tab);
        screenshot(&tab, &dir.join("signup.png"));
        fill(&tab, "#email", EMAIL);
        fill(&tab, "#display_name", NAME);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Check your email");

        let link = verification_link(&app, EMAIL);
        open(&tab, &link, "Confirm my address");
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "is confirmed");

        open(&tab, &page("/login"), "Log in");
        assert_stylesheet_loaded(&tab);
        screenshot(&tab, &dir.join("login.png"));
        fill(&tab, "#email", EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Your account");
        wait_for_text(&tab, NAME);
        assert!(
            tab.get_url().ends_with(&format!("/t/{SLUG}/account")),
            "after login: {}",
            tab.get_url()
        );
        screenshot(&tab, &dir.join("account.png"));
        csp.assert_none(&tab);

        // A fresh context (no session, no language cookie): a signed-in
        // browser would be sent on to the account page.
        let context = browser.new_context().expect("new browser context");
        let fr = context.new_tab().expect("new tab");
        fr.set_default_timeout(WAIT);
        open(&fr, &page("/login?lang=fr"), "Connexion");
        let lang = fr
            .evaluate("document.documentElement.lang", false)
            .ok()
            .and_then(|v| v.value);
        assert_eq!(lang, Some("fr".into()), "<html lang> of the French page");
    });

    for name in ["signup.png", "login.png", "account.png"] {
        assert_png(&dir.join(name));
    }
}
