//! A browser's part of the hosted pages and of the OAuth flows, over HTTP:
//! its own cookies (`__Host-` names over https origins are kept as sent),
//! the double-submit CSRF field, redirects read rather than followed.
use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// What one request gave: the status, the redirect target, `Retry-After`,
/// the body.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(http: reqwest::Client, base: &str) -> Self {
        Self {
            http,
            base: base.to_owned(),
            cookies: Mutex::new(BTreeMap::new()),
        }
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

    fn csrf(&self) -> String {
        self.cookies
            .lock()
            .expect("lock")
            .iter()
            .find(|(k, _)| k.ends_with("ca_csrf"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn has_session(&self, slug: &str) -> bool {
        let name = format!("ca_session_{slug}");
        self.cookies
            .lock()
            .expect("lock")
            .keys()
            .any(|k| k.ends_with(&name))
    }

    async fn finish(&self, req: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
        let resp = req.header("cookie", self.cookie_header()).send().await?;
        for set in resp.headers().get_all("set-cookie") {
            let Ok(text) = set.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let mut jar = self.cookies.lock().expect("lock");
                if value.is_empty() || text.to_ascii_lowercase().contains("max-age=0") {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.text().await?;
        Ok(Answer {
            status,
            location,
            retry_after,
            body,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Answer, reqwest::Error> {
        self.finish(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// GET with query parameters.
    pub async fn get_query(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Answer, reqwest::Error> {
        self.finish(self.http.get(format!("{}{path}", self.base)).query(query))
            .await
    }

    /// POSTs a form with the CSRF field of the cookie.
    pub async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Answer, reqwest::Error> {
        let csrf = self.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.finish(self.http.post(format!("{}{path}", self.base)).form(&all))
            .await
    }

    /// The hosted login: the form page (its CSRF cookie), then the form.
    /// A success is a 303 that sets the session cookie.
    pub async fn log_in(
        &self,
        slug: &str,
        email: &str,
        password: &str,
    ) -> Result<Answer, reqwest::Error> {
        if self.csrf().is_empty() {
            let page = self.get(&format!("/t/{slug}/login")).await?;
            if page.status != 200 {
                return Ok(page);
            }
        }
        self.post(
            &format!("/t/{slug}/login"),
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// With a session: an authorization code for `client_id` (a first-party
    /// client without PKCE, so no consent page), from the redirect.
    pub async fn authorization_code(
        &self,
        slug: &str,
        client_id: &str,
        redirect_uri: &str,
    ) -> String {
        let answer = self
            .get_query(
                &format!("/t/{slug}/authorize"),
                &[
                    ("response_type", "code"),
                    ("client_id", client_id),
                    ("redirect_uri", redirect_uri),
                    ("scope", "openid offline_access"),
                    ("state", "scale"),
                ],
            )
            .await
            .expect("authorize");
        let location = answer.location.unwrap_or_else(|| {
            panic!(
                "authorize answered {} without a redirect: {}",
                answer.status, answer.body
            )
        });
        let url = url::Url::parse(&location).expect("a redirect URL");
        url.query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no code in {location}"))
    }
}

/// POST /token of `slug` with Basic client authentication; the status and
/// the JSON body (Null when it is not JSON).
pub async fn token(
    http: &reqwest::Client,
    base: &str,
    slug: &str,
    (id, secret): (&str, &str),
    form: &[(&str, &str)],
) -> Result<(u16, Value), reqwest::Error> {
    let resp = http
        .post(format!("{base}/t/{slug}/token"))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await?;
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}
