//! `/t/{slug}/authorize` (GET and POST) and the consent decision.
//!
//! Needs a logged-in session of the tenant: without one (or with
//! `prompt=login`, or an `auth_time` older than `max_age`) the user goes to
//! the login page and comes back here. Third-party clients get a consent
//! screen, remembered per user and client.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use crate::error::OAuthCode;
use crate::http::pages::context::PageCtx;
use crate::http::pages::error::PageError;
use crate::http::pages::return_to::with_return_to;
use crate::identity::sessions::ActiveSession;
use crate::oauth::authorize::{AuthorizeParams, Refusal, ValidAuthorize};

#[derive(Deserialize)]
pub struct ConsentBody {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    authz: String,
    #[serde(default)]
    decision: String,
}

/// The request as a query string, optionally without `prompt=login` (so the
/// return from the login page does not ask for a login again).
fn to_query(p: &AuthorizeParams, drop_login: bool) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    let prompt = p.prompt.as_deref().map(|v| {
        v.split(' ')
            .filter(|x| !(drop_login && *x == "login"))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let pairs = [
        ("response_type", &p.response_type),
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("scope", &p.scope),
        ("state", &p.state),
        ("nonce", &p.nonce),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("prompt", &prompt.filter(|v| !v.is_empty())),
        ("max_age", &p.max_age),
        ("login_hint", &p.login_hint),
        ("response_mode", &p.response_mode),
        ("resource", &p.resource),
        ("ui_locales", &p.ui_locales),
    ];
    for (k, v) in pairs {
        if let Some(v) = v {
            q.append_pair(k, v);
        }
    }
    q.finish()
}

/// This request as the `return_to` of the pages it waits for (login, MFA
/// enrolment), without `prompt=login` so coming back asks nothing again.
fn pending_request(ctx: &PageCtx, params: &AuthorizeParams) -> String {
    format!("{}/authorize?{}", ctx.base(), to_query(params, true))
}

/// `redirect_uri` with `params` appended, and `iss` (RFC 9207) always.
fn back_to_client(ctx: &PageCtx, redirect_uri: &str, params: &[(&str, &str)]) -> HttpResponse {
    let issuer = ctx.state.oauth.issuer(&ctx.tenant);
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    q.append_pair("iss", &issuer);
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    ctx.redirect_to(&format!("{redirect_uri}{sep}{}", q.finish()))
}

fn error_to_client(
    ctx: &PageCtx,
    redirect_uri: &str,
    code: OAuthCode,
    description: &str,
    state: Option<&str>,
) -> HttpResponse {
    let mut params = vec![("error", code.as_str()), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    back_to_client(ctx, redirect_uri, &params)
}

fn refusal(ctx: &PageCtx, r: Refusal) -> Result<HttpResponse, PageError> {
    match r {
        Refusal::Page(message) => ctx.message(
            StatusCode::BAD_REQUEST,
            "authorize_error_heading",
            &message,
            None,
        ),
        Refusal::Internal(cause) => Err(PageError::internal(cause)),
        Refusal::Redirect {
            redirect_uri,
            code,
            description,
            state,
        } => Ok(error_to_client(
            ctx,
            &redirect_uri,
            code,
            &description,
            state.as_deref(),
        )),
    }
}

/// The request once the use case finds it valid; else, as `Err`, the
/// answer to its refusal.
async fn validated(
    ctx: &PageCtx,
    params: &AuthorizeParams,
) -> Result<ValidAuthorize, Result<HttpResponse, PageError>> {
    ctx.state
        .oauth
        .validate_authorize(&ctx.tenant, params)
        .await
        .map_err(|r| refusal(ctx, r))
}

pub async fn authorize_get(
    ctx: PageCtx,
    q: web::Query<AuthorizeParams>,
) -> Result<HttpResponse, PageError> {
    handle(ctx, q.into_inner()).await
}

pub async fn authorize_post(
    ctx: PageCtx,
    f: web::Form<AuthorizeParams>,
) -> Result<HttpResponse, PageError> {
    handle(ctx, f.into_inner()).await
}

async fn handle(ctx: PageCtx, params: AuthorizeParams) -> Result<HttpResponse, PageError> {
    let req = match validated(&ctx, &params).await {
        Ok(req) => req,
        Err(answer) => return answer,
    };
    let session = ctx.signed_in().await?;
    let now = ctx.state.oauth.now();
    let session = match session {
        Some(s)
            if !req.prompt.login && req.max_age.is_none_or(|m| now - s.record.auth_time <= m) =>
        {
            s
        }
        _ if req.prompt.none => {
            return Ok(error_to_client(
                &ctx,
                &req.redirect_uri,
                OAuthCode::LoginRequired,
                "the user is not logged in",
                req.state.as_deref(),
            ));
        }
        _ => {
            let hint: Vec<(&str, &str)> = req
                .login_hint
                .as_deref()
                .map(|h| ("login_hint", h))
                .into_iter()
                .collect();
            let back = pending_request(&ctx, &params);
            return Ok(ctx.redirect(&with_return_to("/login", Some(&back), &hint)));
        }
    };
    // A tenant that requires MFA gets no code for a user without it.
    if ctx.requires_mfa() && !session.is_multi_factor() {
        if req.prompt.none {
            return Ok(error_to_client(
                &ctx,
                &req.redirect_uri,
                OAuthCode::LoginRequired,
                "two-step verification must be set up first",
                req.state.as_deref(),
            ));
        }
        let back = pending_request(&ctx, &params);
        return Ok(ctx.redirect(&with_return_to("/mfa/enroll", Some(&back), &[])));
    }
    let user_id = session.user.id.to_string();
    if ctx
        .state
        .oauth
        .needs_consent(&ctx.tenant, &req, &user_id)
        .await
        .map_err(PageError::internal)?
    {
        if req.prompt.none {
            return Ok(error_to_client(
                &ctx,
                &req.redirect_uri,
                OAuthCode::ConsentRequired,
                "consent is required",
                req.state.as_deref(),
            ));
        }
        return show_consent(&ctx, &req, &params);
    }
    finish(&ctx, &req, &session).await
}

fn show_consent(
    ctx: &PageCtx,
    req: &ValidAuthorize,
    params: &AuthorizeParams,
) -> Result<HttpResponse, PageError> {
    let intro = ctx.text_with(
        "consent_intro",
        &[
            ("client", req.client.settings.name().as_ref()),
            ("tenant", ctx.tenant.display_name.as_ref()),
        ],
    );
    let scopes: Vec<&str> = req.scope.iter().collect();
    // Both answers (allow, deny) redirect to the client.
    ctx.allow_form_target(&req.redirect_uri);
    ctx.render(
        StatusCode::OK,
        "consent.html",
        context! { consent_intro => intro, scopes, authz => to_query(params, true) },
    )
}

async fn finish(
    ctx: &PageCtx,
    req: &ValidAuthorize,
    session: &ActiveSession,
) -> Result<HttpResponse, PageError> {
    let code = ctx
        .state
        .oauth
        .issue_code(
            &ctx.tenant,
            req,
            &session.user.id.to_string(),
            &session.record.handle,
            session.record.auth_time,
            &session.record.amr,
        )
        .await
        .map_err(PageError::internal)?;
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = req.state.as_deref() {
        params.push(("state", state));
    }
    Ok(back_to_client(ctx, &req.redirect_uri, &params))
}

pub async fn consent_decision(
    ctx: PageCtx,
    form: web::Form<ConsentBody>,
) -> Result<HttpResponse, PageError> {
    ctx.verify_csrf(&form.csrf)?;
    let params = web::Query::<AuthorizeParams>::from_query(&form.authz)
        .map_err(|_| PageError::internal("malformed consent form"))?
        .into_inner();
    let req = match validated(&ctx, &params).await {
        Ok(req) => req,
        Err(answer) => return answer,
    };
    let session = ctx.signed_in_or_login().await?;
    if form.decision != "allow" {
        return Ok(error_to_client(
            &ctx,
            &req.redirect_uri,
            OAuthCode::AccessDenied,
            "the user denied access",
            req.state.as_deref(),
        ));
    }
    ctx.state
        .oauth
        .record_consent(&ctx.tenant, &req, &session.user.id.to_string())
        .await
        .map_err(PageError::internal)?;
    finish(&ctx, &req, &session).await
}
