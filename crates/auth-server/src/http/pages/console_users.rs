//! `/dashboard/t/{slug}/users`: an owner's view of their tenant's end users
//! in the console: search by email prefix with paging, one user's account
//! (verified, MFA, last login, open sessions), end their sessions, disable
//! them after confirming, enable them again, reset their MFA, send their
//! verification mail again, export them as JSON, delete them after
//! confirming. Ownership is checked first on every page (an
//! unowned tenant, another tenant's user or a malformed id is the same
//! 404); changes go through the `manage` use cases the management API uses.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;
use service_kit::paging::PageRequest;

use super::console::{owned_tenant, owner_of_at, Switch};
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use super::render::short_time;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::user::{User, UserId};
use crate::domain::user_import;
use crate::http::manage::users::export_response;
use crate::manage::Actor;

csrf_field!(ImportForm, ConfirmForm, PlainForm);

const LIST_PAGE: u32 = 25;
/// Longest email prefix searched for (an email's own limit).
const PREFIX_MAX: usize = 254;

pub fn users_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/users")
}

fn user_path(slug: &str, id: UserId) -> String {
    format!("/dashboard/t/{slug}/users/{id}")
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    after: Option<String>,
    /// `deleted`: a user was just deleted; `imported`: an import ran.
    done: Option<String>,
    created: Option<u64>,
    existing: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ImportForm {
    csrf: String,
    /// CSV with a header row, or JSON (`{"users": [...]}`).
    data: String,
}

#[derive(Deserialize)]
pub struct UserQuery {
    /// `ended` or `disabled`: what the last form did.
    done: Option<String>,
    ended: Option<u64>,
}

#[derive(Deserialize)]
pub struct PlainForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    /// A checkbox the owner ticks to say they understand.
    confirm: Option<String>,
}

async fn user_of(ctx: &PageCtx, tenant: &Tenant, id: &str) -> Result<User, PageError> {
    let id = UserId::parse(id).ok_or(PageError::TenantNotFound)?;
    match ctx.state.manage.users.get(tenant.id, id).await {
        Ok(user) => Ok(user),
        Err(e) if e.is_user_not_found() => Err(PageError::TenantNotFound),
        Err(e) => Err(PageError::internal(e)),
    }
}

/// The user a console page is about, in the signed-in member's tenant
/// (see [`user_of`]), with the member as the audit trail names them.
struct Target {
    slug: String,
    actor: Actor,
    tenant: Tenant,
    user: User,
}

impl Target {
    /// The user `/dashboard/t/{slug}/users/{id}`, when the member's role
    /// allows `access`.
    async fn find(
        ctx: &PageCtx,
        (slug, id): (String, String),
        access: Access,
    ) -> Result<Self, PageError> {
        let back = format!("{}/{id}", users_path(&slug));
        let (owner, tenant) = owner_of_at(ctx, &slug, &back, access).await?;
        let user = user_of(ctx, &tenant, &id).await?;
        Ok(Self {
            slug,
            actor: Actor::Owner(owner.id),
            tenant,
            user,
        })
    }

    /// The user's page, saying what was `done`.
    fn done(&self, done: &str) -> String {
        format!("{}?done={done}", user_path(&self.slug, self.user.id))
    }
}

pub async fn list_users(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &users_path(&slug), Access::Read).await?;
    let prefix: String =
        q.q.as_deref()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(PREFIX_MAX)
            .collect();
    let page = PageRequest::parse(Some(LIST_PAGE), q.after.clone()).map_err(PageError::internal)?;
    let users = &ctx.state.manage.users;
    let found = if prefix.is_empty() {
        users.list(tenant.id, &page).await
    } else {
        users.search(tenant.id, &prefix, &page).await
    }
    .map_err(PageError::internal)?;
    let rows: Vec<Value> = found
        .items
        .iter()
        .map(|u| {
            context! {
                email => u.email.address(),
                name => u.display_name.as_ref(),
                verified => u.email_verified_at.is_some(),
                mfa => u.mfa_enabled(),
                disabled => u.is_disabled(),
                last_login => short_time(u.last_login_at),
                url => user_path(&slug, u.id),
            }
        })
        .collect();
    let next = found.next_after.map(|after| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !prefix.is_empty() {
            query.append_pair("q", &prefix);
        }
        query.append_pair("after", &after);
        format!("{}?{}", users_path(&slug), query.finish())
    });
    let notice = match q.done.as_deref() {
        Some("deleted") => Some(ctx.text("users_deleted_notice")),
        Some("imported") => Some(ctx.text_with(
            "import_done",
            &[
                ("created", &q.created.unwrap_or(0).to_string()),
                ("existing", &q.existing.unwrap_or(0).to_string()),
            ],
        )),
        _ => None,
    };
    ctx.render(
        StatusCode::OK,
        "users.html",
        context! {
            wide => true,
            notice,
            heading => ctx.text_with("users_title", &[("tenant", tenant.display_name.as_ref())]),
            action => users_path(&slug),
            q => prefix,
            users => rows,
            next,
        },
    )
}

