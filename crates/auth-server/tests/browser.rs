//! The hosted pages in a real browser: Debian's headless Chromium (installed
//! by `scripts/install-browser`) signs up, confirms the address from the
//! mail, logs in and reaches the account page, on the real server over
//! SQLite; and a tenant owner, with the real billing service beside the
//! server, reads their tenant's plan, usage and quota warning on the
//! dashboard and sets the billing email address. Screenshots of the signup,
//! login, account and dashboard billing pages land in
//! `target/test-artifacts/` (under `CARGO_TARGET_DIR` when set).
//!
//! A missing `/usr/bin/chromium` fails the test: it never passes silently.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_server::domain::tenant::{DisplayName, NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::store::tenants::TenantStore;
use auth_server::{Application, AuthConfig, MIGRATIONS};
use billing::domain::plan::PlanId;
use billing::domain::tenant::TenantId;
use billing::service::UsageEvent;
#[path = "support/billing_service.rs"]
mod billing_service;

use billing_service::{free_port, spawn_billing};
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use service_kit::config::Env;
use service_kit::db::{self, Database, Engine};
use service_kit::testing::smtp::TestSmtpServer;
use service_kit::testing::TestDb;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Passed explicitly; headless_chrome's own defaults repeat several of them
/// (`--no-sandbox`, needed as root, also comes from `sandbox(false)`), and a
/// repeated flag is harmless.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
const SLUG: &str = "connect-people";
const EMAIL: &str = "ada@example.com";
const NAME: &str = "Ada Lovelace";
const PASSWORD: &str = "correct horse battery staple 42";
const WAIT: Duration = Duration::from_secs(10);

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

struct TestApp {
    address: String,
    smtp: TestSmtpServer,
    _db: TestDb,
    database: Database,
    admin_token: String,
}

/// `tests/api/helpers.rs::spawn_app_with` on SQLite, trimmed to what this
/// needs: `extra` overrides the test defaults.
async fn spawn_app(extra: &[(&str, &str)]) -> TestApp {
    let db = TestDb::new(Engine::Sqlite).await;
    let admin_token = service_kit::secret::generate().expect("csprng");
    let master_keys = format!("t1:{}", service_kit::secret::generate().expect("csprng"));
    let smtp = TestSmtpServer::start().await.expect("test SMTP server");
    let smtp_url = smtp.url();
    let mut env = Env::from_pairs([
        ("AUTH_BIND", "127.0.0.1:0"),
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_ADMIN_TOKEN", admin_token.as_str()),
        ("AUTH_MASTER_KEYS", master_keys.as_str()),
        ("SMTP_URL", smtp_url.as_str()),
        ("MAIL_FROM", "Test <no-reply@connectauth.test>"),
        ("AUTH_FORM_RATE_PER_MINUTE", "100000"),
        ("AUTH_SIGNUP_RATE_PER_MINUTE", "100000"),
    ]);
    for (k, v) in extra {
        env.set(*k, *v);
    }
    let config = AuthConfig::from_env(&env).expect("test config is valid");
    let database = db::connect(&config.database_url, config.pool)
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let app = Application::build_with_db(config, database.clone()).expect("build");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    wait_for_platform_tenant(&database).await;
    TestApp {
        address,
        smtp,
        _db: db,
        database,
        admin_token,
    }
}

/// The server makes the `platform` tenant in the background at start.
async fn wait_for_platform_tenant(database: &Database) {
    let store = TenantStore::new(database.pool.clone());
    let deadline = Instant::now() + WAIT;
    while store.get_by_slug("platform").await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the platform tenant was not created within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn create_tenant(app: &TestApp, slug: &str, name: &str) -> Tenant {
    TenantStore::new(app.database.pool.clone())
        .create(NewTenant {
            slug: TenantSlug::parse(slug).expect("slug"),
            display_name: DisplayName::parse(name).expect("name"),
            settings: TenantSettings::default(),
        })
        .await
        .expect("tenant created")
}

/// The verification link of the mail sent to `email`, pointed at this server.
fn verification_link(app: &TestApp, email: &str) -> String {
    let mail = tokio::runtime::Handle::current()
        .block_on(app.smtp.wait_for(email, WAIT))
        .unwrap_or_else(|| panic!("no verification mail for {email}"));
    let link = mail
        .links()
        .into_iter()
        .find(|l| l.contains("/verify-email"))
        .unwrap_or_else(|| panic!("no verification link in {:?}", mail.text));
    // The mail points at AUTH_PUBLIC_URL, which may be another port.
    let link = url::Url::parse(&link).expect("link is a URL");
    format!(
        "{}{}?{}",
        app.address,
        link.path(),
        link.query().unwrap_or_default()
    )
}

/// `$CARGO_TARGET_DIR/test-artifacts` (relative to the workspace), else
/// `<workspace>/target/test-artifacts`; created.
fn artifacts_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| workspace.join("target"), |t| workspace.join(t));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

