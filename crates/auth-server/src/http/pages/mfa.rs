//! `/t/{slug}/mfa` (the login's second step) and `/t/{slug}/mfa/enroll`.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::context::{csrf_field, with_retry_after, PageCtx, PageForm};
use super::error::PageError;
use super::return_to::{with_return_to, ReturnQuery};
use super::{form_failure, second_step_answer};
use crate::identity::IdentityError;

csrf_field!(CodeBody);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeBody {
    csrf: String,
    code: String,
    password: String,
    return_to: Option<String>,
}

pub async fn show_challenge(
    mut ctx: PageCtx,
    q: web::Query<ReturnQuery>,
) -> Result<HttpResponse, PageError> {
    match ctx.session().await? {
        // A login stepped up without TOTP owes a mailed code instead.
        Some(s) if !s.is_authenticated() && !s.user.mfa_enabled() => {
            let back = ctx.resume(q.return_to.as_deref()).await;
            Ok(ctx.redirect(&with_return_to("/step-up", back.as_deref(), &[])))
        }
        Some(s) if !s.is_authenticated() => {
            ctx.resume(q.return_to.as_deref()).await;
            ctx.render(StatusCode::OK, "mfa_challenge.html", context! {})
        }
        Some(_) => Ok(ctx.redirect("/account")),
        None => Ok(ctx.redirect("/login")),
    }
}

pub async fn submit_challenge(
    PageForm { mut ctx, form }: PageForm<CodeBody>,
) -> Result<HttpResponse, PageError> {
    let return_to = ctx.resume(form.return_to.as_deref()).await;
    let Some(session) = ctx.session().await? else {
        return Ok(ctx.redirect("/login"));
    };
    if session.is_authenticated() {
        return Ok(ctx.redirect("/account"));
    }
    let done = ctx
        .state
        .identity
        .challenge(&ctx.tenant, &session, &form.code, &ctx.requester)
        .await;
    second_step_answer(&mut ctx, done, "mfa_challenge.html", return_to.as_deref())
}

/// Enrolment, step one: the current password (no seed is shown before it).
pub async fn show_enroll(
    mut ctx: PageCtx,
    q: web::Query<ReturnQuery>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(q.return_to.as_deref()).await;
    let session = ctx.signed_in_or_login().await?;
    if session.is_multi_factor() {
        return Ok(match ctx.return_to() {
            Some(back) => ctx.redirect_to(back),
            None => ctx.redirect("/account"),
        });
    }
    render_password_step(&ctx, StatusCode::OK, None)
}

/// Step two: the password checked, a new seed to scan and a code to type.
pub async fn submit_enroll_password(
    PageForm { mut ctx, form }: PageForm<CodeBody>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(form.return_to.as_deref()).await;
    let session = ctx.signed_in_or_login().await?;
    match ctx
        .state
        .identity
        .begin_enrolment(
            &ctx.tenant,
            &session,
            &form.password,
            &ctx.requester,
            ctx.locale,
        )
        .await
    {
        Ok(enrolment) => ctx.render(
            StatusCode::OK,
            "mfa_enroll.html",
            context! { qr => enrolment.qr_data_uri, manual_key => enrolment.manual_key },
        ),
        Err(e) => {
            let failure = form_failure(&ctx, e)?;
            let res = render_password_step(&ctx, failure.status, Some(failure.message))?;
            Ok(with_retry_after(res, failure.retry_after))
        }
    }
}

/// Step three: a code of the new seed turns MFA on.
pub async fn submit_enroll(
    PageForm { mut ctx, form }: PageForm<CodeBody>,
) -> Result<HttpResponse, PageError> {
    ctx.resume(form.return_to.as_deref()).await;
    let Some(session) = ctx.signed_in().await? else {
        return Ok(ctx.redirect("/login"));
    };
    match ctx
        .state
        .identity
        .confirm_enrolment(&ctx.tenant, &session, &form.code, &ctx.requester)
        .await
    {
        Ok(codes) => {
            // A privilege change: the session gets a new id.
            let new_secret = ctx
                .state
                .identity
                .reissue_session(&ctx.tenant, &session, "otp", &ctx.requester)
                .await
                .map_err(PageError::internal)?;
            ctx.set_session_cookie(new_secret);
            ctx.render(StatusCode::OK, "recovery_codes.html", context! { codes })
        }
        Err(IdentityError::Field(key)) if key == "err_enrolment_expired" => {
            let message = ctx.text(key);
            render_password_step(&ctx, StatusCode::GONE, Some(message))
        }
        Err(e) => {
            // The seed is not shown again: only right after the password.
            let failure = form_failure(&ctx, e)?;
            let restart =
                with_return_to(&format!("{}/mfa/enroll", ctx.base()), ctx.return_to(), &[]);
            let res = ctx.render(
                failure.status,
                "mfa_enroll.html",
                context! { error => failure.message, code_only => true, restart },
            )?;
            Ok(with_retry_after(res, failure.retry_after))
        }
    }
}

fn render_password_step(
    ctx: &PageCtx,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let notice = ctx.requires_mfa().then(|| ctx.text("mfa_required_notice"));
    // A passkey is a second factor too (and the only one for an account
    // without a password).
    let passkeys = ctx.state.identity.passkeys_available();
    ctx.render(
        status,
        "mfa_enroll.html",
        context! { password_step => true, error, notice, passkeys },
    )
}