pub async fn show_user(
    ctx: PlatformPageCtx,
    path: web::Path<(String, String)>,
    q: web::Query<UserQuery>,
) -> Result<HttpResponse, PageError> {
    let on = Target::find(&ctx, path.into_inner(), Access::Read).await?;
    let notice = match q.done.as_deref() {
        Some("ended") => Some(ctx.text_with(
            "users_sessions_ended",
            &[("count", &q.ended.unwrap_or(0).to_string())],
        )),
        Some("disabled") => Some(ctx.text("users_disabled_notice")),
        Some("enabled") => Some(ctx.text("users_enabled_notice")),
        Some("mfa_reset") => Some(ctx.text("users_mfa_reset_notice")),
        Some("verification_sent") => Some(ctx.text("users_verification_sent_notice")),
        _ => None,
    };
    user_page(&ctx, &on, StatusCode::OK, notice, None).await
}

pub async fn submit_end_sessions(
    PageForm { ctx, .. }: PlatformForm<PlainForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let on = Target::find(&ctx, path.into_inner(), Access::Write).await?;
    let users = &ctx.state.manage.users;
    let ended = users
        .end_sessions(on.tenant.id, on.user.id)
        .await
        .map_err(PageError::internal)?;
    tracing::info!(tenant = %on.tenant.slug, user_id = %on.user.id, ended, "sessions ended by the tenant owner");
    Ok(ctx.redirect_to(&format!("{}&ended={ended}", on.done("ended"))))
}

pub async fn submit_enable(
    PageForm { ctx, .. }: PlatformForm<PlainForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let on = Target::find(&ctx, path.into_inner(), Access::Write).await?;
    switch_user(&ctx, &on, Switch::Enable).await
}

/// Disables or enables the user, then back to their page saying which.
async fn switch_user(
    ctx: &PageCtx,
    on: &Target,
    switch: Switch,
) -> Result<HttpResponse, PageError> {
    let users = &ctx.state.manage.users;
    let changed = match switch {
        Switch::Disable => users.disable(on.tenant.id, on.user.id).await,
        Switch::Enable => users.enable(on.tenant.id, on.user.id).await,
    };
    changed.map_err(PageError::internal)?;
    let done = switch.done();
    tracing::info!(tenant = %on.tenant.slug, user_id = %on.user.id, "user {done} by the tenant owner");
    Ok(ctx.redirect_to(&on.done(done)))
}

pub async fn submit_resend_verification(
    PageForm { ctx, .. }: PlatformForm<PlainForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let on = Target::find(&ctx, path.into_inner(), Access::Write).await?;
    let users = &ctx.state.manage.users;
    match users
        .resend_verification(&on.tenant, on.user.id, on.actor.clone(), ctx.locale)
        .await
    {
        Ok(()) => Ok(ctx.redirect_to(&on.done("verification_sent"))),
        Err(crate::manage::ManageError::AlreadyVerified) => {
            let error = ctx.text("users_already_verified");
            user_page(&ctx, &on, StatusCode::CONFLICT, None, Some(error)).await
        }
        Err(e) => Err(PageError::internal(e)),
    }
}

/// The user's data as a JSON download, as the management API exports it.
pub async fn export_user(
    ctx: PlatformPageCtx,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let on = Target::find(&ctx, path.into_inner(), Access::Read).await?;
    let users = &ctx.state.manage.users;
    let export = users
        .export(on.tenant.id, on.user.id)
        .await
        .map_err(PageError::internal)?;
    tracing::info!(tenant = %on.tenant.slug, user_id = %on.user.id, "user exported by the tenant owner");
    Ok(export_response(export))
}

