//! `/dashboard/t/{slug}/team`: a tenant's owners run its team — members
//! with their roles, invitations by email (pending ones can be withdrawn),
//! role changes and removals; a tenant always keeps an owner. Owners only
//! (admins and viewers get 403). `/dashboard/invite?token=…`: the invited
//! person, signed in on the platform with the invited address, joins.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;

use super::console::{owner_of_at, platform_user};
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use super::render::short_time;
use crate::dashboard::invites::Inviter;
use crate::dashboard::owners::OwnerError;
use crate::domain::team::{Access, Role};
use crate::domain::tenant::Tenant;
use crate::domain::user::{User, UserId};

csrf_field!(InviteForm, RoleForm, RemoveForm, WithdrawForm, AcceptForm);

pub fn team_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/team")
}

#[derive(Deserialize)]
pub struct TeamQuery {
    /// What the last form did: `invited`, `role`, `removed`, `withdrawn`.
    done: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    csrf: String,
    email: String,
    role: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    csrf: String,
    role: String,
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    confirm: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WithdrawForm {
    csrf: String,
    email: String,
}

#[derive(Deserialize)]
pub struct InviteQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    csrf: String,
    token: String,
}

/// The member and their tenant, when their role may run its team.
async fn team_owner(ctx: &PageCtx, slug: &str) -> Result<(User, Tenant), PageError> {
    owner_of_at(ctx, slug, &team_path(slug), Access::Team).await
}

pub async fn show_team(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<TeamQuery>,
) -> Result<HttpResponse, PageError> {
    let (_, tenant) = team_owner(&ctx, &slug).await?;
    let notice = match q.done.as_deref() {
        Some("invited") => Some(ctx.text("team_invited_notice")),
        Some("role") => Some(ctx.text("team_role_notice")),
        Some("removed") => Some(ctx.text("team_removed_notice")),
        Some("withdrawn") => Some(ctx.text("team_withdrawn_notice")),
        _ => None,
    };
    team_page(&ctx, &tenant, StatusCode::OK, notice, None, "").await
}

pub async fn submit_invite(
    PageForm { ctx, form }: PlatformForm<InviteForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (owner, tenant) = team_owner(&ctx, &slug).await?;
    let Ok(role) = Role::parse(&form.role) else {
        return refused_page(&ctx, &tenant, ctx.text("team_role_invalid"), &form.email).await;
    };
    match ctx
        .state
        .invitations
        .invite(
            &tenant,
            Inviter::Member(&owner),
            &form.email,
            role,
            ctx.locale,
        )
        .await
    {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=invited", team_path(&slug)))),
        Err(e @ (OwnerError::InvalidEmail(_) | OwnerError::AlreadyMember(_))) => {
            refused_page(&ctx, &tenant, ctx.refused_text(&e), &form.email).await
        }
        Err(OwnerError::Mail) => Err(PageError::Busy { retry_after: 30 }),
        Err(e) => Err(PageError::internal(e)),
    }
}

fn member_id(id: &str) -> Result<UserId, PageError> {
    UserId::parse(id).ok_or(PageError::TenantNotFound)
}

pub async fn submit_role(
    PageForm { ctx, form }: PlatformForm<RoleForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (_, tenant) = team_owner(&ctx, &slug).await?;
    let member = member_id(&id)?;
    let Ok(role) = Role::parse(&form.role) else {
        return refused_page(&ctx, &tenant, ctx.text("team_role_invalid"), "").await;
    };
    match ctx.state.owners.set_role(tenant.id, member, role).await {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=role", team_path(&slug)))),
        Err(e) => membership_refused(&ctx, &tenant, e).await,
    }
}

pub async fn submit_remove(
    PageForm { ctx, form }: PlatformForm<RemoveForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (owner, tenant) = team_owner(&ctx, &slug).await?;
    let member = member_id(&id)?;
    if form.confirm.is_none() {
        return refused_page(&ctx, &tenant, ctx.text("team_remove_unconfirmed"), "").await;
    }
    match ctx.state.owners.remove(tenant.id, member).await {
        // Leaving: the console of this tenant is no longer theirs.
        Ok(()) if member == owner.id => Ok(ctx.redirect_to("/dashboard")),
        Ok(()) => Ok(ctx.redirect_to(&format!("{}?done=removed", team_path(&slug)))),
        Err(e) => membership_refused(&ctx, &tenant, e).await,
    }
}

/// Any member leaves the team from their dashboard, unless they are its
/// last owner (409, said why): their console access to the tenant ends.
pub async fn submit_leave(
    PageForm { ctx, form }: PlatformForm<RemoveForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (member, tenant) = owner_of_at(&ctx, &slug, "/dashboard", Access::Read).await?;
    if form.confirm.is_none() {
        let message = ctx.text("team_leave_unconfirmed");
        return ctx.message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "dashboard_title",
            &message,
            Some(("team_back_to_dashboard", "/dashboard".to_owned())),
        );
    }
    match ctx.state.owners.remove(tenant.id, member.id).await {
        Ok(()) => {
            tracing::info!(tenant = %tenant.slug, user_id = %member.id, "member left the team");
            Ok(ctx.redirect_to("/dashboard"))
        }
        Err(OwnerError::LastOwner) => {
            let message = ctx.text("team_leave_last_owner");
            ctx.message(
                StatusCode::CONFLICT,
                "dashboard_title",
                &message,
                Some(("team_back_to_dashboard", "/dashboard".to_owned())),
            )
        }
        Err(OwnerError::NotAnOwner) => Err(PageError::TenantNotFound),
        Err(e) => Err(PageError::internal(e)),
    }
}

