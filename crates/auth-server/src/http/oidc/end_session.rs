//! `/t/{slug}/end_session` (OIDC RP-Initiated Logout): GET shows the
//! confirmation page unless the request proves it comes from the user's own
//! app (`oauth::logout`); the confirming POST carries every parameter in its
//! body, ends the session and goes to the registered
//! `post_logout_redirect_uri` with `state`.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use crate::http::pages::context::PageCtx;
use crate::http::pages::error::PageError;
use crate::oauth::logout::{EndSessionRequest, LogoutPlan};

/// The request, and on the confirming POST the form's CSRF token and answer.
#[derive(Deserialize, Default)]
pub struct EndSessionParams {
    #[serde(flatten)]
    request: EndSessionRequest,
    csrf: Option<String>,
    confirm: Option<String>,
}

pub async fn end_session_get(
    ctx: PageCtx,
    q: web::Query<EndSessionParams>,
) -> Result<HttpResponse, PageError> {
    handle(ctx, q.into_inner(), false).await
}

pub async fn end_session_post(
    ctx: PageCtx,
    f: web::Form<EndSessionParams>,
) -> Result<HttpResponse, PageError> {
    handle(ctx, f.into_inner(), true).await
}

async fn handle(
    mut ctx: PageCtx,
    p: EndSessionParams,
    posted: bool,
) -> Result<HttpResponse, PageError> {
    let session = ctx.signed_in().await?;
    let user = session.as_ref().map(|s| s.user.id.to_string());
    let plan = match ctx
        .state
        .oauth
        .plan_logout(&ctx.tenant, &p.request, user.as_deref())
        .await
    {
        Ok(plan) => plan,
        Err(refusal) => {
            return ctx.message(
                StatusCode::BAD_REQUEST,
                "authorize_error_heading",
                &refusal.to_string(),
                None,
            )
        }
    };
    let confirmed = posted
        && p.confirm.as_deref() == Some("yes")
        && ctx
            .verify_csrf(p.csrf.as_deref().unwrap_or_default())
            .is_ok();
    if plan.confirm && !confirmed {
        return confirmation_page(&ctx, &plan);
    }
    ctx.log_out().await?;
    match plan.destination() {
        Some(uri) => Ok(ctx.redirect_to(&uri)),
        None => {
            let message = ctx.text("logged_out");
            ctx.message(StatusCode::OK, "login_title", &message, None)
        }
    }
}

/// "Do you want to log out?", with the request in the form's body; its
/// answer redirects to the client, whose origin the CSP admits.
fn confirmation_page(ctx: &PageCtx, plan: &LogoutPlan) -> Result<HttpResponse, PageError> {
    if let Some(uri) = &plan.redirect {
        ctx.allow_form_target(uri);
    }
    ctx.render(
        StatusCode::OK,
        "logout_confirm.html",
        context! {
            post_logout_redirect_uri => &plan.redirect,
            state => &plan.state,
            client_id => &plan.client_id,
        },
    )
}
