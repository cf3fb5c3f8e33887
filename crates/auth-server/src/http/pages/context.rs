//! `PageCtx`: everything a hosted page needs, extracted once per request —
//! the tenant from the path, the language, who is asking, the CSRF token and
//! the session cookie — and the helpers that answer with a page.
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};
use minijinja::{context, Value};
use serde::de::DeserializeOwned;
use service_kit::http::security_headers::PageCsp;
use subtle::ConstantTimeEq;

use super::client_ip::requester;
use super::cookies::CookiePolicy;
use super::error::PageError;
use super::return_to::with_return_to;
use crate::domain::team::{Access, Role};
use crate::domain::tenant::{Tenant, PLATFORM_SLUG};
use crate::i18n::Locale;
use crate::identity::sessions::ActiveSession;
use crate::identity::Requester;
use crate::oauth::authorize::AuthorizeParams;
use crate::state::AppState;

pub struct PageCtx {
    pub state: web::Data<AppState>,
    pub tenant: Tenant,
    pub locale: Locale,
    pub requester: Requester,
    /// The CSRF token this response's forms carry.
    pub csrf: String,
    csrf_from_cookie: Option<String>,
    /// The tenant's session cookie, if the browser sent one.
    pub session_secret: Option<String>,
    pub cookies: CookiePolicy,
    pending_cookies: Vec<Cookie<'static>>,
    /// The page's Content-Security-Policy: where its forms may end.
    csp: std::cell::RefCell<PageCsp>,
    /// The pending request this page continues (a path back to the tenant's
    /// authorize endpoint or the dashboard), once checked by [`Self::resume`].
    return_to: Option<String>,
    /// The request's query string, for the language links.
    query: String,
    /// The resume cookie's value (see `CookiePolicy::resume`), unchecked.
    resume_cookie: Option<String>,
    /// On console pages, the signed-in member's role in the tenant shown.
    member_role: std::cell::Cell<Option<Role>>,
}

impl FromRequest for PageCtx {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { PageCtx::build(&req).await })
    }
}

/// The `platform` tenant's page context, for pages outside `/t/{slug}`: the
/// tenant owners' dashboard, whose session is a platform session.
pub struct PlatformPageCtx(pub PageCtx);

impl FromRequest for PlatformPageCtx {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { PageCtx::build_for(&req, PLATFORM_SLUG).await.map(Self) })
    }
}

impl std::ops::Deref for PlatformPageCtx {
    type Target = PageCtx;

    fn deref(&self) -> &PageCtx {
        &self.0
    }
}

/// A form posted from one of the pages, accepted before the handler runs:
/// its CSRF token equals the cookie's and the address's form budget is
/// spent ([`PageCtx::accept_form`]), so no handler can forget either. `C`
/// is the page context the form belongs to ([`PlatformForm`] for the
/// dashboard's).
pub struct PageForm<T, C = PageCtx> {
    pub ctx: C,
    pub form: T,
}

/// A form posted from the dashboard (the `platform` tenant's pages).
pub type PlatformForm<T> = PageForm<T, PlatformPageCtx>;

/// A form that carries the page's CSRF token (field `csrf`).
pub trait CsrfField {
    fn csrf(&self) -> &str;
}

/// Implements [`CsrfField`] for forms whose token is the field `csrf`.
macro_rules! csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::http::pages::context::CsrfField for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use csrf_field;

impl AsRef<PageCtx> for PageCtx {
    fn as_ref(&self) -> &PageCtx {
        self
    }
}

impl AsRef<PageCtx> for PlatformPageCtx {
    fn as_ref(&self) -> &PageCtx {
        &self.0
    }
}

impl<T, C> FromRequest for PageForm<T, C>
where
    T: DeserializeOwned + CsrfField + 'static,
    C: FromRequest<Error = PageError> + AsRef<PageCtx> + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let ctx = C::from_request(req, payload);
        let form = web::Form::<T>::from_request(req, payload);
        Box::pin(async move {
            let ctx = ctx.await?;
            let form = form.await?.into_inner();
            ctx.as_ref().accept_form(form.csrf()).await?;
            Ok(Self { ctx, form })
        })
    }
}

impl PageCtx {
    async fn build(req: &HttpRequest) -> Result<Self, PageError> {
        let slug = req.match_info().get("slug").unwrap_or_default().to_owned();
        Self::build_for(req, &slug).await
    }

