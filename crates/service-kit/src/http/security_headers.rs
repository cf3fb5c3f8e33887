//! Security headers on every response of every service: a Content-Security-Policy
//! (pages: own origin only; JSON: nothing), `nosniff`, `X-Frame-Options: DENY`,
//! `Referrer-Policy: no-referrer`, `Cross-Origin-Opener-Policy: same-origin`, and
//! HSTS when served over https (RFC 9700 §4.16).
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error};

use crate::config::HttpSettings;

/// Pages: our own scripts, styles and images only; forms post back to us.
/// A page whose form may end at another origin (a client's redirect URI, a
/// payment page) names that origin with [`PageCsp`]; the default is this.
pub const PAGE_CSP: &str =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
/// Everything else (JSON): nothing may be loaded or framed.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

pub async fn apply(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let https = req
        .app_data::<web::Data<HttpSettings>>()
        .is_some_and(|s| s.served_over_https());
    // Handlers and extractors turn their errors into responses, and the inner
    // middleware never fails, so `?` only passes on actix's own rare errors.
    let mut res = next.call(req).await?.map_into_boxed_body();
    let headers = res.headers_mut();
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    // A page that set its own policy (built with `PageCsp`) keeps it.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = if is_page { PAGE_CSP } else { API_CSP };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Ok(res)
}

/// The page policy with extra sources, each exactly one origin that the
/// request has validated: Chromium and Safari apply `form-action` to every
/// redirect that follows a form submission, so a login form whose answer
/// ends at a client's `redirect_uri` must name that origin, and a tenant's
/// logo needs its origin in `img-src`. Never a wildcard.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PageCsp {
    form_action: Vec<String>,
    img_src: Vec<String>,
}

impl PageCsp {
    /// Lets forms (and the redirects after them) reach `url`'s origin.
    pub fn allow_form_target(&mut self, url: &url::Url) {
        if let Some(source) = source_of(url) {
            if !self.form_action.contains(&source) {
                self.form_action.push(source);
            }
        }
    }

    /// Lets images load from `url`'s origin.
    pub fn allow_image(&mut self, url: &url::Url) {
        if let Some(source) = source_of(url) {
            if !self.img_src.contains(&source) {
                self.img_src.push(source);
            }
        }
    }

    pub fn header_value(&self) -> String {
        let extra =
            |sources: &[String]| sources.iter().map(|s| format!(" {s}")).collect::<String>();
        format!(
            "default-src 'self'; img-src 'self' data:{}; style-src 'self'; script-src 'self'; \
form-action 'self'{}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            extra(&self.img_src),
            extra(&self.form_action)
        )
    }
}

/// The CSP source naming exactly `url`'s origin: `scheme://host[:port]` for
/// http(s); a private-use scheme of a native app (`com.example.app:/cb`) has
/// no host, so its scheme (`com.example.app:`) is the tightest source there is.
fn source_of(url: &url::Url) -> Option<String> {
    let origin = url.origin();
    let source = if origin.is_tuple() {
        origin.ascii_serialization()
    } else {
        format!("{}:", url.scheme())
    };
    // A source is one token: nothing that could end it or start another.
    let clean = source
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.' | '-' | '+' | '[' | ']'));
    (clean && source != "null").then_some(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).expect("test URL")
    }

    #[test]
    fn the_default_page_policy_is_unchanged_without_extra_sources() {
        assert_eq!(PageCsp::default().header_value(), PAGE_CSP);
    }

    #[test]
    fn a_form_target_adds_exactly_its_origin() {
        let mut csp = PageCsp::default();
        csp.allow_form_target(&url("https://app.example.com:8443/cb?x=1#f"));
        csp.allow_form_target(&url("https://app.example.com:8443/other"));
        let value = csp.header_value();
        assert!(value.contains("form-action 'self' https://app.example.com:8443;"));
        assert!(!value.contains("/cb"));
        assert!(!value.contains('*'));
        assert!(value.contains("img-src 'self' data:;"));
    }

    #[test]
    fn a_native_app_scheme_is_named_by_its_scheme_only() {
        let mut csp = PageCsp::default();
        csp.allow_form_target(&url("com.example.app:/oauth/cb"));
        assert!(csp
            .header_value()
            .contains("form-action 'self' com.example.app:;"));
    }

    #[test]
    fn an_image_origin_goes_to_img_src_only() {
        let mut csp = PageCsp::default();
        csp.allow_image(&url("https://cdn.example.com/logo.png"));
        let value = csp.header_value();
        assert!(value.contains("img-src 'self' data: https://cdn.example.com;"));
        assert!(value.contains("form-action 'self';"));
    }
}