fn launch_browser() -> Browser {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: the browser test needs Debian's chromium; \
         run scripts/install-browser (scripts/test does)"
    );
    let options = LaunchOptions::default_builder()
        .path(Some(CHROMIUM.into()))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1024, 900)))
        // No user_data_dir: headless_chrome makes a fresh temporary one and
        // removes it when the browser is dropped.
        .args(CHROMIUM_FLAGS.iter().map(std::ffi::OsStr::new).collect())
        .idle_browser_timeout(Duration::from_secs(60))
        .build()
        .expect("launch options");
    Browser::new(options).unwrap_or_else(|e| panic!("starting {CHROMIUM} failed: {e:#}"))
}

fn body_text(tab: &Tab) -> BoxResult<String> {
    let value = tab.evaluate("document.body ? document.body.innerText : ''", false)?;
    Ok(value
        .value
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default())
}

/// Polls until the page's text contains `needle`; panics with the page text
/// and URL when it does not within `WAIT`.
fn wait_for_text(tab: &Tab, needle: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = body_text(tab).unwrap_or_default();
        if text.contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "page {} never showed {needle:?}; it shows:\n{text}",
            tab.get_url()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Navigates to `url` and waits until that document has loaded and shows
/// `needle` (the URL check keeps a late-starting navigation from being
/// mistaken for the page before it).
fn open(tab: &Tab, url: &str, needle: &str) {
    open_at(tab, url, url, needle);
}

/// [`open`] for a `url` that redirects: waits for the document at `lands_on`.
fn open_at(tab: &Tab, url: &str, lands_on: &str, needle: &str) {
    tab.navigate_to(url)
        .and_then(|t| t.wait_until_navigated())
        .unwrap_or_else(|e| panic!("navigate to {url}: {e:#}"));
    wait_for_document(tab, lands_on);
    wait_for_text(tab, needle);
}

/// Polls until the tab's document is `url` and has loaded.
fn wait_for_document(tab: &Tab, url: &str) {
    let url_js = serde_json::to_string(url).expect("URL as JSON");
    let loaded = format!("location.href === {url_js} && document.readyState === 'complete'");
    let deadline = Instant::now() + WAIT;
    while tab
        .evaluate(&loaded, false)
        .ok()
        .and_then(|v| v.value)
        .and_then(|v| v.as_bool())
        != Some(true)
    {
        assert!(
            Instant::now() < deadline,
            "{url} did not load; the tab is at {}",
            tab.get_url()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `innerText` of the first element matching `selector`; panics when
/// there is none.
fn text_of(tab: &Tab, selector: &str) -> String {
    let selector_js = serde_json::to_string(selector).expect("selector as JSON");
    tab.evaluate(
        &format!("(() => {{ const e = document.querySelector({selector_js}); return e ? e.innerText : null; }})()"),
        false,
    )
    .ok()
    .and_then(|v| v.value)
    .and_then(|v| v.as_str().map(str::to_owned))
    .unwrap_or_else(|| panic!("no {selector} on {}", tab.get_url()))
}

/// Empties and focuses the field and inserts `text` as one input event, as a
/// paste does (headless_chrome spends about 100 ms on every DevTools call, so
/// typing key by key or clicking into each field would cost seconds).
fn fill(tab: &Tab, selector: &str, text: &str) {
    let selector_js = serde_json::to_string(selector).expect("selector as JSON");
    let focused = tab
        .evaluate(
            &format!(
                "(() => {{ const e = document.querySelector({selector_js}); \
                 if (!e) return false; e.value = ''; e.focus(); \
                 return document.activeElement === e; }})()"
            ),
            false,
        )
        .unwrap_or_else(|e| panic!("focus {selector} on {}: {e:#}", tab.get_url()))
        .value;
    assert_eq!(
        focused,
        Some(true.into()),
        "no focusable {selector} on {}",
        tab.get_url()
    );
    tab.send_character(text)
        .unwrap_or_else(|e| panic!("fill {selector} on {}: {e:#}", tab.get_url()));
}

fn click(tab: &Tab, selector: &str) {
    tab.wait_for_element(selector)
        .and_then(|e| e.click().map(|_| ()))
        .unwrap_or_else(|e| panic!("click {selector} on {}: {e:#}", tab.get_url()));
}

/// The shared stylesheet was fetched and parsed (a blocked or failed
/// stylesheet has no rules).
fn assert_stylesheet_loaded(tab: &Tab) {
    let js = "[...document.styleSheets].filter(s => s.href && s.href.endsWith('/static/connectauth.css') && s.cssRules.length > 0).length";
    let loaded = tab
        .evaluate(js, false)
        .ok()
        .and_then(|v| v.value)
        .and_then(|v| v.as_u64());
    assert_eq!(
        loaded,
        Some(1),
        "connectauth.css did not load on {}",
        tab.get_url()
    );
}

fn screenshot(tab: &Tab, path: &Path) {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap_or_else(|e| panic!("screenshot of {}: {e:#}", tab.get_url()));
    std::fs::write(path, &png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    assert!(
        bytes.len() > 5 * 1024,
        "{} is only {} bytes: a blank page?",
        path.display(),
        bytes.len()
    );
}

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

const OWNER_EMAIL: &str = "founder@acme.example";
const OWNER_NAME: &str = "Grace Hopper";
const CONTACT: &str = "billing@acme.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_dashboard_in_chromium() {
    let browser = launch_browser();
    // Billing trusts the auth server's platform issuer, so the auth server's
    // port is chosen first and billing started before it.
    let port = free_port();
    let auth_url = format!("http://127.0.0.1:{port}");
    let (billing_url, billing, _billing_db, _billing_mail) =
        spawn_billing(Engine::Sqlite, &auth_url).await;
    let bind = format!("127.0.0.1:{port}");
    let app = spawn_app(&[
        ("AUTH_BIND", &bind),
        ("AUTH_PUBLIC_URL", &auth_url),
        ("AUTH_BILLING_URL", &billing_url),
        ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
    ])
    .await;
    let acme = create_tenant(&app, "acme", "Acme Corp").await;
    let tenant = TenantId::parse(&acme.id.to_string()).expect("tenant id");
    // A contract for ten users, nine of them seen this month: 90 %.
    billing
        .set_plan(tenant, PlanId::Enterprise, Some(10))
        .await
        .expect("plan");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let events: Vec<UsageEvent> = (0..9)
        .map(|i| UsageEvent {
            tenant_id: acme.id.to_string(),
            user_id: format!("user-{i}"),
            at: now,
        })
        .collect();
    billing.record_usage(&events).await.expect("usage recorded");
    let dir = artifacts_dir();
    let url = |path: &str| format!("{}{path}", app.address);
    let billing_page = url("/dashboard/t/acme/billing");

    tokio::task::block_in_place(|| {
        let rt = tokio::runtime::Handle::current();
        let tab: Arc<Tab> = browser.new_tab().expect("new tab");
        tab.set_default_timeout(WAIT);

        // The owner-to-be signs up as a user of the platform tenant.
        open(&tab, &url("/t/platform/signup"), "Create your account");
        fill(&tab, "#email", OWNER_EMAIL);
        fill(&tab, "#display_name", OWNER_NAME);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Check your email");
        open(
            &tab,
            &verification_link(&app, OWNER_EMAIL),
            "Confirm my address",
        );
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "is confirmed");

        // An operator makes them an owner of acme.
        let added = rt
            .block_on(
                reqwest::Client::new()
                    .post(url(&format!("/manage/v1/tenants/{}/owners", acme.id)))
                    .bearer_auth(&app.admin_token)
                    .json(&serde_json::json!({ "email": OWNER_EMAIL }))
                    .send(),
            )
            .expect("owner request sent");
        assert_eq!(added.status(), 201, "adding the owner");

        // The dashboard sends a visitor to the platform login, which returns.
        open_at(
            &tab,
            &url("/dashboard"),
            &url("/t/platform/login?return_to=%2Fdashboard"),
            "Log in",
        );
        fill(&tab, "#email", OWNER_EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_document(&tab, &url("/dashboard"));
        wait_for_text(&tab, "Your tenants");
        wait_for_text(&tab, "Acme Corp");
        assert_stylesheet_loaded(&tab);

        click(&tab, "a[href='/dashboard/t/acme/billing']");
        wait_for_document(&tab, &billing_page);
        wait_for_text(&tab, "Billing emails go to: nobody yet");
        assert_stylesheet_loaded(&tab);
        assert_eq!(text_of(&tab, "#plan"), "Enterprise");
        assert_eq!(text_of(&tab, "#usage"), "9 of 10 (90 %)");
        let warning = text_of(&tab, "#quota-warning.warning-approaching");
        assert!(
            warning
                .starts_with("Acme Corp has used 90 % of its 10 monthly active users this month."),
            "the quota warning: {warning:?}"
        );
        let form = "form[action='/dashboard/t/acme/billing/contact']";
        tab.wait_for_element(&format!("{form} #owner_email"))
            .unwrap_or_else(|e| panic!("no billing contact form: {e:#}"));
        screenshot(&tab, &dir.join("dashboard-billing.png"));

        // The owner names who gets the billing emails.
        fill(&tab, &format!("{form} #owner_email"), CONTACT);
        click(&tab, &format!("{form} button[type=submit]"));
        wait_for_document(&tab, &format!("{billing_page}?contact=saved"));
        wait_for_text(&tab, "Saved: billing emails now go to");
        assert_eq!(
            text_of(&tab, "#billing-contact"),
            format!("Billing emails go to: {CONTACT}")
        );
        let stored = rt
            .block_on(billing.owner_email(tenant))
            .expect("billing account");
        assert_eq!(stored.as_deref(), Some(CONTACT), "billing's owner email");
    });

    assert_png(&dir.join("dashboard-billing.png"));
}
