//! The README's "Call the Connect People API as a user" sequence, as
//! written, in Debian's headless Chromium against `connectauth dev`: the
//! authorize URL is read from README.md (only the ports change), the user
//! signs up, confirms the address from the mail file, logs in and lands on
//! the People API's `/callback` page, whose code the README's token request
//! exchanges; `/v1/me` then answers. No CSP violation on the way.
mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{free_port, terminate, wait_for};
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";
const WAIT: Duration = Duration::from_secs(15);
const EMAIL: &str = "reader@example.com";
const PASSWORD: &str = "correct horse battery staple 42";
const VERIFIER: &str = "connect-people-demo-verifier-0123456789-abcdefghij";

/// The README's authorize URL for the default ports, moved to `auth` and
/// `people` (`127.0.0.1:PORT`).
fn readme_authorize_url(auth: &str, people: &str) -> String {
    let readme = common::repo_file("README.md");
    let line = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("http://127.0.0.1:8080/t/connect-people/authorize?"))
        .expect("the README's authorize URL");
    line.replace("127.0.0.1:8080", auth)
        .replace("127.0.0.1%3A8082", &people.replace(':', "%3A"))
}

/// `connectauth dev` with its log in a file: a page-by-page journey logs
/// more than a pipe nobody reads can hold.
fn start_dev(root: &Path, ports: [u16; 3]) -> std::process::Child {
    let log = std::fs::File::create(root.join("dev.log")).expect("log file");
    common::dev_command(&root.join("data"), ports)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("connectauth dev starts")
}

