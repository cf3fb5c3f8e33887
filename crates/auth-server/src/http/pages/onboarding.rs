//! `/dashboard/new`: a platform user creates their tenant and its first app,
//! then sees the quickstart (issuer, discovery, the app's client id and,
//! once, its secret, and snippets to copy). The quickstart is the answer to
//! the form itself, never a page to come back to: the secret is not kept.
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use minijinja::context;
use serde::Deserialize;

use super::console::platform_user;
use super::console_apps::starter_choices;
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use crate::dashboard::onboarding::{
    start_tenant, OnboardingError, Started, TenantRequest, SELF_SERVICE_TENANTS_MAX,
};
use crate::domain::starter_app::{StarterApp, StarterAppError};
use crate::domain::tenant::{TenantRuleError, SLUG_MAX};

csrf_field!(NewTenantForm);

const NEW_TENANT_PATH: &str = "/dashboard/new";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewTenantForm {
    csrf: String,
    slug: String,
    display_name: String,
    app: String,
    callback_url: String,
}

pub async fn show_new_tenant(ctx: PlatformPageCtx) -> Result<HttpResponse, PageError> {
    platform_user(&ctx, NEW_TENANT_PATH).await?;
    let form = NewTenantForm {
        app: StarterApp::WebApp.as_str().to_owned(),
        ..NewTenantForm::default()
    };
    form_page(&ctx, StatusCode::OK, &form, None)
}

pub async fn submit_new_tenant(
    PageForm { ctx, form }: PlatformForm<NewTenantForm>,
) -> Result<HttpResponse, PageError> {
    let user = platform_user(&ctx, NEW_TENANT_PATH).await?;
    let request = TenantRequest {
        slug: &form.slug,
        display_name: &form.display_name,
        app: &form.app,
        callback_url: Some(&form.callback_url),
    };
    match start_tenant(&ctx.state.manage, &user, &request).await {
        Ok(started) => quickstart(&ctx, &started),
        Err(e) => {
            let (status, message) = refusal(&ctx, e)?;
            form_page(&ctx, status, &form, Some(message))
        }
    }
}

/// The status and text of a refused form; an internal failure is an error page.
fn refusal(ctx: &PageCtx, e: OnboardingError) -> Result<(StatusCode, String), PageError> {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(match e {
        OnboardingError::EmailNotVerified => {
            (StatusCode::FORBIDDEN, ctx.text("onboarding_verify_email"))
        }
        OnboardingError::TooManyTenants => (
            StatusCode::CONFLICT,
            ctx.text_with(
                "onboarding_too_many",
                &[("max", &SELF_SERVICE_TENANTS_MAX.to_string())],
            ),
        ),
        OnboardingError::SlugTaken(_) => (StatusCode::CONFLICT, ctx.text("onboarding_slug_taken")),
        OnboardingError::Tenant(TenantRuleError::DisplayName(_)) => {
            (unprocessable, ctx.text("onboarding_name_invalid"))
        }
        OnboardingError::Tenant(TenantRuleError::SlugReserved(_)) => {
            (StatusCode::CONFLICT, ctx.text("onboarding_slug_taken"))
        }
        OnboardingError::Tenant(_) => (unprocessable, ctx.text("onboarding_slug_invalid")),
        OnboardingError::App(StarterAppError::Kind) => {
            (unprocessable, ctx.text("onboarding_app_invalid"))
        }
        OnboardingError::App(_) => (unprocessable, ctx.text("onboarding_callback_invalid")),
        e @ OnboardingError::Manage(_) => return Err(PageError::internal(e)),
    })
}

fn form_page(
    ctx: &PageCtx,
    status: StatusCode,
    form: &NewTenantForm,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let apps = starter_choices(ctx, &form.app);
    ctx.render(
        status,
        "onboarding.html",
        context! {
            action => NEW_TENANT_PATH,
            slug => &form.slug,
            slug_max => SLUG_MAX,
            display_name => &form.display_name,
            callback_url => &form.callback_url,
            apps,
            error,
        },
    )
}

fn quickstart(ctx: &PageCtx, started: &Started) -> Result<HttpResponse, PageError> {
    let issuer = ctx.state.oauth.issuer(&started.tenant);
    let app = started.app;
    let callback = started
        .client
        .settings
        .redirect_uris()
        .first()
        .map(|u| u.as_ref().to_owned());
    ctx.render(
        StatusCode::CREATED,
        "quickstart.html",
        context! {
            wide => true,
            tenant_name => started.tenant.display_name.as_ref(),
            tenant_slug => started.tenant.slug.as_ref(),
            issuer => &issuer,
            discovery_url => format!("{issuer}/.well-known/openid-configuration"),
            token_endpoint => format!("{issuer}/token"),
            app => app.as_str(),
            app_label => ctx.text(&format!("onboarding_app_{}", app.as_str())),
            client_id => started.client.id.as_ref(),
            client_secret => started.secret.as_ref().map(|s| s.expose()),
            callback_url => callback,
            scope => started.client.settings.scopes().to_string(),
        },
    )
}