/// What a form whose box must be ticked (`confirm`) does to the user: the
/// last segment of its path (`/users/{user_id}/{action}`).
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
pub enum Confirmed {
    Disable,
    ResetMfa,
    Delete,
}

/// Does the path's action once the box is ticked; otherwise the user's page
/// again (422), nothing changed.
pub async fn submit_confirmed(
    PageForm { ctx, form }: PlatformForm<ConfirmForm>,
    path: web::Path<(String, String, Confirmed)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id, what) = path.into_inner();
    let on = Target::find(&ctx, (slug, id), Access::Write).await?;
    let ctx = &*ctx;
    if form.confirm.is_none() {
        let key = match what {
            Confirmed::Disable => "users_disable_unconfirmed",
            Confirmed::ResetMfa => "users_mfa_reset_unconfirmed",
            Confirmed::Delete => "users_delete_unconfirmed",
        };
        let error = ctx.text(key);
        return user_page(
            ctx,
            &on,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(error),
        )
        .await;
    }
    let users = &ctx.state.manage.users;
    match what {
        Confirmed::Disable => switch_user(ctx, &on, Switch::Disable).await,
        Confirmed::ResetMfa => {
            users
                .reset_mfa(&on.tenant, on.user.id, on.actor.clone(), ctx.locale)
                .await
                .map_err(PageError::internal)?;
            Ok(ctx.redirect_to(&on.done("mfa_reset")))
        }
        Confirmed::Delete => {
            users
                .delete(&on.tenant, on.user.id, on.actor)
                .await
                .map_err(PageError::internal)?;
            Ok(ctx.redirect_to(&format!("{}?done=deleted", users_path(&on.slug))))
        }
    }
}

async fn user_page(
    ctx: &PageCtx,
    on: &Target,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let Target { tenant, user, .. } = on;
    let sessions: Vec<Value> = ctx
        .state
        .manage
        .users
        .sessions(tenant.id, user.id)
        .await
        .map_err(PageError::internal)?
        .iter()
        .map(|s| {
            context! {
                started => short_time(Some(s.created_at)),
                last_seen => short_time(Some(s.last_seen_at)),
                ip => &s.ip,
                device => s.user_agent.chars().take(48).collect::<String>(),
            }
        })
        .collect();
    let action = user_path(tenant.slug.as_ref(), user.id);
    ctx.render(
        status,
        "user.html",
        context! {
            wide => true,
            heading => user.email.address(),
            name => user.display_name.as_ref(),
            user_id => user.id.to_string(),
            created => short_time(Some(user.created_at)),
            last_login => short_time(user.last_login_at),
            verified => user.email_verified_at.is_some(),
            mfa => user.mfa_enabled(),
            disabled => user.is_disabled(),
            sessions,
            action,
            back => users_path(tenant.slug.as_ref()),
            notice,
            error,
        },
    )
}

fn import_path(slug: &str) -> String {
    format!("{}/import", users_path(slug))
}

fn import_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    data: &str,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    ctx.render(
        status,
        "users_import.html",
        context! {
            heading => ctx.text_with("import_title", &[("tenant", tenant.display_name.as_ref())]),
            action => import_path(tenant.slug.as_ref()),
            back => users_path(tenant.slug.as_ref()),
            data,
            error,
        },
    )
}

pub async fn show_import(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &import_path(&slug), Access::Write).await?;
    import_page(&ctx, &tenant, StatusCode::OK, "", None)
}

/// Imports the users pasted (CSV or JSON, told apart by the first
/// character), checked whole: a refused import names every bad row and
/// writes nothing.
pub async fn submit_import(
    PageForm { ctx, form }: PlatformForm<ImportForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (owner, tenant) = owner_of_at(&ctx, &slug, &import_path(&slug), Access::Write).await?;
    let text = form.data.trim();
    let parsed = if text.starts_with('{') {
        user_import::from_json(text)
    } else {
        user_import::from_csv(text)
    };
    let users = match parsed {
        Ok(users) => users,
        Err(e) => {
            let error = ctx.refused_text(&e);
            return import_page(
                &ctx,
                &tenant,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.data,
                Some(error),
            );
        }
    };
    let report = ctx
        .state
        .manage
        .users
        .import(tenant.id, &users, Actor::Owner(owner.id))
        .await
        .map_err(PageError::internal)?;
    Ok(ctx.redirect_to(&format!(
        "{}?done=imported&created={}&existing={}",
        users_path(&slug),
        report.created,
        report.existing
    )))
}
