//! HTTP plumbing shared by discovery, the JWKS cache and introspection:
//! URL policy, bounded JSON bodies and `Cache-Control` freshness.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AGE, AUTHORIZATION, CACHE_CONTROL};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use serde_json::Value;
use url::{Host, Url};

use super::error::RemoteError;

/// Largest discovery, JWKS or introspection body read (a JWKS with dozens
/// of RSA keys is a few tens of KiB).
const MAX_BODY: usize = 1024 * 1024;
const MAX_REDIRECTS: usize = 5;

/// A JSON object fetched with GET, and how long the server said it stays
/// fresh.
pub(crate) struct Fetched {
    pub(crate) body: Value,
    pub(crate) max_age: Option<Duration>,
}

/// An HTTP client bound to a URL policy.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: Client,
    allow_http: bool,
}

impl Http {
    /// A client with `timeout` on every request (connect to end of body).
    /// Redirects, when followed, must satisfy the same URL policy.
    pub(crate) fn new(
        timeout: Duration,
        allow_http: bool,
        follow_redirects: bool,
    ) -> Result<Http, RemoteError> {
        let policy = if follow_redirects {
            Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if url_allowed(attempt.url(), allow_http) {
                    attempt.follow()
                } else {
                    attempt.error("redirect to a plain http URL")
                }
            })
        } else {
            Policy::none()
        };
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(policy)
            .user_agent(concat!("connectauth-verify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(RemoteError::Client)?;
        Ok(Http { client, allow_http })
    }

    /// Parses `raw` and applies the URL policy: absolute, a host, no
    /// credentials, `https` (or `http` to a loopback host, or anywhere with
    /// `allow_http`).
    pub(crate) fn check_url(&self, raw: &str, what: &'static str) -> Result<Url, RemoteError> {
        let invalid = |reason| RemoteError::InvalidUrl {
            what,
            url: raw.to_owned(),
            reason,
        };
        let url = Url::parse(raw).map_err(|_| invalid("not an absolute URL"))?;
        if url.host().is_none() {
            return Err(invalid("no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("credentials in the URL"));
        }
        if !url_allowed(&url, self.allow_http) {
            return Err(invalid(
                "must be https (plain http only for loopback hosts or with allow_http)",
            ));
        }
        Ok(url)
    }

    /// GET `url`, expecting a JSON object.
    pub(crate) async fn get_json(&self, url: &Url) -> Result<Fetched, RemoteError> {
        let response = self
            .client
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|source| request_error(url, source))?;
        let max_age = freshness(response.headers());
        let body = read_json(url, response).await?;
        Ok(Fetched { body, max_age })
    }

    /// POST an `application/x-www-form-urlencoded` body with an
    /// `Authorization` header, expecting a JSON object.
    pub(crate) async fn post_form(
        &self,
        url: &Url,
        authorization: &HeaderValue,
        form: &[(&str, &str)],
    ) -> Result<Value, RemoteError> {
        let response = self
            .client
            .post(url.clone())
            .header(AUTHORIZATION, authorization.clone())
            .header(ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .map_err(|source| request_error(url, source))?;
        read_json(url, response).await
    }
}

fn request_error(url: &Url, source: reqwest::Error) -> RemoteError {
    RemoteError::Request {
        url: url.to_string(),
        // Drop the URL reqwest attaches: it is already in ours.
        source: source.without_url(),
    }
}

fn url_allowed(url: &Url, allow_http: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => allow_http || is_loopback(url),
        _ => false,
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

async fn read_json(url: &Url, mut response: Response) -> Result<Value, RemoteError> {
    let status = response.status();
    if !status.is_success() {
        return Err(RemoteError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let too_large = || RemoteError::TooLarge {
        url: url.to_string(),
        limit: MAX_BODY,
    };
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|source| request_error(url, source))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(RemoteError::NotJson {
            url: url.to_string(),
        }),
    }
}

/// How long a response stays fresh per `Cache-Control` (RFC 9111 §5.2.2):
/// `max-age` less `Age`; zero for `no-cache` or `no-store`; `None` when the
/// response says nothing (the caller's default applies).
pub(crate) fn freshness(headers: &HeaderMap) -> Option<Duration> {
    let mut max_age: Option<u64> = None;
    let mut no_cache = false;
    let directives = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    for directive in directives {
        let (name, arg) = match directive.split_once('=') {
            Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            no_cache = true;
        } else if name.eq_ignore_ascii_case("max-age") {
            if let Some(secs) = arg.and_then(delta_seconds) {
                // Several max-age directives: trust the shortest.
                max_age = Some(max_age.map_or(secs, |m| m.min(secs)));
            }
        }
    }
    if no_cache {
        return Some(Duration::ZERO);
    }
    let age = headers
        .get(AGE)
        .and_then(|v| v.to_str().ok())
        .and_then(delta_seconds)
        .unwrap_or(0);
    max_age.map(|m| Duration::from_secs(m.saturating_sub(age)))
}

/// RFC 9111 §1.2.2 delta-seconds: digits only; too large means "very large".
fn delta_seconds(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn cache_control_freshness() {
        let secs = |s| Some(Duration::from_secs(s));
        let cc = |v| freshness(&headers(&[("cache-control", v)]));
        assert_eq!(cc("public, max-age=600"), secs(600));
        assert_eq!(cc("Max-Age=\"60\", must-revalidate"), secs(60));
        assert_eq!(cc("max-age=600, no-cache"), secs(0));
        assert_eq!(cc("no-store"), secs(0));
        assert_eq!(cc("public"), None);
        assert_eq!(cc("max-age=-5"), None);
        assert_eq!(cc("max-age=1e3"), None);
        assert_eq!(cc("max-age=99999999999999999999999"), secs(u64::MAX));
        assert_eq!(freshness(&HeaderMap::new()), None);
        assert_eq!(
            freshness(&headers(&[
                ("cache-control", "max-age=600"),
                ("cache-control", "max-age=30")
            ])),
            secs(30)
        );
        assert_eq!(
            freshness(&headers(&[
                ("cache-control", "max-age=600"),
                ("age", "100")
            ])),
            secs(500)
        );
        assert_eq!(
            freshness(&headers(&[("cache-control", "max-age=60"), ("age", "100")])),
            secs(0)
        );
    }

    #[test]
    fn url_policy() {
        let strict = Http::new(Duration::from_secs(1), false, true).unwrap();
        let lax = Http::new(Duration::from_secs(1), true, true).unwrap();
        for ok in [
            "https://auth.example.com/t/acme",
            "http://127.0.0.1:8080/t/acme",
            "http://[::1]:8080/",
            "http://localhost/x",
        ] {
            assert!(strict.check_url(ok, "issuer").is_ok(), "{ok}");
        }
        for bad in [
            "http://auth.example.com",
            "ftp://auth.example.com",
            "auth.example.com",
            "https://user:pw@auth.example.com",
            "http://127.0.0.1.example.com/",
            "",
        ] {
            assert!(strict.check_url(bad, "issuer").is_err(), "{bad}");
        }
        assert!(lax.check_url("http://auth:8080/t/acme", "issuer").is_ok());
        assert!(lax.check_url("ftp://auth", "issuer").is_err());
    }
}
