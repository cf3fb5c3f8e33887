//! Sign-in through an upstream provider: `/t/{slug}/upstream/{provider}`
//! starts it (a link on the login and sign-up pages), `POST
//! /t/{slug}/upstream/{provider}/link` starts linking from the account page,
//! and `/t/{slug}/upstream/callback` is where every provider sends the
//! browser back.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::context::{PageCtx, PageForm};
use super::error::PageError;
use super::login::CsrfOnly;
use super::return_to::with_return_to;
use crate::domain::session::SessionStage;
use crate::identity::upstream::{Callback, Intent, UpstreamDone, UpstreamError, UpstreamStart};
use crate::identity::IdentityError;

#[derive(Deserialize)]
pub struct StartQuery {
    return_to: Option<String>,
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn start(
    mut ctx: PageCtx,
    path: web::Path<(String, String)>,
    q: web::Query<StartQuery>,
) -> Result<HttpResponse, PageError> {
    let (_, provider) = path.into_inner();
    let return_to = ctx.resume(q.return_to.as_deref()).await;
    let started = ctx
        .state
        .identity
        .upstream_start(&ctx.tenant, &provider, Intent::SignIn, return_to)
        .await;
    go_to_provider(ctx, started)
}

/// From the account page: link a provider account to the signed-in user.
pub async fn start_link(
    PageForm { ctx, .. }: PageForm<CsrfOnly>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (_, provider) = path.into_inner();
    let session = ctx.signed_in_or_login().await?;
    let started = ctx
        .state
        .identity
        .upstream_start(&ctx.tenant, &provider, Intent::Link(session.user.id), None)
        .await;
    go_to_provider(ctx, started)
}

fn go_to_provider(
    mut ctx: PageCtx,
    started: Result<UpstreamStart, UpstreamError>,
) -> Result<HttpResponse, PageError> {
    match started {
        Ok(start) => {
            let slug = ctx.tenant.slug.to_string();
            ctx.set_cookie(ctx.cookies.upstream(&slug, start.attempt));
            Ok(ctx.redirect_to(&start.location))
        }
        Err(e) => refused(&ctx, e),
    }
}

/// `POST /t/{slug}/upstream/callback`: a provider that answers with a form
/// post (`response_mode=form_post`: Apple) posts from its own site, so the
/// browser sends none of this site's `SameSite=Lax` cookies (the attempt,
/// the session). The answer is relayed to the `GET` callback by a page
/// that refreshes to it, a same-site navigation that carries them. The code
/// in that URL is single-use and bound to the attempt's PKCE verifier, as
/// in any query-mode answer.
pub async fn callback_post(
    ctx: PageCtx,
    form: web::Form<CallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("code", &form.code),
        ("state", &form.state),
        ("error", &form.error),
    ] {
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    let next = format!("{}/upstream/callback?{}", ctx.base(), query.finish());
    ctx.render(
        StatusCode::OK,
        "upstream_continue.html",
        minijinja::context! { next, relay => true },
    )
}

pub async fn callback(
    mut ctx: PageCtx,
    req: HttpRequest,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let slug = ctx.tenant.slug.to_string();
    let attempt = req
        .cookie(&ctx.cookies.upstream_name(&slug))
        .map(|c| c.value().to_owned());
    // One attempt, one answer: whatever happens, the attempt is spent.
    ctx.set_cookie(ctx.cookies.clear_upstream(&slug));
    let q = q.into_inner();
    let signed_in = ctx.signed_in().await?.map(|s| s.user.id);
    let signups_allowed = ctx
        .state
        .billing
        .entitlements
        .signups_allowed(&ctx.tenant)
        .await;
    let done = ctx
        .state
        .identity
        .upstream_finish(
            &ctx.tenant,
            Callback {
                code: q.code,
                state: q.state,
                error: q.error,
            },
            attempt.as_deref(),
            signed_in,
            &ctx.requester,
            ctx.session_secret.as_deref(),
            signups_allowed,
            ctx.locale,
        )
        .await;
    match done {
        Ok(UpstreamDone::SignedIn {
            logged_in,
            return_to,
        }) => {
            ctx.set_session_cookie(logged_in.session_secret);
            let back = ctx.resume(return_to.as_deref()).await;
            let next = match (logged_in.stage, back) {
                (SessionStage::MfaPending, back) => format!(
                    "{}{}",
                    ctx.base(),
                    with_return_to("/mfa", back.as_deref(), &[])
                ),
                (SessionStage::Authenticated, Some(back)) => back,
                (SessionStage::Authenticated, None) if ctx.requires_mfa() => {
                    format!("{}/mfa/enroll", ctx.base())
                }
                (SessionStage::Authenticated, None) => format!("{}/account", ctx.base()),
            };
            // A page, not a 303: when the provider's answer came from a
            // form (its own login page), a browser checks every redirect
            // of that navigation against the form page's `form-action`,
            // which cannot name the app this request goes back to. The
            // refresh is a navigation of its own.
            ctx.render(
                StatusCode::OK,
                "upstream_continue.html",
                minijinja::context! { next },
            )
        }
        Ok(UpstreamDone::Linked { provider }) => {
            let message = ctx.text_with("upstream_linked", &[("provider", &provider)]);
            ctx.message(
                StatusCode::OK,
                "account_title",
                &message,
                Some((
                    "upstream_back_to_account",
                    format!("{}/account", ctx.base()),
                )),
            )
        }
        Ok(UpstreamDone::CheckEmail { email }) => {
            let message = ctx.text_with("upstream_check_email", &[("email", &email)]);
            ctx.message(StatusCode::OK, "upstream_title", &message, None)
        }
        Err(e) => refused(&ctx, e),
    }
}

/// The page that says why an upstream sign-in ended; the cause is logged
/// when it is not the visitor's doing.
fn refused(ctx: &PageCtx, e: UpstreamError) -> Result<HttpResponse, PageError> {
    let e = match e {
        UpstreamError::Identity(IdentityError::Busy { retry_after }) => {
            return Err(PageError::Busy { retry_after })
        }
        UpstreamError::Identity(inner) => return Err(PageError::internal(inner)),
        other => other,
    };
    let (status, key) = match &e {
        UpstreamError::UnknownProvider => (StatusCode::NOT_FOUND, "upstream_unknown"),
        UpstreamError::NoAttempt | UpstreamError::StateMismatch => {
            (StatusCode::BAD_REQUEST, "upstream_no_attempt")
        }
        UpstreamError::RequestTooLong => (StatusCode::BAD_REQUEST, "upstream_too_long"),
        UpstreamError::Refused(_) => (StatusCode::BAD_REQUEST, "upstream_refused"),
        UpstreamError::Provider(_)
        | UpstreamError::IdToken(_)
        | UpstreamError::Token(_)
        | UpstreamError::Userinfo(_)
        | UpstreamError::Identity(_) => {
            tracing::warn!(tenant = %ctx.tenant.slug, error = %e, "upstream sign-in failed");
            (StatusCode::BAD_GATEWAY, "upstream_failed")
        }
        UpstreamError::NoEmail => (StatusCode::BAD_REQUEST, "upstream_no_email"),
        UpstreamError::ExistingAccount { .. } => (StatusCode::CONFLICT, "upstream_existing"),
        UpstreamError::SignupClosed => (StatusCode::FORBIDDEN, "signups_off"),
        UpstreamError::Disabled => (StatusCode::FORBIDDEN, "upstream_disabled"),
        UpstreamError::LinkedElsewhere => (StatusCode::CONFLICT, "upstream_linked_elsewhere"),
        UpstreamError::LastWayIn => (StatusCode::CONFLICT, "upstream_last_way_in"),
    };
    ctx.message(
        status,
        "upstream_title",
        &ctx.text(key),
        Some(("login_link", format!("{}/login", ctx.base()))),
    )
}

/// `POST /t/{slug}/account/upstream/{provider_id}/unlink`.
pub async fn unlink(
    PageForm { ctx, .. }: PageForm<CsrfOnly>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (_, provider_id) = path.into_inner();
    let session = ctx.signed_in_or_login().await?;
    match ctx
        .state
        .identity
        .upstream_unlink(&ctx.tenant, &session.user, &provider_id, &ctx.requester)
        .await
    {
        Ok(()) => Ok(ctx.redirect("/account")),
        Err(e) => refused(&ctx, e),
    }
}
