//! `/t/{slug}/login` and `/t/{slug}/logout`.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::context::{csrf_field, with_retry_after, PageCtx, PageForm};
use super::error::PageError;
use super::form_failure;
use super::return_to::with_return_to;
use crate::domain::session::SessionStage;

csrf_field!(LoginBody, CsrfOnly);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginBody {
    csrf: String,
    email: String,
    password: String,
    return_to: Option<String>,
}

/// `?return_to=` (back to an authorization request), `?login_hint=`, and
/// `?notice=` after a step done elsewhere (`verified`, `reset`).
#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    login_hint: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

pub async fn show_login(
    mut ctx: PageCtx,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let return_to = ctx.resume(q.return_to.as_deref()).await;
    if ctx.session().await?.is_some_and(|s| s.is_authenticated()) && return_to.is_none() {
        return Ok(ctx.redirect("/account"));
    }
    let email = q.login_hint.clone().unwrap_or_default();
    let notice = match q.notice.as_deref() {
        Some("verified") => Some(ctx.text("login_after_verify")),
        Some("reset") => Some(ctx.text("login_after_reset")),
        _ => None,
    };
    let providers = upstream_buttons(&ctx).await?;
    ctx.render(
        StatusCode::OK,
        "login.html",
        context! { email, notice, providers, passkeys => ctx.state.identity.passkeys_available() },
    )
}

/// The tenant's enabled upstream providers, as the login and sign-up pages
/// show their buttons.
pub async fn upstream_buttons(ctx: &PageCtx) -> Result<Vec<minijinja::Value>, PageError> {
    Ok(ctx
        .state
        .identity
        .upstream_buttons(&ctx.tenant)
        .await
        .map_err(PageError::internal)?
        .iter()
        .map(|p| context! { slug => p.slug.as_ref(), name => p.display_name.as_ref() })
        .collect())
}

/// The login page, back to `return_to` when there is one, with `email`
/// filled in and a notice saying what was just done (`verified`, `reset`).
pub fn login_path(return_to: Option<&str>, email: Option<&str>, notice: &str) -> String {
    let mut extra = Vec::with_capacity(2);
    if let Some(email) = email {
        extra.push(("login_hint", email));
    }
    extra.push(("notice", notice));
    with_return_to("/login", return_to, &extra)
}

pub async fn submit_login(
    PageForm { mut ctx, form }: PageForm<LoginBody>,
) -> Result<HttpResponse, PageError> {
    let return_to = ctx.resume(form.return_to.as_deref()).await;
    let outcome = ctx
        .state
        .identity
        .login(
            &ctx.tenant,
            &form.email,
            &form.password,
            &ctx.requester,
            ctx.session_secret.as_deref(),
            ctx.locale,
        )
        .await;
    match outcome {
        Ok(done) => {
            ctx.set_session_cookie(done.session_secret);
            let offer_passkey = done.first_sign_in
                && ctx.state.identity.passkeys_available()
                && !ctx.requires_mfa();
            Ok(match (done.stage, return_to) {
                // An account under attack, without TOTP: a mailed code.
                (SessionStage::MfaPending, back) if done.emailed_code => {
                    ctx.redirect(&with_return_to("/step-up", back.as_deref(), &[]))
                }
                (SessionStage::MfaPending, back) => {
                    ctx.redirect(&with_return_to("/mfa", back.as_deref(), &[]))
                }
                // Right after sign-up: a passkey for next time (or not now).
                (SessionStage::Authenticated, back) if offer_passkey => {
                    ctx.redirect(&with_return_to("/passkeys/offer", back.as_deref(), &[]))
                }
                (SessionStage::Authenticated, Some(back)) => ctx.redirect_to(&back),
                (SessionStage::Authenticated, None) if ctx.requires_mfa() => {
                    ctx.redirect("/mfa/enroll")
                }
                (SessionStage::Authenticated, None) => ctx.redirect("/account"),
            })
        }
        Err(e) => {
            let failure = form_failure(&ctx, e)?;
            let providers = upstream_buttons(&ctx).await?;
            let res = ctx.render(
                failure.status,
                "login.html",
                context! {
                    error => failure.message, email => &form.email, providers,
                    passkeys => ctx.state.identity.passkeys_available(),
                },
            )?;
            Ok(with_retry_after(res, failure.retry_after))
        }
    }
}

pub async fn submit_logout(
    mut ctx: PageCtx,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    ctx.verify_csrf(&form.csrf)?;
    ctx.log_out().await?;
    let message = ctx.text("logged_out");
    ctx.message(
        StatusCode::OK,
        "login_title",
        &message,
        Some(("login_link", format!("{}/login", ctx.base()))),
    )
}

pub async fn tenant_home(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    Ok(
        if ctx.session().await?.is_some_and(|s| s.is_authenticated()) {
            ctx.redirect("/account")
        } else {
            ctx.redirect("/login")
        },
    )
}
