//! What every browser test needs: the real auth server on SQLite with a
//! test SMTP catcher, Debian's headless Chromium (installed by
//! `scripts/install-browser`; a missing binary fails the test, it never
//! passes silently), pages that record every Content-Security-Policy
//! violation the browser reports, and small page helpers.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_server::domain::tenant::{DisplayName, NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::store::tenants::TenantStore;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use service_kit::db::Engine;

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Passed explicitly; headless_chrome's own defaults repeat several of them
/// (`--no-sandbox`, needed as root, also comes from `sandbox(false)`), and a
/// repeated flag is harmless.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
pub const SLUG: &str = "connect-people";
pub const EMAIL: &str = "ada@example.com";
pub const NAME: &str = "Ada Lovelace";
pub const PASSWORD: &str = "correct horse battery staple 42";
pub const WAIT: Duration = Duration::from_secs(10);

pub type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

pub use crate::helpers::TestApp;

/// The server on SQLite (`tests/api/helpers.rs`), `extra` over the test
/// defaults.
pub async fn spawn_app(extra: &[(&str, &str)]) -> TestApp {
    crate::helpers::spawn_app_with(Engine::Sqlite, extra).await
}

/// The server on a port known before it starts, so its issuer URL (in
/// `iss`, the ID token and the mails) is the address the browser uses.
pub async fn spawn_app_on_port(extra: &[(&str, &str)]) -> TestApp {
    crate::helpers::spawn_app_on_known_port_with(Engine::Sqlite, extra).await
}

/// The server bound on 127.0.0.1 whose public URL is
/// `http://localhost:PORT` (returned): passkeys need a domain name as the
/// WebAuthn relying-party id, and browsers refuse an IP address there.
pub async fn spawn_app_on_localhost(extra: &[(&str, &str)]) -> (TestApp, String) {
    let port = crate::billing_service::free_port();
    let bind = format!("127.0.0.1:{port}");
    let url = format!("http://localhost:{port}");
    let mut env = vec![
        ("AUTH_BIND", bind.as_str()),
        ("AUTH_PUBLIC_URL", url.as_str()),
    ];
    env.extend_from_slice(extra);
    let app = crate::helpers::spawn_app_with(service_kit::db::Engine::Sqlite, &env).await;
    (app, url)
}

pub async fn create_tenant(app: &TestApp, slug: &str, name: &str) -> Tenant {
    create_tenant_with(app, slug, name, serde_json::json!({})).await
}

pub async fn create_tenant_with(
    app: &TestApp,
    slug: &str,
    name: &str,
    settings: serde_json::Value,
) -> Tenant {
    TenantStore::new(app.database.pool.clone())
        .create(NewTenant {
            slug: TenantSlug::parse(slug).expect("slug"),
            display_name: DisplayName::parse(name).expect("name"),
            settings: TenantSettings::parse(settings).expect("settings"),
        })
        .await
        .expect("tenant created")
}

/// The verification link of the mail sent to `email`, pointed at this server.
pub fn verification_link(app: &TestApp, email: &str) -> String {
    mail_link(app, email, "/verify-email")
}

/// The six-digit code of the verification mail sent to `email`.
pub fn verification_code(app: &TestApp, email: &str) -> String {
    let mail = tokio::runtime::Handle::current()
        .block_on(app.smtp.wait_for(email, WAIT))
        .unwrap_or_else(|| panic!("no verification mail for {email}"));
    let text = mail.text.clone().unwrap_or_default();
    text.split_whitespace()
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no six-digit code in {text:?}"))
        .to_owned()
}

/// The link to `path` in the next mail to `email`, pointed at this server.
pub fn mail_link(app: &TestApp, email: &str, path: &str) -> String {
    let mail = tokio::runtime::Handle::current()
        .block_on(app.smtp.wait_for(email, WAIT))
        .unwrap_or_else(|| panic!("no mail for {email}"));
    let link = mail
        .links()
        .into_iter()
        .find(|l| l.contains(path))
        .unwrap_or_else(|| panic!("no {path} link in {:?}", mail.text));
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
pub fn artifacts_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| workspace.join("target"), |t| workspace.join(t));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

