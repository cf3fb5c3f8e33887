//! `/t/{slug}/signup`.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::context::{csrf_field, PageCtx, PageForm};
use super::error::PageError;
use super::form_failure;
use super::login::login_path;
use super::return_to::{with_return_to, ReturnQuery};
use crate::identity::signup::SignupForm;

csrf_field!(SignupBody, CodeBody);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignupBody {
    csrf: String,
    email: String,
    password: String,
    display_name: String,
    return_to: Option<String>,
}

/// The six-digit code from the verification mail, typed on the page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeBody {
    csrf: String,
    email: String,
    code: String,
    return_to: Option<String>,
}

pub async fn show_signup(
    mut ctx: PageCtx,
    q: web::Query<ReturnQuery>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(q.return_to.as_deref()).await;
    if let Some(why) = signups_closed(&ctx).await {
        return closed_page(&ctx, why);
    }
    let providers = super::login::upstream_buttons(&ctx).await?;
    ctx.render(
        StatusCode::OK,
        "signup.html",
        context! { email => "", display_name => "", providers },
    )
}

pub async fn submit_signup(
    PageForm { mut ctx, form }: PageForm<SignupBody>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(form.return_to.as_deref()).await;
    if let Some(why) = signups_closed(&ctx).await {
        return closed_page(&ctx, why);
    }
    let input = SignupForm {
        email: form.email,
        password: form.password,
        display_name: form.display_name,
    };
    let done = match input.parse() {
        Ok(request) => {
            // Only a well-formed signup spends the tenant's budget.
            ctx.state
                .limits
                .check_signup(&ctx.tenant.id.to_string())
                .await
                .map_err(|retry_after| PageError::TooManyRequests { retry_after })?;
            ctx.state
                .identity
                .signup(&ctx.tenant, request, &ctx.requester, ctx.locale)
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => {
            // The same answer whether or not the address had an account.
            ctx.remember_resume();
            check_email(&ctx, StatusCode::OK, input.email.trim(), None)
        }
        Err(e) => {
            let failure = form_failure(&ctx, e)?;
            let providers = super::login::upstream_buttons(&ctx).await?;
            ctx.render(
                failure.status,
                "signup.html",
                context! { error => failure.message, email => input.email, display_name => input.display_name, providers },
            )
        }
    }
}

/// Why the sign-up page takes no new accounts, as the text key that says
/// so: the tenant closed sign-up (`signup_open: false`), or its plan's hard
/// quota is reached (billing's entitlements, cached; open when billing is
/// off or has never answered). Existing users still sign in.
async fn signups_closed(ctx: &PageCtx) -> Option<&'static str> {
    if !ctx.tenant.settings.signup_open() {
        return Some("signups_off");
    }
    let allowed = ctx
        .state
        .billing
        .entitlements
        .signups_allowed(&ctx.tenant)
        .await;
    (!allowed).then_some("signups_closed")
}

fn closed_page(ctx: &PageCtx, why: &str) -> Result<HttpResponse, PageError> {
    ctx.message(
        StatusCode::FORBIDDEN,
        "signups_closed_heading",
        &ctx.text(why),
        Some(("signups_closed_login", format!("{}/login", ctx.base()))),
    )
}

/// "Check your email": type the code here, or open the link (in this
/// browser the journey goes on; elsewhere, come back here and log in).
fn check_email(
    ctx: &PageCtx,
    status: StatusCode,
    email: &str,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let message = ctx.text_with("signup_done", &[("email", email)]);
    ctx.render(
        status,
        "check_email.html",
        context! {
            message, email, error,
            // Nothing is verified yet: no "confirmed" notice on this link.
            login_path => with_return_to("/login", ctx.return_to(), &[("login_hint", email)]),
        },
    )
}

/// `POST /t/{slug}/verify-email/code`: the address is verified by the code
/// typed on the page, and the journey goes on at the login page.
pub async fn submit_code(
    PageForm { mut ctx, form }: PageForm<CodeBody>,
) -> Result<HttpResponse, PageError> {
    let return_to = ctx.resume(form.return_to.as_deref()).await;
    match ctx
        .state
        .identity
        .verify_email_code(&ctx.tenant, &form.email, &form.code, &ctx.requester)
        .await
    {
        Ok(email) => {
            ctx.forget_resume();
            Ok(ctx.redirect(&login_path(
                return_to.as_deref(),
                Some(email.address()),
                "verified",
            )))
        }
        Err(e) => {
            let failure = form_failure(&ctx, e)?;
            check_email(
                &ctx,
                failure.status,
                form.email.trim(),
                Some(failure.message),
            )
        }
    }
}
