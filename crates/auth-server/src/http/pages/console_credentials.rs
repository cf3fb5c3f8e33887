//! `/dashboard/t/{slug}/api-credentials`: a tenant's owners create and
//! revoke the credentials their own automation uses to call the management
//! API for this tenant only (a `platform` client with `manage:*` scopes; its
//! secret shown once), through the `manage` use case the API shares.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;

use super::console::owner_of_at;
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use super::render::short_time;
use crate::domain::api_credential::{ManageScope, MANAGE_AUDIENCE};
use crate::domain::team::Access;
use crate::domain::tenant::{Tenant, PLATFORM_SLUG};
use crate::domain::user::User;
use crate::manage::{Actor, ManageError};

csrf_field!(CreateForm, RevokeForm);

pub fn credentials_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/api-credentials")
}

#[derive(Deserialize)]
pub struct CredentialsQuery {
    /// `revoked`: the last form revoked one.
    done: Option<String>,
}

/// The new credential form: a name and the scopes ticked.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    csrf: String,
    name: String,
    #[serde(rename = "manage:read")]
    read: Option<String>,
    #[serde(rename = "manage:write")]
    write: Option<String>,
    #[serde(rename = "manage:users")]
    users: Option<String>,
    #[serde(rename = "manage:team")]
    team: Option<String>,
    #[serde(rename = "manage:upstream-tokens")]
    upstream_tokens: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    csrf: String,
    client_id: String,
    confirm: Option<String>,
}

impl CreateForm {
    fn scopes(&self) -> Vec<ManageScope> {
        [
            (&self.read, ManageScope::Read),
            (&self.write, ManageScope::Write),
            (&self.users, ManageScope::Users),
            (&self.team, ManageScope::Team),
            (&self.upstream_tokens, ManageScope::UpstreamTokens),
        ]
        .into_iter()
        .filter(|(ticked, _)| ticked.is_some())
        .map(|(_, scope)| scope)
        .collect()
    }
}

/// The member and their tenant, when their role may manage its credentials.
async fn credentials_owner(ctx: &PageCtx, slug: &str) -> Result<(User, Tenant), PageError> {
    owner_of_at(ctx, slug, &credentials_path(slug), Access::Credentials).await
}

pub async fn show_credentials(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<CredentialsQuery>,
) -> Result<HttpResponse, PageError> {
    let (_, tenant) = credentials_owner(&ctx, &slug).await?;
    let notice = (q.done.as_deref() == Some("revoked")).then(|| ctx.text("credentials_revoked"));
    credentials_page(&ctx, &tenant, StatusCode::OK, notice, None, "").await
}

pub async fn submit_create(
    PageForm { ctx, form }: PlatformForm<CreateForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (owner, tenant) = credentials_owner(&ctx, &slug).await?;
    let created = ctx
        .state
        .manage
        .credentials
        .create(
            tenant.id,
            &form.name,
            &form.scopes(),
            Actor::Owner(owner.id),
        )
        .await;
    match created {
        Ok((credential, secret)) => {
            let platform = platform_tenant(&ctx).await?;
            let scope = form
                .scopes()
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            ctx.render(
                StatusCode::CREATED,
                "credential_secret.html",
                context! {
                    heading => &credential.name,
                    client_id => &credential.client_id,
                    client_secret => secret.expose(),
                    token_url => format!("{}/token", ctx.state.oauth.issuer(&platform)),
                    audience => MANAGE_AUDIENCE,
                    scope,
                    tenant_id => tenant.id.to_string(),
                    api_base => ctx.state.identity.platform_url("/manage/v1"),
                    back => credentials_path(tenant.slug.as_ref()),
                },
            )
        }
        Err(e @ (ManageError::NoScope | ManageError::Client(_))) => {
            refused_page(&ctx, &tenant, ctx.refused_text(&e), &form.name).await
        }
        Err(e) => Err(PageError::internal(e)),
    }
}

pub async fn submit_revoke(
    PageForm { ctx, form }: PlatformForm<RevokeForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (_, tenant) = credentials_owner(&ctx, &slug).await?;
    if form.confirm.is_none() {
        let error = ctx.text("credentials_revoke_unconfirmed");
        return refused_page(&ctx, &tenant, error, "").await;
    }
    let revoked = ctx
        .state
        .manage
        .credentials
        .revoke(tenant.id, &form.client_id)
        .await
        .map_err(PageError::internal)?;
    if !revoked {
        return Err(PageError::TenantNotFound);
    }
    Ok(ctx.redirect_to(&format!("{}?done=revoked", credentials_path(&slug))))
}

async fn platform_tenant(ctx: &PageCtx) -> Result<std::sync::Arc<Tenant>, PageError> {
    ctx.state
        .directory
        .by_slug(PLATFORM_SLUG)
        .await
        .map_err(PageError::internal)
}

/// The credentials page again (422), nothing changed, saying why (`error`),
/// the name as typed.
async fn refused_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    error: String,
    typed_name: &str,
) -> Result<HttpResponse, PageError> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    credentials_page(ctx, tenant, status, None, Some(error), typed_name).await
}

async fn credentials_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    typed_name: &str,
) -> Result<HttpResponse, PageError> {
    let credentials: Vec<Value> = ctx
        .state
        .manage
        .credentials
        .list(tenant.id)
        .await
        .map_err(PageError::internal)?
        .iter()
        .map(|c| {
            context! {
                name => &c.credential.name,
                client_id => &c.credential.client_id,
                scopes => c.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
                created => short_time(Some(c.credential.created_at)),
                disabled => c.disabled,
            }
        })
        .collect();
    ctx.render(
        status,
        "credentials.html",
        context! {
            wide => true,
            heading => ctx.text_with("credentials_title", &[("tenant", tenant.display_name.as_ref())]),
            action => credentials_path(tenant.slug.as_ref()),
            credentials,
            scopes => ManageScope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            typed_name,
            notice,
            error,
        },
    )
}