pub async fn submit_withdraw(
    PageForm { ctx, form }: PlatformForm<WithdrawForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (_, tenant) = team_owner(&ctx, &slug).await?;
    match ctx
        .state
        .invitations
        .revoke_invite(tenant.id, &form.email)
        .await
    {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=withdrawn", team_path(&slug)))),
        Err(e @ OwnerError::InvalidEmail(_)) => {
            refused_page(&ctx, &tenant, ctx.refused_text(&e), "").await
        }
        Err(e) => Err(PageError::internal(e)),
    }
}

/// A refused role change or removal: the last owner's (409, said why), or
/// someone who is not a member (the same 404 as any unknown page).
async fn membership_refused(
    ctx: &PageCtx,
    tenant: &Tenant,
    e: OwnerError,
) -> Result<HttpResponse, PageError> {
    match e {
        OwnerError::LastOwner => {
            let error = ctx.text("team_last_owner");
            team_page(ctx, tenant, StatusCode::CONFLICT, None, Some(error), "").await
        }
        OwnerError::NotAnOwner => Err(PageError::TenantNotFound),
        e => Err(PageError::internal(e)),
    }
}

/// The team page again (422), nothing changed, saying why (`error`), the
/// address as typed.
async fn refused_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    error: String,
    typed_email: &str,
) -> Result<HttpResponse, PageError> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    team_page(ctx, tenant, status, None, Some(error), typed_email).await
}

async fn team_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    typed_email: &str,
) -> Result<HttpResponse, PageError> {
    let owners = &ctx.state.owners;
    let members: Vec<Value> = owners
        .list(tenant.id)
        .await
        .map_err(PageError::internal)?
        .iter()
        .map(|m| {
            context! {
                id => m.user_id.to_string(),
                email => &m.email,
                name => &m.display_name,
                role => m.role.as_str(),
                since => short_time(Some(m.created_at)),
            }
        })
        .collect();
    let invites: Vec<Value> = ctx
        .state
        .invitations
        .pending_invites(tenant.id)
        .await
        .map_err(PageError::internal)?
        .iter()
        .map(|i| {
            context! {
                email => &i.email,
                role => i.role.as_str(),
                expires => short_time(Some(i.expires_at)),
            }
        })
        .collect();
    ctx.render(
        status,
        "team.html",
        context! {
            wide => true,
            heading => ctx.text_with("team_title", &[("tenant", tenant.display_name.as_ref())]),
            action => team_path(tenant.slug.as_ref()),
            members,
            invites,
            roles => Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            typed_email,
            notice,
            error,
        },
    )
}

/// `GET /dashboard/invite?token=…`: what the invitation is, and a button to
/// accept it (signed in on the platform first).
pub async fn show_invite(
    ctx: PlatformPageCtx,
    q: web::Query<InviteQuery>,
) -> Result<HttpResponse, PageError> {
    let back = format!("/dashboard/invite?token={}", q.token);
    let user = platform_user(&ctx, &back).await?;
    match ctx.state.invitations.invite_of(&q.token).await {
        Ok((invite, tenant)) => {
            let role = ctx.text(&format!("team_role_{}", invite.role));
            let mismatch = (user.email.normalized() != invite.email_normalized)
                .then(|| ctx.text_with("team_invite_other_address", &[("email", &invite.email)]));
            ctx.render(
                StatusCode::OK,
                "invite.html",
                context! {
                    heading => ctx.text_with("team_invite_title", &[("tenant", tenant.display_name.as_ref())]),
                    intro => ctx.text_with("team_invite_intro", &[("tenant", tenant.display_name.as_ref()), ("role", &role)]),
                    token => &q.token,
                    error => mismatch,
                },
            )
        }
        Err(OwnerError::InviteGone) => invite_gone(&ctx),
        Err(e) => Err(PageError::internal(e)),
    }
}

/// `POST /dashboard/invite`: the signed-in platform user joins.
pub async fn submit_invite_accept(
    PageForm { ctx, form }: PlatformForm<AcceptForm>,
) -> Result<HttpResponse, PageError> {
    let back = format!("/dashboard/invite?token={}", form.token);
    let user = platform_user(&ctx, &back).await?;
    match ctx.state.invitations.accept(&form.token, &user).await {
        Ok(tenant) => Ok(ctx.redirect_to(&format!("/dashboard?joined={}", tenant.slug))),
        Err(OwnerError::InviteGone) => invite_gone(&ctx),
        Err(OwnerError::InviteForSomeoneElse(email)) => {
            let error = ctx.text_with("team_invite_other_address", &[("email", &email)]);
            ctx.message(StatusCode::FORBIDDEN, "team_invite_heading", &error, None)
        }
        Err(e) => Err(PageError::internal(e)),
    }
}

fn invite_gone(ctx: &PageCtx) -> Result<HttpResponse, PageError> {
    ctx.message(
        StatusCode::GONE,
        "team_invite_heading",
        &ctx.text("team_invite_gone"),
        Some(("dashboard_link", "/dashboard".to_owned())),
    )
}
