//! `/dashboard/t/{slug}/keys`: an owner's view of the signing keys of their
//! tenant: each key's algorithm, id, state and dates; rotate an algorithm's
//! keys now (the next key starts signing; refused while it is younger than
//! the key set's cache lifetime), revoke one key after confirming (it
//! leaves the key set at once, and what it signed stops verifying), and mark
//! one compromised with a reason (revoked and replaced at once, recorded as
//! a security incident the owners are mailed about).
//! Ownership first; the changes go through the `manage` key use cases.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;

use super::console::{owned_tenant, owner_of_at};
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use super::render::short_time;
use crate::domain::sentinel::reason::Reason;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::keys::keyring::KeyringError;
use crate::manage::Actor;

csrf_field!(RotateForm, RevokeForm, CompromisedForm);

pub fn keys_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/keys")
}

#[derive(Deserialize)]
pub struct KeysQuery {
    /// `rotated`, `revoked` or `compromised`: what the last form did.
    done: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RotateForm {
    csrf: String,
    alg: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    csrf: String,
    kid: String,
    /// A checkbox the owner ticks to say they understand.
    confirm: Option<String>,
}

pub async fn show_keys(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<KeysQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &keys_path(&slug), Access::Read).await?;
    let notice = match q.done.as_deref() {
        Some("rotated") => Some(ctx.text("keys_rotated")),
        Some("revoked") => Some(ctx.text("keys_revoked")),
        Some("compromised") => Some(ctx.text("keys_compromised_done")),
        _ => None,
    };
    keys_page(&ctx, &tenant, StatusCode::OK, notice, None).await
}

pub async fn submit_rotate(
    PageForm { ctx, form }: PlatformForm<RotateForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &keys_path(&slug), Access::Write).await?;
    let Ok(alg) = SigningAlg::parse(&form.alg) else {
        return refused_page(&ctx, &tenant, "keys_unknown_alg").await;
    };
    match ctx.state.manage.keys.rotate(tenant.id, alg).await {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=rotated", keys_path(&slug)))),
        Err(KeyringError::NextTooYoung {
            published_secs,
            max_age_secs,
            ..
        }) => {
            let wait = (max_age_secs - published_secs).max(1).to_string();
            let error = ctx.text_with("keys_too_young", &[("secs", &wait)]);
            keys_page(&ctx, &tenant, StatusCode::CONFLICT, None, Some(error)).await
        }
        Err(KeyringError::NotEnsured(_)) => refused_page(&ctx, &tenant, "keys_unknown_alg").await,
        Err(e) => Err(PageError::internal(e)),
    }
}

pub async fn submit_revoke(
    PageForm { ctx, form }: PlatformForm<RevokeForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &keys_path(&slug), Access::Write).await?;
    if form.confirm.is_none() {
        return refused_page(&ctx, &tenant, "keys_revoke_unconfirmed").await;
    }
    match ctx.state.manage.keys.revoke(tenant.id, &form.kid).await {
        Ok(()) => Ok(ctx.redirect_to(&format!("{}?done=revoked", keys_path(&slug)))),
        Err(KeyringError::KeyNotFound) => Err(PageError::TenantNotFound),
        Err(e) => Err(PageError::internal(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CompromisedForm {
    csrf: String,
    kid: String,
    reason: String,
    /// A checkbox the owner ticks to say they understand.
    confirm: Option<String>,
}

pub async fn submit_compromised(
    PageForm { ctx, form }: PlatformForm<CompromisedForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (owner, tenant) = owner_of_at(&ctx, &slug, &keys_path(&slug), Access::Write).await?;
    if form.confirm.is_none() {
        return refused_page(&ctx, &tenant, "keys_compromised_unconfirmed").await;
    }
    let Ok(reason) = Reason::parse(&form.reason) else {
        return refused_page(&ctx, &tenant, "keys_compromised_reason").await;
    };
    let keys = &ctx.state.manage.keys;
    match keys
        .compromised(tenant.id, &form.kid, &reason, &Actor::Owner(owner.id))
        .await
    {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=compromised", keys_path(&slug)))),
        Err(KeyringError::KeyNotFound) => Err(PageError::TenantNotFound),
        Err(KeyringError::AlreadyRevoked) => {
            refused_page(&ctx, &tenant, "keys_compromised_revoked").await
        }
        Err(e) => Err(PageError::internal(e)),
    }
}

/// The keys page again (422), nothing changed, saying why (`key`).
async fn refused_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    key: &str,
) -> Result<HttpResponse, PageError> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    keys_page(ctx, tenant, status, None, Some(ctx.text(key))).await
}

async fn keys_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let keys = ctx
        .state
        .manage
        .keys
        .list(tenant.id)
        .await
        .map_err(PageError::internal)?;
    let mut algs: Vec<&str> = keys.iter().map(|k| k.alg.as_str()).collect();
    algs.sort_unstable();
    algs.dedup();
    let rows: Vec<Value> = keys
        .iter()
        .map(|k| {
            context! {
                alg => k.alg.as_str(),
                kid => &k.kid,
                state => ctx.text(&format!("keys_state_{}", k.state.as_str())),
                revocable => k.state.as_str() != "revoked",
                created => short_time(Some(k.created_at)),
                activated => short_time(k.activated_at),
                retired => short_time(k.retired_at.or(k.revoked_at)),
            }
        })
        .collect();
    ctx.render(
        status,
        "keys.html",
        context! {
            wide => true,
            heading => ctx.text_with("keys_title", &[("tenant", tenant.display_name.as_ref())]),
            action => keys_path(tenant.slug.as_ref()),
            jwks_url => format!("{}/jwks.json", ctx.state.oauth.issuer(tenant)),
            keys => rows,
            algs,
            notice,
            error,
        },
    )
}
