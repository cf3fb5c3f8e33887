//! `/dashboard/t/{slug}/apps`: an owner's apps (the tenant's OAuth
//! clients) in the console: list, create from a starter kind, edit the URIs,
//! name and consent setting and, in an advanced section, token lifetimes,
//! ID-token algorithm, allowed resources and refresh reuse interval (the
//! form is `console_app_form.rs`), rotate the secret (shown once, the old
//! one kept for a chosen overlap), disable and enable again. Every page checks ownership first (an
//! unowned tenant or another tenant's app is the same 404 as an unknown
//! one); every change goes through the `manage` use cases the management API
//! uses.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;
use service_kit::paging::PageRequest;

use super::console::owned_tenant;
use super::console_app_form::EditAppForm;
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use crate::domain::client::{
    Client, ClientId, ClientKind, ClientRuleError, PlainSecret, SecretOverlap,
};
use crate::domain::display_name::DisplayName;
use crate::domain::starter_app::{StarterApp, StarterAppError};
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;

csrf_field!(NewAppForm, RotateForm, DisableForm, EnableForm);

/// The overlaps an owner picks from when rotating a secret, in seconds.
const OVERLAPS: [i64; 3] = [0, 86_400, 7 * 86_400];
const LIST_PAGE: u32 = 50;

pub fn apps_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/apps")
}

fn new_app_path(slug: &str) -> String {
    format!("{}/new", apps_path(slug))
}

fn app_path(slug: &str, id: &ClientId) -> String {
    format!("/dashboard/t/{slug}/apps/{}", id.as_ref())
}

#[derive(Deserialize)]
pub struct ListQuery {
    after: Option<String>,
}

#[derive(Deserialize)]
pub struct AppQuery {
    /// `saved` or `disabled`: what the last form did.
    done: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewAppForm {
    csrf: String,
    name: String,
    app: String,
    callback_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RotateForm {
    csrf: String,
    overlap_secs: String,
}

#[derive(Deserialize)]
pub struct EnableForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    csrf: String,
    /// A checkbox the owner ticks to say they understand.
    confirm: Option<String>,
}

/// The app `id` of `tenant`; another tenant's or a malformed id is a 404.
async fn app_of(ctx: &PageCtx, tenant: &Tenant, id: &str) -> Result<Client, PageError> {
    let id = ClientId::parse(id).map_err(|_| PageError::TenantNotFound)?;
    match ctx.state.manage.clients.get(tenant.id, &id).await {
        Ok(client) => Ok(client),
        Err(e) if e.is_client_not_found() => Err(PageError::TenantNotFound),
        Err(e) => Err(PageError::internal(e)),
    }
}

/// The member's tenant `slug` and its app `id` (see [`app_of`]).
async fn owned_app(
    ctx: &PageCtx,
    slug: &str,
    id: &str,
    access: Access,
) -> Result<(Tenant, Client), PageError> {
    let tenant = owned_tenant(ctx, slug, &format!("{}/{id}", apps_path(slug)), access).await?;
    let found = app_of(ctx, &tenant, id).await?;
    Ok((tenant, found))
}

pub async fn list_apps(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &apps_path(&slug), Access::Read).await?;
    let page = PageRequest::parse(Some(LIST_PAGE), q.after.clone()).map_err(PageError::internal)?;
    let apps = ctx
        .state
        .manage
        .clients
        .list(tenant.id, &page)
        .await
        .map_err(PageError::internal)?;
    let rows: Vec<Value> = apps
        .items
        .iter()
        .map(|c| {
            context! {
                name => c.settings.name().as_ref(),
                client_id => c.id.as_ref(),
                kind => ctx.text(&format!("app_kind_{}", c.kind.as_str())),
                disabled => c.is_disabled(),
                url => app_path(&slug, &c.id),
            }
        })
        .collect();
    let next = apps.next_after.map(|after| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("after", &after)
            .finish();
        format!("{}?{query}", apps_path(&slug))
    });
    ctx.render(
        StatusCode::OK,
        "apps.html",
        context! {
            wide => true,
            heading => ctx.text_with("apps_title", &[("tenant", tenant.display_name.as_ref())]),
            apps => rows,
            next,
            new_url => new_app_path(&slug),
        },
    )
}