    /// The context of the tenant `slug`'s pages.
    async fn build_for(req: &HttpRequest, slug: &str) -> Result<Self, PageError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| PageError::internal("state missing"))?;
        let tenant = match state.directory.active(slug).await {
            Ok(Some(t)) => Tenant::clone(&t),
            Ok(None) => return Err(PageError::TenantNotFound),
            Err(e) => return Err(PageError::internal(e)),
        };
        let cookies = state.cookies;
        let query_lang = web::Query::<LangQuery>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.lang.as_deref().and_then(Locale::from_code));
        let locale = query_lang
            .or_else(|| {
                req.cookie(cookies.lang_name())
                    .and_then(|c| Locale::from_code(c.value()))
            })
            .unwrap_or_else(|| {
                Locale::negotiate(
                    req.headers()
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default(),
                )
            });
        let csrf_from_cookie = req
            .cookie(&cookies.csrf_name())
            .map(|c| c.value().to_owned())
            .filter(|v| v.len() >= 32);
        let mut pending_cookies = Vec::new();
        let csrf = match &csrf_from_cookie {
            Some(token) => token.clone(),
            None => {
                let (token, _) = crate::opaque_secret::new_secret().map_err(PageError::internal)?;
                pending_cookies.push(cookies.csrf(token.clone()));
                token
            }
        };
        if let Some(l) = query_lang {
            pending_cookies.push(cookies.lang(l.code()));
        }
        state.proxy_alarm.observe(req.peer_addr().map(|a| a.ip()));
        let requester = requester(req, &state.trusted_proxies);
        let session_secret = req
            .cookie(&cookies.session_name(tenant.slug.as_ref()))
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty());
        Ok(Self {
            state,
            tenant,
            locale,
            requester,
            csrf,
            csrf_from_cookie,
            session_secret,
            cookies,
            pending_cookies,
            csp: std::cell::RefCell::default(),
            return_to: None,
            query: req.query_string().to_owned(),
            resume_cookie: req
                .cookie(&cookies.resume_name(slug))
                .and_then(|c| CookiePolicy::decode_resume(c.value())),
            member_role: std::cell::Cell::new(None),
        })
    }

    /// The form's token must equal the cookie's (double submit; the cookie
    /// is `__Host-` so no other site or subdomain can plant it). Alone, not
    /// through [`PageForm`], only for the forms that must work whatever the
    /// address's form budget: signing out, ending sessions from the account
    /// page, the consent and logout confirmations.
    pub fn verify_csrf(&self, form_token: &str) -> Result<(), PageError> {
        match &self.csrf_from_cookie {
            Some(cookie) if bool::from(cookie.as_bytes().ct_eq(form_token.as_bytes())) => Ok(()),
            _ => {
                tracing::warn!(tenant = %self.tenant.slug, "CSRF check failed");
                Err(PageError::Csrf)
            }
        }
    }

    /// Ends this browser's session, if any (its grants are revoked), and
    /// clears the session cookie.
    pub async fn log_out(&mut self) -> Result<(), PageError> {
        if let Some(secret) = self.session_secret.clone() {
            self.state
                .identity
                .logout(&self.tenant, &secret, &self.requester)
                .await
                .map_err(PageError::internal)?;
        }
        let slug = self.tenant.slug.to_string();
        self.set_cookie(self.cookies.clear_session(&slug));
        Ok(())
    }

    /// What every form submission passes first, checked by [`PageForm`]:
    /// its CSRF token, then the per-IP budget for forms.
    async fn accept_form(&self, form_token: &str) -> Result<(), PageError> {
        self.verify_csrf(form_token)?;
        self.limit_form().await
    }

    /// Per-IP budget for form submissions (an IPv6 client's /64 shares one).
    pub async fn limit_form(&self) -> Result<(), PageError> {
        self.state
            .limits
            .check_form(&self.requester.limit_key)
            .await
            .map_err(|retry_after| PageError::TooManyRequests { retry_after })
    }

    pub fn base(&self) -> String {
        format!("/t/{}", self.tenant.slug)
    }

    pub fn text(&self, key: &str) -> String {
        self.state
            .identity
            .services
            .catalog
            .format(self.locale, key, &[])
    }

    pub fn text_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.state
            .identity
            .services
            .catalog
            .format(self.locale, key, args)
    }

    /// What a console form refused by a rule says: the rule's own words.
    pub fn refused_text(&self, reason: &dyn std::fmt::Display) -> String {
        self.text_with("apps_refused", &[("reason", &reason.to_string())])
    }

    pub fn set_cookie(&mut self, cookie: Cookie<'static>) {
        self.pending_cookies.push(cookie);
    }

    /// The tenant's session cookie, holding `secret`: after a sign-in, or
    /// when the session gets a new id.
    pub fn set_session_cookie(&mut self, secret: String) {
        let slug = self.tenant.slug.to_string();
        self.set_cookie(self.cookies.session(&slug, secret));
    }

    fn builder(&self, status: StatusCode) -> HttpResponseBuilder {
        page_response(status, &self.pending_cookies)
    }

    /// Renders `template` with the common context plus `extra`.
    pub fn render(
        &self,
        status: StatusCode,
        template: &str,
        extra: Value,
    ) -> Result<HttpResponse, PageError> {
        let logo = self.tenant.settings.logo_url();
        let mut csp = self.csp.borrow().clone();
        if let Some(logo) = &logo {
            csp.allow_image(logo);
        }
        let ctx = context! {
            lang => self.locale.code(),
            t => self.state.identity.services.catalog.texts(self.locale),
            base => self.base(),
            csrf => &self.csrf,
            tenant => context! { slug => self.tenant.slug.as_ref(), name => self.tenant.display_name.as_ref(), logo_url => logo.as_ref().map(url::Url::as_str), signup_open => self.tenant.settings.signup_open() },
            return_to => &self.return_to,
            // `?return_to=…` for links to the journey's other pages, or "".
            resume_query => with_return_to("", self.return_to.as_deref(), &[]),
            lang_en => self.lang_link("en"),
            lang_fr => self.lang_link("fr"),
            member => self.member_role.get().map(|role| context! {
                role => role.as_str(),
                can_write => role.allows(Access::Write),
                can_bill => role.allows(Access::Billing),
                can_team => role.allows(Access::Team),
            }),
            ..extra
        };
        let html = self
            .state
            .pages
            .render(template, ctx)
            .map_err(PageError::internal)?;
        Ok(self
            .builder(status)
            .insert_header((header::CONTENT_SECURITY_POLICY, csp.header_value()))
            .content_type("text/html; charset=utf-8")
            .body(html))
    }

    /// Remembers the signed-in member's role on a console page: templates
    /// show only the actions it allows (`member.can_write`, …).
    pub fn set_role(&self, role: Role) {
        self.member_role.set(Some(role));
    }

    /// `?…&lang=xx`: this page in another language, keeping the rest of its
    /// query (a link's token, a login hint) and the pending request.
    fn lang_link(&self, code: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let mut has_return_to = false;
        for (k, v) in url::form_urlencoded::parse(self.query.as_bytes()) {
            if k == "lang" {
                continue;
            }
            has_return_to |= k == "return_to";
            q.append_pair(&k, &v);
        }
        if let (Some(back), false) = (&self.return_to, has_return_to) {
            q.append_pair("return_to", back);
        }
        q.append_pair("lang", code);
        format!("?{}", q.finish())
    }

    /// Checks `value` as the pending request this page continues and keeps
    /// it: the page's links and forms carry it, and its forms may end at the
    /// client's redirect URI (its origin joins `form-action`, validated here
    /// exactly as the authorize endpoint will). Returns the kept value.
    pub async fn resume(&mut self, value: Option<&str>) -> Option<String> {
        let back = self.safe_return_to(value)?;
        let query = back
            .strip_prefix(&format!("{}/authorize?", self.base()))
            .map(str::to_owned);
        if let Some(query) = query {
            let params = web::Query::<AuthorizeParams>::from_query(&query)
                .map(web::Query::into_inner)
                .unwrap_or_default();
            if let Some(target) = self.state.oauth.answer_target(&self.tenant, &params).await {
                self.allow_form_target(&target);
            }
        }
        self.return_to = Some(back.clone());
        Some(back)
    }

    /// Remembers the pending request in this browser across an emailed step
    /// (the link or code comes back here: [`Self::resume_from_cookie`]).
    pub fn remember_resume(&mut self) {
        if let Some(back) = self.return_to.clone() {
            let slug = self.tenant.slug.to_string();
            self.set_cookie(self.cookies.resume(&slug, &back));
        }
    }

    /// The pending request this browser remembered (checked like any other
    /// `return_to`), forgotten now that it is used.
    pub async fn resume_from_cookie(&mut self) -> Option<String> {
        let value = self.resume_cookie.take()?;
        self.forget_resume();
        self.resume(Some(&value)).await
    }

    /// Forgets the pending request this browser remembered: it is done.
    pub fn forget_resume(&mut self) {
        let slug = self.tenant.slug.to_string();
        self.set_cookie(self.cookies.clear_resume(&slug));
    }

    /// The pending request this page continues, if [`Self::resume`] kept one.
    pub fn return_to(&self) -> Option<&str> {
        self.return_to.as_deref()
    }

    /// Lets this page's forms end at `target`'s origin (a validated client
    /// redirect URI or a payment page): see `PageCsp`.
    pub fn allow_form_target(&self, target: &str) {
        if let Ok(url) = url::Url::parse(target) {
            self.csp.borrow_mut().allow_form_target(&url);
        }
    }

    /// Lets this page load an image from `url` (a logo being previewed).
    pub fn allow_image(&self, url: &url::Url) {
        self.csp.borrow_mut().allow_image(url);
    }

    /// A short page with a heading, a message and an optional link.
    pub fn message(
        &self,
        status: StatusCode,
        heading: &str,
        message: &str,
        action: Option<(&str, String)>,
    ) -> Result<HttpResponse, PageError> {
        let (action_label, action_url) = action
            .map_or((String::new(), String::new()), |(k, url)| {
                (self.text(k), url)
            });
        self.render(
            status,
            "message.html",
            context! { heading => self.text(heading), message => message, action_label, action_url },
        )
    }

    /// 303 to an absolute URL or path (after a POST, RFC 9700 §4.12).
    pub fn redirect_to(&self, location: &str) -> HttpResponse {
        self.see_other(location.to_owned()).response()
    }

    /// [`Self::redirect`] as the error that ends a page its visitor may not
    /// see yet: `?` answers with the redirect (see [`PageError::Redirect`]).
    pub fn redirect_first(&self, path: &str) -> PageError {
        PageError::Redirect(self.see_other(format!("{}{path}", self.base())))
    }

    fn see_other(&self, location: String) -> Redirect {
        Redirect {
            location,
            cookies: self.pending_cookies.clone(),
        }
    }

    /// `value` if it is a path back to this tenant's authorize endpoint, or,
    /// for the platform tenant, to the dashboard: the only places a login may
    /// return to (no open redirect).
    pub fn safe_return_to(&self, value: Option<&str>) -> Option<String> {
        let value = value?;
        let prefix = format!("{}/authorize?", self.base());
        let dashboard = self.tenant.slug.as_ref() == PLATFORM_SLUG
            && (value == "/dashboard" || value.starts_with("/dashboard/"));
        let ok = (value.starts_with(&prefix) || dashboard)
            && value.len() <= 4096
            && !value.contains('\\')
            && !value.contains("//")
            && !value.chars().any(char::is_control);
        ok.then(|| value.to_owned())
    }

    /// 303 to a path under the tenant (after a POST, RFC 9700 §4.12).
    pub fn redirect(&self, path: &str) -> HttpResponse {
        self.redirect_to(&format!("{}{path}", self.base()))
    }

    /// 303 back to the pending request (`return_to`, from [`Self::resume`])
    /// once signed in, else to the account page.
    pub fn redirect_back_or_account(&self, return_to: Option<&str>) -> HttpResponse {
        match return_to {
            Some(back) => self.redirect_to(back),
            None => self.redirect("/account"),
        }
    }
}

