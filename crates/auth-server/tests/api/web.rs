//! A small browser for the hosted pages: keeps cookies by hand (so tests can
//! move one to another tenant), never follows redirects, fills CSRF fields.
use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::header::HeaderMap;
use service_kit::testing::smtp::ReceivedMail;
use totp_rs::{Algorithm, Secret, TOTP};

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    /// The value of `<input … name="NAME" value="…">` or `<code class="CLASS">…</code>`.
    pub fn between(&self, start: &str, end: &str) -> Option<String> {
        let from = self.body.find(start)? + start.len();
        let to = self.body[from..].find(end)? + from;
        Some(self.body[from..to].to_owned())
    }
}

pub struct Web {
    client: reqwest::Client,
    base: String,
    cookies: Mutex<BTreeMap<String, String>>,
    pub accept_language: Option<String>,
    /// Sent as `X-Forwarded-For`, as a reverse proxy would.
    pub forwarded_for: Option<String>,
    /// Sent as `User-Agent`, as a browser would (none by default).
    pub user_agent: Option<String>,
}

impl Web {
    pub fn new(base: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // Never reuse a connection the server may be closing: its
                // keep-alive is 5 s, and a test stalled that long on a busy
                // machine would send into the closing socket.
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .build()
                .expect("client"),
            base: base.to_owned(),
            cookies: Mutex::new(BTreeMap::new()),
            accept_language: None,
            forwarded_for: None,
            user_agent: None,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("lock").get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .expect("lock")
            .insert(name.to_owned(), value.to_owned());
    }

    pub fn remove_cookie(&self, name: &str) {
        self.cookies.lock().expect("lock").remove(name);
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .expect("lock")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&self, req: reqwest::RequestBuilder) -> Page {
        let mut req = req.header("cookie", self.cookie_header());
        if let Some(lang) = &self.accept_language {
            req = req.header("accept-language", lang);
        }
        if let Some(hops) = &self.forwarded_for {
            req = req.header("x-forwarded-for", hops);
        }
        if let Some(agent) = &self.user_agent {
            req = req.header("user-agent", agent);
        }
        let resp = req.send().await.expect("request sent");
        for set in resp.headers().get_all("set-cookie") {
            let text = set.to_str().expect("ascii cookie");
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let removal = value.is_empty() || text.to_ascii_lowercase().contains("max-age=0");
                let mut jar = self.cookies.lock().expect("lock");
                if removal {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Page {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            headers: resp.headers().clone(),
            // minijinja escapes `/` in attributes; browsers read it back as `/`.
            body: resp.text().await.expect("body").replace("&#x2f;", "/"),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.finish(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    /// Whether this browser is signed in at tenant `slug`: its account page
    /// answers (200) rather than sending it to the login page (303).
    pub async fn signed_in_at(&self, slug: &str) -> bool {
        let page = self.get(&format!("/t/{slug}/account")).await;
        match page.status {
            200 => true,
            303 => false,
            other => panic!("account page answered {other}: {}", page.body),
        }
    }

    /// Posts a form as a browser would, with the CSRF token of the cookie.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.cookie("ca_csrf").unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly `fields` (no CSRF added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.finish(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields),
        )
        .await
    }
}

/// The path and query of the first link in a mail (its host is the server's
/// public URL, which tests do not bind).
pub fn link_path(mail: &ReceivedMail) -> String {
    let link = mail.links().into_iter().next().expect("a link in the mail");
    let after_scheme = link
        .split_once("://")
        .map_or(link.as_str(), |(_, rest)| rest);
    after_scheme[after_scheme.find('/').expect("a path")..].to_owned()
}

pub fn token_of(path: &str) -> String {
    let query = path.split_once('?').expect("query").1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .expect("token parameter")
        .to_owned()
}

impl Web {
    /// Turns TOTP on for the signed-in user of tenant `slug` through the
    /// enrolment pages (the password again, then the code at `now`): the
    /// manual key.
    pub async fn enrol_totp(&self, slug: &str, password: &str, now: i64) -> String {
        self.get(&format!("/t/{slug}/mfa/enroll")).await;
        let keyed = self
            .post(
                &format!("/t/{slug}/mfa/enroll/key"),
                &[("password", password)],
            )
            .await;
        let key = keyed
            .between("<code class=\"secret\">", "</code>")
            .expect("manual key");
        let enrolled = self
            .post(
                &format!("/t/{slug}/mfa/enroll"),
                &[("code", &totp_code_at(&key, now))],
            )
            .await;
        assert_eq!(enrolled.status, 200, "{}", enrolled.body);
        key
    }
}

/// The TOTP code of the manual key shown on the enrolment page at `at`
/// (Unix seconds): what an authenticator app shows at that moment.
pub fn totp_code_at(manual_key: &str, at: i64) -> String {
    let seed = Secret::Encoded(manual_key.to_owned())
        .to_bytes()
        .expect("base32 key");
    TOTP::new(Algorithm::SHA1, 6, 1, 30, seed, None, "test".into())
        .expect("totp")
        .generate(u64::try_from(at).expect("after 1970"))
}

/// A TOTP code for the manual key shown on the enrolment page, `offset`
/// steps away from the wall clock's step.
pub fn totp_code(manual_key: &str, offset: i64) -> String {
    let unix_now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64
    };
    let mut now = unix_now();
    // A code made in the last seconds of its 30-second step may reach the
    // server in the next one, where the step it was made for is two steps
    // back and refused: wait for the next step instead of racing it.
    if now % 30 >= 25 {
        std::thread::sleep(std::time::Duration::from_secs((31 - now % 30) as u64));
        now = unix_now();
    }
    totp_code_at(manual_key, now + offset * 30)
}
