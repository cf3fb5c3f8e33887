//! `/dashboard/t/{slug}/branding`: an owner sets the logo and brand colour
//! of their tenant's hosted pages, sees the logo and colour previewed, and
//! opens the login page as their users see it. Ownership first (an unowned
//! tenant is the same 404 as an unknown one); the change goes through the
//! `manage` tenant use case, which keeps the tenant's other settings.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::console::owned_tenant;
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use crate::domain::branding::Branding;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;

csrf_field!(BrandingForm);

pub fn branding_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/branding")
}

#[derive(Deserialize)]
pub struct BrandingQuery {
    /// `saved`: the last form was saved.
    done: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BrandingForm {
    csrf: String,
    logo_url: String,
    brand_color: String,
}

pub async fn show_branding(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<BrandingQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &branding_path(&slug), Access::Read).await?;
    let current = Branding::of(&tenant.settings);
    let typed = BrandingForm {
        csrf: String::new(),
        logo_url: current.logo_url().unwrap_or_default().to_owned(),
        brand_color: current.brand_color().unwrap_or_default().to_owned(),
    };
    let notice = (q.done.as_deref() == Some("saved")).then(|| ctx.text("branding_saved"));
    branding_page(
        &ctx,
        &tenant,
        &current,
        StatusCode::OK,
        &typed,
        notice,
        None,
    )
}

pub async fn submit_branding(
    PageForm { ctx, form }: PlatformForm<BrandingForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &branding_path(&slug), Access::Write).await?;
    let branding = match Branding::parse(&form.logo_url, &form.brand_color) {
        Ok(branding) => branding,
        Err(e) => {
            let current = Branding::of(&tenant.settings);
            let error = ctx.refused_text(&e);
            return branding_page(
                &ctx,
                &tenant,
                &current,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                None,
                Some(error),
            );
        }
    };
    ctx.state
        .manage
        .tenants
        .set_branding(tenant.id, &branding)
        .await
        .map_err(PageError::internal)?;
    tracing::info!(tenant = %tenant.slug, "branding changed by the tenant owner");
    Ok(ctx.redirect_to(&format!("{}?done=saved", branding_path(&slug))))
}

/// The form (with what was typed) beside a preview of the saved branding.
fn branding_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    saved: &Branding,
    status: StatusCode,
    typed: &BrandingForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    if let Some(logo) = saved.logo_url().and_then(|u| url::Url::parse(u).ok()) {
        ctx.allow_image(&logo);
    }
    ctx.render(
        status,
        "branding.html",
        context! {
            heading => ctx.text_with("branding_title", &[("tenant", tenant.display_name.as_ref())]),
            action => branding_path(tenant.slug.as_ref()),
            logo_url => &typed.logo_url,
            brand_color => &typed.brand_color,
            preview_logo => saved.logo_url(),
            preview_color => saved.brand_color(),
            preview_name => tenant.display_name.as_ref(),
            login_url => format!("/t/{}/login", tenant.slug),
            theme_url => format!("/t/{}/theme.css", tenant.slug),
            notice,
            error,
        },
    )
}