pub async fn show_new_app(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &new_app_path(&slug), Access::Write).await?;
    let form = NewAppForm {
        app: StarterApp::WebApp.as_str().to_owned(),
        ..NewAppForm::default()
    };
    new_app_page(&ctx, &tenant, StatusCode::OK, &form, None)
}

pub async fn submit_new_app(
    PageForm { ctx, form }: PlatformForm<NewAppForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &new_app_path(&slug), Access::Write).await?;
    let checked = DisplayName::parse(&form.name)
        .map_err(|e| StarterAppError::Client(ClientRuleError::Name(e)))
        .and_then(|name| {
            StarterApp::parse(&form.app)?.client(Some(name), Some(&form.callback_url))
        });
    let (kind, settings) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            let error = ctx.refused_text(&e);
            return new_app_page(
                &ctx,
                &tenant,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some(error),
            );
        }
    };
    let (client, secret) = ctx
        .state
        .manage
        .clients
        .create(tenant.id, kind, settings)
        .await
        .map_err(PageError::internal)?;
    tracing::info!(tenant = %tenant.slug, client_id = %client.id, "app created by its owner");
    secret_page(&ctx, &tenant, &client, secret.as_ref(), StatusCode::CREATED)
}

/// The starter kinds of app to pick from, `chosen` ticked (a new app's
/// form, and onboarding's).
pub(super) fn starter_choices(ctx: &PageCtx, chosen: &str) -> Vec<Value> {
    StarterApp::ALL
        .iter()
        .map(|app| {
            context! {
                value => app.as_str(),
                label => ctx.text(&format!("onboarding_app_{}", app.as_str())),
                checked => chosen == app.as_str(),
            }
        })
        .collect()
}

fn new_app_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    form: &NewAppForm,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let apps = starter_choices(ctx, &form.app);
    ctx.render(
        status,
        "app_new.html",
        context! {
            action => new_app_path(tenant.slug.as_ref()),
            back => apps_path(tenant.slug.as_ref()),
            name => &form.name,
            callback_url => &form.callback_url,
            apps,
            error,
        },
    )
}

pub async fn show_app(
    ctx: PlatformPageCtx,
    path: web::Path<(String, String)>,
    q: web::Query<AppQuery>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (tenant, client) = owned_app(&ctx, &slug, &id, Access::Read).await?;
    let notice = match q.done.as_deref() {
        Some("saved") => Some(ctx.text("apps_saved")),
        Some("disabled") => Some(ctx.text("apps_disabled_notice")),
        Some("enabled") => Some(ctx.text("apps_enabled_notice")),
        _ => None,
    };
    let typed = EditAppForm::from(&client);
    app_page(&ctx, &tenant, &client, StatusCode::OK, &typed, notice, None)
}

pub async fn submit_app(
    PageForm { ctx, form }: PlatformForm<EditAppForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (tenant, client) = owned_app(&ctx, &slug, &id, Access::Write).await?;
    let refused = |e: &dyn std::fmt::Display| {
        let error = ctx.refused_text(e);
        app_page(
            &ctx,
            &tenant,
            &client,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            None,
            Some(error),
        )
    };
    let update = match form.update(client.settings.lifetimes()) {
        Ok(update) => update,
        Err(e) => return refused(&e),
    };
    match ctx
        .state
        .manage
        .clients
        .update(tenant.id, &client.id, update)
        .await
    {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=saved", app_path(&slug, &client.id)))),
        Err(e) => match e.client_rule() {
            Some(rule) => refused(rule),
            None => Err(PageError::internal(e)),
        },
    }
}

