//! `GET /callback`: the redirect URI of the demo client of `connectauth dev`
//! (`crate::demo`). A page showing the `code` and `state` the authorization
//! server sent back and what to do next (`service::DemoCallback`).
//! Development only; never a part of the API.
//!
//! Whatever is in the query is shown HTML-escaped (minijinja escapes `.html`
//! templates).
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use minijinja::{context, Environment};
use serde::Deserialize;
use service_kit::ApiError;
use url::Url;

use crate::error::HttpError;
use crate::service::DemoCallback;

const TEMPLATE: &str = "callback.html";
pub const STYLESHEET: &str = include_str!("../../static/callback.css");

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

/// The page: its template and the demo it shows.
pub struct CallbackPage {
    env: Environment<'static>,
    demo: DemoCallback,
}

impl CallbackPage {
    /// For the tenant `issuer` this API trusts, served at `public_url`.
    pub fn new(issuer: &str, public_url: &Url) -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        env.add_template(TEMPLATE, include_str!("../../templates/callback.html"))?;
        Ok(Self {
            env,
            demo: DemoCallback::new(issuer, public_url),
        })
    }

    fn render(&self, q: &CallbackQuery) -> Result<String, minijinja::Error> {
        let step = self.demo.next_step(q.code.as_deref(), q.iss.as_deref());
        self.env.get_template(TEMPLATE)?.render(context! {
            code => q.code,
            state => q.state,
            iss => q.iss,
            error => q.error,
            error_description => q.error_description,
            issuer => self.demo.issuer(),
            iss_mismatch => step.iss_mismatch,
            command => step.command,
            me_url => self.demo.me_url(),
        })
    }
}

pub async fn show_callback(
    page: web::Data<CallbackPage>,
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

    fn page() -> CallbackPage {
        let public = Url::parse("http://127.0.0.1:8082").expect("url");
        CallbackPage::new(ISSUER, &public).expect("template")
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