pub fn launch_browser() -> Browser {
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

pub fn body_text(tab: &Tab) -> BoxResult<String> {
    let value = tab.evaluate("document.body ? document.body.innerText : ''", false)?;
    Ok(value
        .value
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default())
}

/// Polls until the page's text contains `needle`; panics with the page text
/// and URL when it does not within `WAIT`.
pub fn wait_for_text(tab: &Tab, needle: &str) {
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
pub fn open(tab: &Tab, url: &str, needle: &str) {
    open_at(tab, url, url, needle);
}

/// [`open`] for a `url` that redirects: waits for the document at `lands_on`.
pub fn open_at(tab: &Tab, url: &str, lands_on: &str, needle: &str) {
    tab.navigate_to(url)
        .and_then(|t| t.wait_until_navigated())
        .unwrap_or_else(|e| panic!("navigate to {url}: {e:#}"));
    wait_for_document(tab, lands_on);
    wait_for_text(tab, needle);
}

/// Polls until the tab's document is `url` and has loaded.
pub fn wait_for_document(tab: &Tab, url: &str) {
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
pub fn text_of(tab: &Tab, selector: &str) -> String {
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
pub fn fill(tab: &Tab, selector: &str, text: &str) {
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

pub fn click(tab: &Tab, selector: &str) {
    tab.wait_for_element(selector)
        .and_then(|e| e.click().map(|_| ()))
        .unwrap_or_else(|e| panic!("click {selector} on {}: {e:#}", tab.get_url()));
}

/// The shared stylesheet was fetched and parsed (a blocked or failed
/// stylesheet has no rules).
pub fn assert_stylesheet_loaded(tab: &Tab) {
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

pub fn screenshot(tab: &Tab, path: &Path) {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap_or_else(|e| panic!("screenshot of {}: {e:#}", tab.get_url()));
    std::fs::write(path, &png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

pub fn assert_png(path: &Path) {
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

/// Every Content-Security-Policy violation Chromium reported in a tab (its
/// console messages), across navigations.
#[derive(Clone, Default)]
pub struct CspLog(Arc<Mutex<Vec<String>>>);

impl CspLog {
    /// Starts recording `tab`'s console and log entries.
    pub fn watch(tab: &Tab) -> Self {
        let log = Self::default();
        tab.enable_log().expect("enable the Log domain");
        tab.enable_runtime().expect("enable the Runtime domain");
        let seen = log.0.clone();
        tab.add_event_listener(Arc::new(move |event: &Event| {
            let text = match event {
                Event::LogEntryAdded(e) => e.params.entry.text.clone(),
                Event::RuntimeConsoleAPICalled(e) => e
                    .params
                    .args
                    .iter()
                    .filter_map(|a| a.value.as_ref().map(ToString::to_string))
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => return,
            };
            if text.contains("Content Security Policy") {
                if let Ok(mut v) = seen.lock() {
                    v.push(text);
                }
            }
        }))
        .expect("listen to the tab");
        log
    }

    pub fn violations(&self) -> Vec<String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn assert_none(&self, tab: &Tab) {
        let seen = self.violations();
        assert!(
            seen.is_empty(),
            "CSP violations (the tab is at {}):\n{}",
            tab.get_url(),
            seen.join("\n")
        );
    }
}

/// A new tab in a fresh browser context (no cookies), with its CSP log.
pub fn fresh_tab(browser: &Browser) -> (Arc<Tab>, CspLog) {
    let context = browser.new_context().expect("new browser context");
    let tab = context.new_tab().expect("new tab");
    tab.set_default_timeout(WAIT);
    let log = CspLog::watch(&tab);
    (tab, log)
}

/// Polls until the tab's URL starts with `prefix`.
pub fn wait_for_url_prefix(tab: &Tab, prefix: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let url = tab
            .evaluate("location.href", false)
            .ok()
            .and_then(|v| v.value)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if url.starts_with(prefix) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the tab never reached {prefix}…; it is at {url}, showing:\n{}",
            body_text(tab).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The id of `email`'s account on `tenant`.
pub async fn user_id(app: &TestApp, tenant: &Tenant, email: &str) -> String {
    let users = auth_server::store::users::UserStore::new(app.database.pool.clone());
    let email = auth_server::domain::email::Email::parse(email).expect("email");
    users
        .find_by_email(tenant.id, &email)
        .await
        .expect("user lookup")
        .unwrap_or_else(|| panic!("no account for {email:?}"))
        .id
        .to_string()
}
