//! `/t/{slug}/account`: who you are, your second factor, where you are
//! logged in (ASVS 7.5.2: list and end your own sessions).
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;

use super::context::PageCtx;
use super::error::PageError;
use super::login::CsrfOnly;
use super::render::short_time;

/// The start of a user-agent string: enough to tell devices apart.
fn device(user_agent: &str) -> String {
    const MAX: usize = 48;
    if user_agent.chars().count() <= MAX {
        return user_agent.to_owned();
    }
    let head: String = user_agent.chars().take(MAX).collect();
    format!("{head}…")
}

pub async fn show_account(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    let session = ctx.signed_in_or_login().await?;
    if ctx.requires_mfa() && !session.is_multi_factor() {
        return Ok(ctx.redirect("/mfa/enroll"));
    }
    let sessions = ctx
        .state
        .identity
        .list_sessions(ctx.tenant.id, session.user.id)
        .await
        .map_err(PageError::internal)?;
    let rows: Vec<_> = sessions
        .iter()
        .map(|s| {
            context! {
                handle => &s.handle, started => short_time(Some(s.created_at)), ip => &s.ip,
                user_agent => device(&s.user_agent), current => s.handle == session.record.handle,
            }
        })
        .collect();
    let user = &session.user;
    let identity = &ctx.state.identity;
    let linked = identity
        .upstream_identities(&ctx.tenant, user.id)
        .await
        .map_err(PageError::internal)?;
    let providers = identity
        .upstream_buttons(&ctx.tenant)
        .await
        .map_err(PageError::internal)?;
    let linkable: Vec<_> = providers
        .iter()
        .filter(|p| !linked.iter().any(|i| i.provider_id == p.id))
        .map(|p| {
            // The link form's answer is a redirect to the provider.
            ctx.allow_form_target(p.settings.protocol.sign_in_origin());
            context! { slug => p.slug.as_ref(), name => p.display_name.as_ref() }
        })
        .collect();
    let linked: Vec<_> = linked
        .iter()
        .map(|i| {
            context! {
                provider_id => &i.provider_id, slug => &i.provider_slug,
                name => &i.provider_name, email => &i.email,
            }
        })
        .collect();
    let passkeys = super::passkeys::account_rows(&ctx, &session).await?;
    let passkeys_available = identity.passkeys_available();
    ctx.render(
        StatusCode::OK,
        "account.html",
        context! {
            user => context! { email => user.email.address(), display_name => user.display_name.as_ref(), mfa => user.mfa_enabled() },
            sessions => rows,
            linked, linkable, passkeys, passkeys_available,
            has_password => user.password_hash.is_some(),
        },
    )
}

pub async fn end_session(
    ctx: PageCtx,
    handle: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    ctx.verify_csrf(&form.csrf)?;
    let session = ctx.signed_in_or_login().await?;
    let (_, handle) = handle.into_inner();
    ctx.state
        .identity
        .end_session(&ctx.tenant, session.user.id, &handle, &ctx.requester)
        .await
        .map_err(PageError::internal)?;
    Ok(ctx.redirect("/account"))
}

pub async fn end_other_sessions(
    ctx: PageCtx,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    ctx.verify_csrf(&form.csrf)?;
    let session = ctx.signed_in_or_login().await?;
    ctx.state
        .identity
        .end_other_sessions(&ctx.tenant, &session, &ctx.requester)
        .await
        .map_err(PageError::internal)?;
    let message = ctx.text("others_ended");
    ctx.message(
        StatusCode::OK,
        "account_title",
        &message,
        Some(("account_link", format!("{}/account", ctx.base()))),
    )
}
