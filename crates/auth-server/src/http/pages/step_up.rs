//! `/t/{slug}/step-up`: the second step of a password login when the
//! sentinel marked the account as under attack and the user has no TOTP: a
//! code mailed to them (`identity::step_up`). `/step-up/resend` mails
//! another, within the account's budget.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::context::{csrf_field, with_retry_after, PageCtx, PageForm};
use super::error::PageError;
use super::return_to::{with_return_to, ReturnQuery};
use super::{form_failure, second_step_answer};
use crate::domain::sentinel::step_up::CODE_MAIL_WINDOW_SECS;
use crate::identity::sessions::ActiveSession;
use crate::identity::step_up::Resent;

csrf_field!(StepUpBody);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepUpBody {
    csrf: String,
    code: String,
    return_to: Option<String>,
}

/// Where a visitor who is not (or no longer) in this step goes instead.
fn elsewhere(ctx: &PageCtx, session: Option<&ActiveSession>) -> Option<HttpResponse> {
    match session {
        None => Some(ctx.redirect("/login")),
        Some(s) if s.is_authenticated() => Some(ctx.redirect("/account")),
        Some(s) if s.user.mfa_enabled() => {
            Some(ctx.redirect(&with_return_to("/mfa", ctx.return_to(), &[])))
        }
        Some(_) => None,
    }
}

pub async fn show_step_up(
    mut ctx: PageCtx,
    q: web::Query<ReturnQuery>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(q.return_to.as_deref()).await;
    let session = ctx.session().await?;
    if let Some(away) = elsewhere(&ctx, session.as_ref()) {
        return Ok(away);
    }
    ctx.render(StatusCode::OK, "step_up.html", context! {})
}

pub async fn submit_step_up(
    PageForm { mut ctx, form }: PageForm<StepUpBody>,
) -> Result<HttpResponse, PageError> {
    let return_to = ctx.resume(form.return_to.as_deref()).await;
    let session = ctx.session().await?;
    if let Some(away) = elsewhere(&ctx, session.as_ref()) {
        return Ok(away);
    }
    let Some(session) = session else {
        return Ok(ctx.redirect("/login"));
    };
    let done = ctx
        .state
        .identity
        .step_up_challenge(
            &ctx.tenant,
            &session,
            &form.code,
            &ctx.requester,
            ctx.locale,
        )
        .await;
    second_step_answer(&mut ctx, done, "step_up.html", return_to.as_deref())
}

pub async fn resend_step_up(
    PageForm { mut ctx, form }: PageForm<StepUpBody>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(form.return_to.as_deref()).await;
    let session = ctx.session().await?;
    if let Some(away) = elsewhere(&ctx, session.as_ref()) {
        return Ok(away);
    }
    let Some(session) = session else {
        return Ok(ctx.redirect("/login"));
    };
    match ctx
        .state
        .identity
        .resend_step_up_code(&ctx.tenant, &session, ctx.locale)
        .await
    {
        Ok(Resent::Sent) => ctx.render(
            StatusCode::OK,
            "step_up.html",
            context! { notice => ctx.text("step_up_resent") },
        ),
        Ok(Resent::TooSoon) => {
            let res = ctx.render(
                StatusCode::TOO_MANY_REQUESTS,
                "step_up.html",
                context! { error => ctx.text("step_up_resend_limit") },
            )?;
            let wait = u64::try_from(CODE_MAIL_WINDOW_SECS).unwrap_or(600);
            Ok(with_retry_after(res, Some(wait)))
        }
        Err(e) => {
            let failure = form_failure(&ctx, e)?;
            let res = ctx.render(
                failure.status,
                "step_up.html",
                context! { error => failure.message },
            )?;
            Ok(with_retry_after(res, failure.retry_after))
        }
    }
}
