//! `GET /callback`: the redirect URI of the demo client of `connectauth dev`
//! (`crate::demo`). A page showing the `code` and `state` the authorization
//! server sent back and the `curl` command that exchanges the code at the
//! issuer's token endpoint. Development only; never a part of the API.
//!
//! Whatever is in the query is shown HTML-escaped (minijinja escapes `.html`
//! templates), and the command is only offered for a code of the shape the
//! auth server issues, so a crafted link cannot put shell syntax in it.
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use minijinja::{context, Environment};
use serde::Deserialize;
use service_kit::ApiError;
use url::Url;

use crate::demo::{CALLBACK_PATH, DEMO_CLIENT_ID, DEMO_VERIFIER};
use crate::error::HttpError;

const TEMPLATE: &str = "callback.html";
pub const STYLESHEET: &str = include_str!("../../static/callback.css");
/// Longer than any code the auth server issues (43 characters).
const CODE_MAX_CHARS: usize = 256;

/// The authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 `iss`).
/// No `Debug`: the code is a credential until it is redeemed.
#[derive(Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The page, and what it says that never changes between requests.
pub struct DemoCallback {
    env: Environment<'static>,
    issuer: String,
    token_url: String,
    redirect_uri: String,
    me_url: String,
}

impl DemoCallback {
    /// For the tenant `issuer` this API trusts, served at `public_url`.
    pub fn new(issuer: &str, public_url: &Url) -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        env.add_template(TEMPLATE, include_str!("../../templates/callback.html"))?;
        let base = public_url.as_str().trim_end_matches('/');
        let issuer = issuer.trim_end_matches('/').to_owned();
        Ok(Self {
            env,
            token_url: format!("{issuer}/token"),
            issuer,
            redirect_uri: format!("{base}{CALLBACK_PATH}"),
            me_url: format!("{base}/v1/me"),
        })
    }

    /// The `curl` command that exchanges `code`, if it looks like a code.
    fn exchange_command(&self, code: &str) -> Option<String> {
        let plausible = (1..=CODE_MAX_CHARS).contains(&code.chars().count())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        plausible.then(|| {
            format!(
                "curl -s {} \\\n  -d grant_type=authorization_code -d client_id={DEMO_CLIENT_ID} \\\n  \
                 -d redirect_uri={} \\\n  -d code_verifier={DEMO_VERIFIER} -d code={code}",
                self.token_url, self.redirect_uri
            )
        })
    }

    fn render(&self, q: &CallbackQuery) -> Result<String, minijinja::Error> {
        let command = q.code.as_deref().and_then(|c| self.exchange_command(c));
        let iss_mismatch = q.iss.as_deref().is_some_and(|iss| iss != self.issuer);
        self.env.get_template(TEMPLATE)?.render(context! {
            code => q.code,
            state => q.state,
            iss => q.iss,
            error => q.error,
            error_description => q.error_description,
            issuer => self.issuer,
            iss_mismatch,
            command,
            me_url => self.me_url,
        })
    }
}

pub async fn show_callback(
    page: web::Data<DemoCallback>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, HttpError> {
    let html = page.render(&query).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // The code is a credential for a minute: no cache keeps the page.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "http://127.0.0.1:8080/t/connect-people";

    fn page() -> DemoCallback {
        let public = Url::parse("http://127.0.0.1:8082").expect("url");
        DemoCallback::new(ISSUER, &public).expect("template")
    }

    fn query(pairs: &[(&str, &str)]) -> CallbackQuery {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        CallbackQuery {
            code: get("code"),
            state: get("state"),
            iss: get("iss"),
            error: get("error"),
            error_description: get("error_description"),
        }
    }

    #[test]
    fn the_command_exchanges_the_code_at_the_issuers_token_endpoint() {
        let command = page().exchange_command("abc-DEF_123").expect("a code");
        assert_eq!(
            command,
            "curl -s http://127.0.0.1:8080/t/connect-people/token \\\n  \
             -d grant_type=authorization_code -d client_id=cli_connect-people-dev-app \\\n  \
             -d redirect_uri=http://127.0.0.1:8082/callback \\\n  \
             -d code_verifier=connect-people-demo-verifier-0123456789-abcdefghij -d code=abc-DEF_123"
        );
    }

    #[test]
    fn no_command_for_what_is_not_a_code() {
        let page = page();
        for odd in ["", "a b", "$(id)", "a;b", "a'b", "<b>", &"a".repeat(257)] {
            assert_eq!(page.exchange_command(odd), None, "{odd}");
        }
    }

    #[test]
    fn everything_shown_is_escaped() {
        let html = page()
            .render(&query(&[
                ("code", "<script>alert(1)</script>"),
                ("state", "\"><img src=x onerror=alert(1)>"),
            ]))
            .expect("rendered");
        assert!(!html.contains("<script>alert") && !html.contains("<img"));
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{html}"
        );
        assert!(html.contains("id=\"odd-code\""));
        assert!(!html.contains("id=\"command\""));
    }

    #[test]
    fn an_error_response_is_shown_without_a_command() {
        let html = page()
            .render(&query(&[
                ("error", "access_denied"),
                ("error_description", "the user said <no>"),
                ("state", "demo"),
            ]))
            .expect("rendered");
        assert!(html.contains("id=\"error\"") && html.contains("access_denied"));
        assert!(html.contains("the user said &lt;no&gt;"));
        assert!(!html.contains("curl -s"));
    }

    #[test]
    fn another_issuer_gets_a_warning_instead_of_a_command() {
        let html = page()
            .render(&query(&[
                ("code", "abc"),
                ("iss", "https://evil.example/t/x"),
            ]))
            .expect("rendered");
        assert!(html.contains("id=\"iss-mismatch\""));
        assert!(!html.contains("curl -s http"));
    }
}
