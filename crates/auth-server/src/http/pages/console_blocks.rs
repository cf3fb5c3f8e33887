//! `/dashboard/t/{slug}/blocks`: the addresses blocked on an owner's
//! tenant, by the sentinel or by hand (docs/sentinel.md): each block's
//! range, why, who made it and until when. Members who may write block an
//! address or range for a while, lift a block, and keep the tenant's
//! allowlist (addresses never blocked, by the sentinel or by hand). Every
//! change goes through the `manage` use cases the management API uses, so
//! the same rules refuse the same things, and each one is audited.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;
use serde_json::json;

use super::console::owner_of_at;
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use super::render::short_time;
use crate::domain::sentinel::block_order::BlockOrder;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::user::User;
use crate::manage::{Actor, ManageError};

csrf_field!(BlockForm, CsrfForm, AllowlistForm);

pub fn blocks_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/blocks")
}

#[derive(Deserialize)]
pub struct BlocksQuery {
    /// `blocked`, `lifted` or `allowlist`: what the last form did.
    done: Option<String>,
}

/// A block by hand, as typed: the rule reads the minutes, so a field that
/// is not a number is refused with the rule's words, not a bare 400.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BlockForm {
    csrf: String,
    network: String,
    minutes: String,
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

/// The allowlist, one address or range per line (or separated by commas).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AllowlistForm {
    csrf: String,
    allowlist: String,
}

impl AllowlistForm {
    fn entries(&self) -> Vec<&str> {
        self.allowlist
            .split(['\n', ','])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect()
    }
}

async fn blocks_member(
    ctx: &PageCtx,
    slug: &str,
    access: Access,
) -> Result<(User, Tenant), PageError> {
    owner_of_at(ctx, slug, &blocks_path(slug), access).await
}

pub async fn show_blocks(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<BlocksQuery>,
) -> Result<HttpResponse, PageError> {
    let (_, tenant) = blocks_member(&ctx, &slug, Access::Read).await?;
    let notice = match q.done.as_deref() {
        Some("blocked") => Some(ctx.text("blocks_blocked")),
        Some("lifted") => Some(ctx.text("blocks_lifted")),
        Some("allowlist") => Some(ctx.text("blocks_allowlist_saved")),
        _ => None,
    };
    let blank = Typed::of(&tenant);
    blocks_page(&ctx, &tenant, StatusCode::OK, notice, None, &blank).await
}

pub async fn submit_block(
    PageForm { ctx, form }: PlatformForm<BlockForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (member, tenant) = blocks_member(&ctx, &slug, Access::Write).await?;
    let typed = Typed {
        network: form.network.trim().to_owned(),
        minutes: form.minutes.trim().to_owned(),
        reason: form.reason.clone(),
        ..Typed::of(&tenant)
    };
    // Not a whole number: the rule's own range, as for any other number.
    let minutes = typed.minutes.parse::<i64>().unwrap_or(0);
    let order = match BlockOrder::parse(&typed.network, minutes, &typed.reason) {
        Ok(order) => order,
        Err(rule) => return refused(&ctx, &tenant, &rule, &typed).await,
    };
    let blocks = &ctx.state.manage.blocks;
    match blocks.block(&tenant, order, &Actor::Owner(member.id)).await {
        Ok(block) => {
            tracing::info!(tenant = %tenant.slug, network = %block.network, "address blocked by a tenant owner");
            Ok(ctx.redirect_to(&format!("{}?done=blocked", blocks_path(&slug))))
        }
        Err(ManageError::BlockOrder(rule)) => refused(&ctx, &tenant, &rule, &typed).await,
        Err(e) => Err(PageError::internal(e)),
    }
}

pub async fn submit_lift(
    PageForm { ctx, .. }: PlatformForm<CsrfForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (member, tenant) = blocks_member(&ctx, &slug, Access::Write).await?;
    let blocks = &ctx.state.manage.blocks;
    match blocks
        .unblock(tenant.id, &id, &Actor::Owner(member.id))
        .await
    {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=lifted", blocks_path(&slug)))),
        // Another tenant's block, or one lifted or expired meanwhile.
        Err(e) if e.is_block_not_found() => Err(PageError::TenantNotFound),
        Err(e) => Err(PageError::internal(e)),
    }
}

pub async fn submit_allowlist(
    PageForm { ctx, form }: PlatformForm<AllowlistForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (_, tenant) = blocks_member(&ctx, &slug, Access::Write).await?;
    let patch = json!({ "sentinel_allowlist": form.entries() });
    match ctx
        .state
        .manage
        .tenants
        .patch_settings(tenant.id, patch)
        .await
    {
        Ok(_) => {
            tracing::info!(tenant = %tenant.slug, "sentinel allowlist changed by a tenant owner");
            Ok(ctx.redirect_to(&format!("{}?done=allowlist", blocks_path(&slug))))
        }
        Err(e) => match e.settings_rule() {
            Some(rule) => {
                let typed = Typed {
                    allowlist: form.allowlist.clone(),
                    ..Typed::of(&tenant)
                };
                refused(&ctx, &tenant, rule, &typed).await
            }
            None => Err(PageError::internal(e)),
        },
    }
}

/// What the forms show: empty for a new block, the allowlist as it is,
/// or what the member typed when a rule refused it.
struct Typed {
    network: String,
    minutes: String,
    reason: String,
    allowlist: String,
}

impl Typed {
    fn of(tenant: &Tenant) -> Self {
        Self {
            network: String::new(),
            minutes: "60".to_owned(),
            reason: String::new(),
            allowlist: tenant
                .settings
                .sentinel_allowlist()
                .nets()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// The page again (422), nothing changed, with the rule's words.
async fn refused(
    ctx: &PageCtx,
    tenant: &Tenant,
    rule: &dyn std::fmt::Display,
    typed: &Typed,
) -> Result<HttpResponse, PageError> {
    let error = ctx.refused_text(rule);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    blocks_page(ctx, tenant, status, None, Some(error), typed).await
}

async fn blocks_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    typed: &Typed,
) -> Result<HttpResponse, PageError> {
    let blocks = ctx
        .state
        .manage
        .blocks
        .list(tenant.id)
        .await
        .map_err(PageError::internal)?;
    let rows: Vec<Value> = blocks
        .iter()
        .map(|b| {
            context! {
                id => &b.id,
                network => &b.network,
                reason => &b.reason,
                by => ctx.text(if b.created_by == "sentinel" { "blocks_by_sentinel" } else { "blocks_by_hand" }),
                created => short_time(Some(b.created_at)),
                expires => short_time(Some(b.expires_at)),
            }
        })
        .collect();
    ctx.render(
        status,
        "blocks.html",
        context! {
            wide => true,
            heading => ctx.text_with("blocks_title", &[("tenant", tenant.display_name.as_ref())]),
            action => blocks_path(tenant.slug.as_ref()),
            blocks => rows,
            network => &typed.network,
            minutes => &typed.minutes,
            reason => &typed.reason,
            allowlist => &typed.allowlist,
            notice,
            error,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowlist_is_read_one_entry_per_line_or_comma() {
        let form = AllowlistForm {
            csrf: String::new(),
            allowlist: " 203.0.113.0/24\r\n\n198.51.100.7, 2001:db8::/48 ,\n".to_owned(),
        };
        assert_eq!(
            form.entries(),
            ["203.0.113.0/24", "198.51.100.7", "2001:db8::/48"]
        );
        let empty = AllowlistForm::default();
        assert!(empty.entries().is_empty());
    }
}