fn text(tab: &Tab) -> String {
    tab.evaluate("document.body ? document.body.innerText : ''", false)
        .ok()
        .and_then(|v| v.value)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn href(tab: &Tab) -> String {
    tab.evaluate("location.href", false)
        .ok()
        .and_then(|v| v.value)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn wait_until(tab: &Tab, what: &str, ok: impl Fn(&Tab) -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ok(tab) {
        assert!(
            Instant::now() < deadline,
            "{what} never happened; at {}:\n{}",
            href(tab),
            text(tab)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fill(tab: &Tab, selector: &str, value: &str) {
    let js = format!(
        "(() => {{ const e = document.querySelector({}); if (!e) return false; e.value = {}; return true; }})()",
        serde_json::to_string(selector).expect("json"),
        serde_json::to_string(value).expect("json")
    );
    wait_until(tab, &format!("filling {selector}"), |t| {
        t.evaluate(&js, false).ok().and_then(|v| v.value) == Some(true.into())
    });
}

fn click(tab: &Tab, selector: &str) {
    tab.wait_for_element(selector)
        .and_then(|e| e.click().map(|_| ()))
        .unwrap_or_else(|e| panic!("click {selector} at {}: {e:#}", href(tab)));
}

/// The verification link in the mail `connectauth dev` wrote under data/mail.
fn mailed_link(data: &Path) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let found = std::fs::read_dir(data.join("mail"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find_map(|mail| {
                // The file is the raw message: undo quoted-printable.
                let mail = mail
                    .replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=");
                mail.split_whitespace()
                    .find(|w| w.contains("/verify-email?token="))
                    .map(str::to_owned)
            });
        if let Some(link) = found {
            return link;
        }
        assert!(
            Instant::now() < deadline,
            "no verification mail in data/mail"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_demo_runs_as_written_in_chromium() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: run scripts/install-browser (scripts/test does)"
    );
    let root = tempfile::tempdir().expect("tempdir");
    let ports = [free_port(), free_port(), free_port()];
    let auth = format!("127.0.0.1:{}", ports[0]);
    let people = format!("127.0.0.1:{}", ports[2]);
    let dev = start_dev(root.path(), ports);
    wait_for(&format!("http://{auth}/readyz"), 200).await;
    wait_for(&format!("http://{people}/readyz"), 200).await;
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(CHROMIUM.into()))
            .headless(true)
            .sandbox(false)
            .args(
                ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
                    .iter()
                    .map(std::ffi::OsStr::new)
                    .collect(),
            )
            .idle_browser_timeout(Duration::from_secs(60))
            .build()
            .expect("launch options"),
    )
    .expect("chromium starts");
    let data = root.path().join("data");
    let authorize = readme_authorize_url(&auth, &people);

    let code = tokio::task::block_in_place(|| {
        let tab = browser.new_tab().expect("tab");
        tab.set_default_timeout(WAIT);
        let violations = Arc::new(Mutex::new(Vec::<String>::new()));
        tab.enable_log().expect("log domain");
        let seen = violations.clone();
        tab.add_event_listener(Arc::new(move |event: &Event| {
            if let Event::LogEntryAdded(e) = event {
                if e.params.entry.text.contains("Content Security Policy") {
                    if let Ok(mut v) = seen.lock() {
                        v.push(e.params.entry.text.clone());
                    }
                }
            }
        }))
        .expect("listener");

        // 1. Open the URL, sign up, confirm from the mail, log in.
        tab.navigate_to(&authorize).expect("navigate");
        wait_until(&tab, "the login page", |t| text(t).contains("Log in"));
        click(&tab, "a[href*='/signup?return_to=']");
        wait_until(&tab, "the signup page", |t| {
            text(t).contains("Create your account")
        });
        fill(&tab, "#email", EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_until(&tab, "check your email", |t| {
            text(t).contains("Check your email")
        });
        tab.navigate_to(&mailed_link(&data)).expect("open the link");
        wait_until(&tab, "the confirm page", |t| {
            text(t).contains("Confirm my address")
        });
        click(&tab, "button[type=submit]");
        wait_until(&tab, "back at the login", |t| {
            text(t).contains("Log in to continue")
        });
        fill(&tab, "#password", PASSWORD);
        click(&tab, "form[action$='/login'] button[type=submit]");
        let callback = format!("http://{people}/callback?code=");
        wait_until(&tab, "the consent page or the callback", |t| {
            href(t).starts_with(&callback) || t.find_element("button[value=allow]").is_ok()
        });
        if !href(&tab).starts_with(&callback) {
            click(&tab, "button[value=allow]");
        }
        wait_until(&tab, "the People API's callback page", |t| {
            href(t).starts_with(&callback)
        });
        // "copy code from the address bar"
        let url = url::Url::parse(&href(&tab)).expect("callback URL");
        let code = url
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code in the address bar");
        assert_eq!(
            url.query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned()),
            Some("demo".to_owned())
        );
        wait_until(&tab, "the callback page showing the code", |t| {
            text(t).contains(&code)
        });
        let seen = violations.lock().map(|v| v.clone()).unwrap_or_default();
        assert!(seen.is_empty(), "CSP violations: {seen:?}");
        code
    });

    // 2. Exchange it and call the API, with the README's parameters.
    let client = reqwest::Client::new();
    let tokens: Value = client
        .post(format!("http://{auth}/t/connect-people/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "cli_connect-people-dev-app"),
            ("redirect_uri", &format!("http://{people}/callback")),
            ("code_verifier", VERIFIER),
            ("code", &code),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    let access = tokens["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {tokens}"));
    let me = client
        .get(format!("http://{people}/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .expect("/v1/me");
    assert_eq!(
        me.status().as_u16(),
        200,
        "{}",
        me.text().await.unwrap_or_default()
    );
    let put = client
        .put(format!("http://{people}/v1/me"))
        .bearer_auth(access)
        .json(&serde_json::json!({"display_name": "Alice", "bio": "Hello!"}))
        .send()
        .await
        .expect("PUT /v1/me");
    assert_eq!(
        put.status().as_u16(),
        200,
        "{}",
        put.text().await.unwrap_or_default()
    );
    let out = terminate(dev);
    assert!(out.status.success(), "connectauth dev stops cleanly");
}
