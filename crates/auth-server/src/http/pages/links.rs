//! Pages behind emailed links, and the forgot-password form. A GET only
//! checks the link and shows a button; the POST uses it (mail scanners that
//! fetch links must not burn them).
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;

use super::context::{csrf_field, PageCtx, PageForm};
use super::error::PageError;
use super::form_failure;
use super::login::login_path;
use super::return_to::ReturnQuery;
use crate::domain::one_time_token::Purpose;
use crate::identity::IdentityError;

csrf_field!(TokenBody, EmailBody);

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenBody {
    csrf: String,
    token: String,
    password: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailBody {
    csrf: String,
    email: String,
    return_to: Option<String>,
}

/// Texts of a confirm-by-button link page: heading, explanation, button, done.
struct LinkPage {
    purpose: Purpose,
    path: &'static str,
    heading: &'static str,
    confirm: &'static str,
    button: &'static str,
}

const VERIFY: LinkPage = LinkPage {
    purpose: Purpose::VerifyEmail,
    path: "/verify-email",
    heading: "verify_heading",
    confirm: "verify_confirm",
    button: "verify_button",
};
const UNLOCK: LinkPage = LinkPage {
    purpose: Purpose::Unlock,
    path: "/unlock",
    heading: "unlock_heading",
    confirm: "unlock_confirm",
    button: "unlock_button",
};

fn link_problem_page(ctx: &PageCtx, e: IdentityError) -> Result<HttpResponse, PageError> {
    let failure = form_failure(ctx, e)?;
    ctx.message(
        failure.status,
        "link_problem_heading",
        &failure.message,
        Some(("login_link", format!("{}/login", ctx.base()))),
    )
}

/// `template` with `extra` when the link `token` (for `purpose`) can still
/// be used; otherwise the page that says why not.
async fn link_page(
    ctx: &PageCtx,
    token: &str,
    purpose: Purpose,
    template: &str,
    extra: Value,
) -> Result<HttpResponse, PageError> {
    if let Err(e) = ctx
        .state
        .identity
        .check_link(&ctx.tenant, token, purpose)
        .await
    {
        return link_problem_page(ctx, e);
    }
    ctx.render(StatusCode::OK, template, extra)
}

async fn show_link(ctx: PageCtx, token: &str, page: &LinkPage) -> Result<HttpResponse, PageError> {
    let texts = context! {
        heading => ctx.text(page.heading), message => ctx.text(page.confirm), button => ctx.text(page.button),
        action => format!("{}{}", ctx.base(), page.path), token,
    };
    link_page(&ctx, token, page.purpose, "confirm_link.html", texts).await
}

pub async fn show_verify_email(
    ctx: PageCtx,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    show_link(ctx, &q.token, &VERIFY).await
}

/// In the browser that signed up, the journey goes on at the login page;
/// elsewhere, the page says to go back to the first window.
pub async fn submit_verify_email(
    PageForm { mut ctx, form }: PageForm<TokenBody>,
) -> Result<HttpResponse, PageError> {
    match ctx
        .state
        .identity
        .verify_email(&ctx.tenant, &form.token, &ctx.requester)
        .await
    {
        Ok(email) => match ctx.resume_from_cookie().await {
            Some(back) => {
                Ok(ctx.redirect(&login_path(Some(&back), Some(email.address()), "verified")))
            }
            None => done(&ctx, VERIFY.heading, "verify_done_elsewhere"),
        },
        Err(e) => link_problem_page(&ctx, e),
    }
}

pub async fn show_unlock(
    ctx: PageCtx,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    show_link(ctx, &q.token, &UNLOCK).await
}

pub async fn submit_unlock(
    PageForm { ctx, form }: PageForm<TokenBody>,
) -> Result<HttpResponse, PageError> {
    match ctx
        .state
        .identity
        .unlock(&ctx.tenant, &form.token, &ctx.requester)
        .await
    {
        Ok(()) => done(&ctx, UNLOCK.heading, "unlock_done"),
        Err(e) => link_problem_page(&ctx, e),
    }
}

fn done(ctx: &PageCtx, heading: &str, key: &str) -> Result<HttpResponse, PageError> {
    let message = ctx.text(key);
    ctx.message(
        StatusCode::OK,
        heading,
        &message,
        Some(("login_link", format!("{}/login", ctx.base()))),
    )
}

pub async fn show_forgot(
    mut ctx: PageCtx,
    q: web::Query<ReturnQuery>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(q.return_to.as_deref()).await;
    ctx.render(
        StatusCode::OK,
        "forgot_password.html",
        context! { email => "" },
    )
}

pub async fn submit_forgot(
    PageForm { mut ctx, form }: PageForm<EmailBody>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(form.return_to.as_deref()).await;
    if let Err(e) =
        ctx.state
            .identity
            .forgot_password(&ctx.tenant, &form.email, &ctx.requester, ctx.locale)
    {
        let failure = form_failure(&ctx, e)?;
        return ctx.render(
            failure.status,
            "forgot_password.html",
            context! { error => failure.message, email => &form.email },
        );
    }
    // The reset link opened in this browser goes back to the pending request.
    ctx.remember_resume();
    done(&ctx, "forgot_title", "forgot_done")
}

pub async fn show_reset(
    ctx: PageCtx,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let extra = context! { token => &q.token };
    link_page(
        &ctx,
        &q.token,
        Purpose::ResetPassword,
        "reset_password.html",
        extra,
    )
    .await
}

pub async fn submit_reset(
    PageForm { mut ctx, form }: PageForm<TokenBody>,
) -> Result<HttpResponse, PageError> {
    match ctx
        .state
        .identity
        .reset_password(&ctx.tenant, &form.token, &form.password, &ctx.requester)
        .await
    {
        Ok(()) => match ctx.resume_from_cookie().await {
            Some(back) => Ok(ctx.redirect(&login_path(Some(&back), None, "reset"))),
            None => done(&ctx, "reset_title", "reset_done"),
        },
        Err(e @ IdentityError::Link(_)) => link_problem_page(&ctx, e),
        Err(e) => {
            let failure = form_failure(&ctx, e)?;
            ctx.render(
                failure.status,
                "reset_password.html",
                context! { error => failure.message, token => &form.token },
            )
        }
    }
}