/// A 303 decided by a page: where to, and the cookies the page had set
/// (a new CSRF token, the language picked).
pub struct Redirect {
    location: String,
    cookies: Vec<Cookie<'static>>,
}

/// The cookies by name only: their values (a CSRF token) stay out of logs.
impl std::fmt::Debug for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.cookies.iter().map(Cookie::name).collect();
        f.debug_struct("Redirect")
            .field("location", &self.location)
            .field("cookies", &names)
            .finish()
    }
}

impl Redirect {
    pub fn location(&self) -> &str {
        &self.location
    }

    pub fn response(&self) -> HttpResponse {
        page_response(StatusCode::SEE_OTHER, &self.cookies)
            .insert_header((header::LOCATION, self.location.clone()))
            .finish()
    }
}

/// A page's answer with `status`, setting `cookies`.
fn page_response(status: StatusCode, cookies: &[Cookie<'static>]) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    for c in cookies {
        b.cookie(c.clone());
    }
    // Pages show per-user data and forms with tokens: never cache them.
    b.insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

impl PageCtx {
    /// The live session of this tenant behind the cookie, if any.
    pub async fn session(&self) -> Result<Option<ActiveSession>, PageError> {
        let Some(secret) = &self.session_secret else {
            return Ok(None);
        };
        self.state
            .identity
            .resolve_session(&self.tenant, secret)
            .await
            .map_err(PageError::internal)
    }

    /// The session behind the cookie once its user has fully signed in
    /// (with their second factor, when they have one).
    pub async fn signed_in(&self) -> Result<Option<ActiveSession>, PageError> {
        Ok(self
            .session()
            .await?
            .filter(ActiveSession::is_authenticated))
    }

    /// [`Self::signed_in`], else the login page first: `?` answers with the
    /// redirect (see [`PageError::Redirect`]).
    pub async fn signed_in_or_login(&self) -> Result<ActiveSession, PageError> {
        self.signed_in()
            .await?
            .ok_or_else(|| self.redirect_first("/login"))
    }

    /// Whether the tenant requires every user to use MFA (`settings.require_mfa`).
    pub fn requires_mfa(&self) -> bool {
        self.tenant.settings.require_mfa()
    }
}

/// Adds `Retry-After` to a rendered page.
pub fn with_retry_after(mut res: HttpResponse, retry_after: Option<u64>) -> HttpResponse {
    if let Some(secs) = retry_after {
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    res
}
