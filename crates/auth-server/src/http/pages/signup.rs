//! `/t/{slug}/signup`.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::context::PageCtx;
use super::error::PageError;
use super::form_failure;
use crate::identity::signup::SignupForm;

#[derive(Deserialize)]
pub struct SignupBody {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    username: String,
}

pub async fn show_signup(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    if !signups_open(&ctx).await {
        return signups_closed(&ctx);
    }
    ctx.render(
        StatusCode::OK,
        "signup.html",
        context! { email => "", display_name => "" },
    )
}

pub async fn submit_signup(
    ctx: PageCtx,
    form: web::Form<SignupBody>,
) -> Result<HttpResponse, PageError> {
    ctx.verify_csrf(&form.csrf)?;
    ctx.limit_form()?;
    ctx.state
        .limits
        .check_signup(&ctx.tenant.id.to_string())
        .map_err(|retry_after| PageError::TooManyRequests { retry_after })?;
    if !signups_open(&ctx).await {
        return signups_closed(&ctx);
    }
    let form = form.into_inner();
    let input = SignupForm {
        email: form.email,
        password: form.password,
        display_name: form.display_name,
        username: form.username,
    };
    match ctx
        .state
        .identity
        .signup(&ctx.tenant, &input, &ctx.client, ctx.locale)
        .await
    {
        Ok(()) => {
            let message = ctx.text_with("signup_done", &[("email", input.email.trim())]);
            ctx.message(
                StatusCode::OK,
                "signup_done_heading",
                &message,
                Some(("login_link", format!("{}/login", ctx.base()))),
            )
        }
        Err(e) => {
            let failure = form_failure(&ctx, e)?;
            ctx.render(
                failure.status,
                "signup.html",
                context! { error => failure.message, email => input.email, display_name => input.display_name },
            )
        }
    }
}

/// Whether the tenant's plan lets new accounts in (billing's entitlements,
/// cached; open when billing is off or has never answered).
async fn signups_open(ctx: &PageCtx) -> bool {
    ctx.state
        .billing
        .entitlements
        .signups_allowed(&ctx.tenant)
        .await
}

/// Over the hard quota: no new accounts; existing users still sign in.
fn signups_closed(ctx: &PageCtx) -> Result<HttpResponse, PageError> {
    ctx.message(
        StatusCode::FORBIDDEN,
        "signups_closed_heading",
        &ctx.text("signups_closed"),
        Some(("signups_closed_login", format!("{}/login", ctx.base()))),
    )
}