pub async fn submit_rotate(
    PageForm { ctx, form }: PlatformForm<RotateForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (tenant, client) = owned_app(&ctx, &slug, &id, Access::Write).await?;
    let overlap = form
        .overlap_secs
        .parse::<i64>()
        .ok()
        .filter(|secs| OVERLAPS.contains(secs))
        .and_then(|secs| SecretOverlap::parse(secs).ok());
    let (Some(overlap), ClientKind::Confidential, false) =
        (overlap, client.kind, client.is_disabled())
    else {
        return refused_page(&ctx, &tenant, &client, "apps_rotate_refused");
    };
    let (client, secret) = ctx
        .state
        .manage
        .clients
        .rotate_secret(tenant.id, &client.id, overlap)
        .await
        .map_err(PageError::internal)?;
    secret_page(&ctx, &tenant, &client, Some(&secret), StatusCode::OK)
}

pub async fn submit_disable(
    PageForm { ctx, form }: PlatformForm<DisableForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (tenant, client) = owned_app(&ctx, &slug, &id, Access::Write).await?;
    if form.confirm.is_none() {
        return refused_page(&ctx, &tenant, &client, "apps_disable_unconfirmed");
    }
    ctx.state
        .manage
        .clients
        .disable(tenant.id, &client.id)
        .await
        .map_err(PageError::internal)?;
    Ok(ctx.redirect_to(&format!("{}?done=disabled", app_path(&slug, &client.id))))
}

pub async fn submit_enable(
    PageForm { ctx, .. }: PlatformForm<EnableForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (tenant, client) = owned_app(&ctx, &slug, &id, Access::Write).await?;
    ctx.state
        .manage
        .clients
        .enable(tenant.id, &client.id)
        .await
        .map_err(PageError::internal)?;
    Ok(ctx.redirect_to(&format!("{}?done=enabled", app_path(&slug, &client.id))))
}

/// The app's page again (422) with its saved values, saying why (`key`)
/// the form changed nothing.
fn refused_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    client: &Client,
    key: &str,
) -> Result<HttpResponse, PageError> {
    let error = ctx.text(key);
    let typed = EditAppForm::from(client);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    app_page(ctx, tenant, client, status, &typed, None, Some(error))
}

fn app_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    client: &Client,
    status: StatusCode,
    typed: &EditAppForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let overlaps: Vec<Value> = OVERLAPS
        .iter()
        .map(|secs| {
            context! {
                secs => secs,
                label => ctx.text(&format!("apps_overlap_{secs}")),
            }
        })
        .collect();
    let s = &client.settings;
    ctx.render(
        status,
        "app_edit.html",
        context! {
            wide => true,
            heading => s.name().as_ref(),
            action => app_path(tenant.slug.as_ref(), &client.id),
            back => apps_path(tenant.slug.as_ref()),
            issuer => ctx.state.oauth.issuer(tenant),
            client_id => client.id.as_ref(),
            kind => ctx.text(&format!("app_kind_{}", client.kind.as_str())),
            grants => s.grant_types().iter().map(|g| g.as_str()).collect::<Vec<_>>().join(" "),
            scopes => s.scopes().to_string(),
            confidential => client.kind == ClientKind::Confidential,
            disabled => client.is_disabled(),
            name => &typed.name,
            redirect_uris => &typed.redirect_uris,
            post_logout_redirect_uris => &typed.post_logout_redirect_uris,
            cors_origins => &typed.cors_origins,
            first_party => typed.first_party.is_some(),
            advanced => typed.advanced(ctx, client),
            overlaps,
            notice,
            error,
        },
    )
}

/// The app's secret, in clear this once.
fn secret_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    client: &Client,
    secret: Option<&PlainSecret>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    ctx.render(
        status,
        "app_secret.html",
        context! {
            heading => client.settings.name().as_ref(),
            client_id => client.id.as_ref(),
            client_secret => secret.map(PlainSecret::expose),
            issuer => ctx.state.oauth.issuer(tenant),
            app_url => app_path(tenant.slug.as_ref(), &client.id),
        },
    )
}
