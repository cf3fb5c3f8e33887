//! `/manage/v1/tenants/{id}/owners`: a tenant's team, the `platform` users
//! who may use its console, each with a role (`owner`: everything, billing
//! and the team included; `admin`: everything but billing and the team;
//! `viewer`: reads only). A member is named by email; the person signs up
//! at `/t/platform/signup` first. A tenant keeps at least one owner. The
//! operator adds members; listing, role changes and removals are also open
//! to the tenant's API credentials with `manage:team`, which invite new
//! members by email (`invitations.rs`).
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::openapi::Problem;
use service_kit::ApiError;
use utoipa::ToSchema;

use super::openapi::{Invalid, JsonBody, Read};
use super::paths::{OwnerPath, TenantPath};
use super::tenants::rfc3339;
use crate::domain::api_credential::ManageScope;
use crate::domain::owner::Owner;
use crate::domain::team::Role;
use crate::http::extract::ManageCaller;
use crate::state::AppState;

/// The platform user to make a member.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddOwnerBody {
    /// The email address of an existing user of the `platform` tenant.
    #[schema(example = "founder@acme.example")]
    email: String,
    /// Their role; `owner` when absent.
    #[serde(default)]
    role: Option<RoleName>,
}

/// A member's new role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRoleBody {
    role: RoleName,
}

/// A member's role: `owner` (everything, billing and the team included),
/// `admin` (everything but billing and the team), `viewer` (reads only).
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    Owner,
    Admin,
    Viewer,
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Owner => Role::Owner,
            RoleName::Admin => Role::Admin,
            RoleName::Viewer => Role::Viewer,
        }
    }
}

impl From<Role> for RoleName {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => RoleName::Owner,
            Role::Admin => RoleName::Admin,
            Role::Viewer => RoleName::Viewer,
        }
    }
}

/// An owner of a tenant.
#[derive(Serialize, ToSchema)]
pub struct OwnerView {
    /// The owner's id as a user of the `platform` tenant (a UUID).
    user_id: String,
    #[schema(example = "founder@acme.example")]
    email: String,
    display_name: String,
    role: RoleName,
    /// When they became a member.
    #[schema(format = DateTime)]
    created_at: String,
}

/// A tenant's owners, oldest first.
#[derive(Serialize, ToSchema)]
pub struct OwnerList {
    items: Vec<OwnerView>,
}

impl From<Owner> for OwnerView {
    fn from(o: Owner) -> Self {
        Self {
            user_id: o.user_id.to_string(),
            email: o.email,
            display_name: o.display_name,
            role: o.role.into(),
            created_at: rfc3339(o.created_at),
        }
    }
}

/// Add an owner
///
/// Makes the `platform` user with this email an owner of the tenant: they
/// can then open the tenant's billing in the dashboard (`/dashboard`). 201
/// when added, 200 when they already were an owner.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/owners",
    tag = "owners",
    params(TenantPath),
    request_body = AddOwnerBody,
    responses(
        (status = 201, description = "The person is now an owner.", body = OwnerView),
        (status = 200, description = "The person already was an owner.", body = OwnerView),
        (status = 409, description = "No `platform` user has this email yet (`owner-not-signed-up`: the person signs up at `/t/platform/signup` first), or the tenant is `platform` itself, which has no owners (`tenant-reserved`).",
         body = Problem, content_type = "application/problem+json"),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn add_owner(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<AddOwnerBody>,
) -> Result<HttpResponse, ApiError> {
    caller.operator_only()?;
    let role = body.role.map_or(Role::Owner, Role::from);
    let (owner, added) = state.owners.add(tenant.id, &body.email, role).await?;
    if added {
        tracing::info!(tenant_id = %tenant.id, user_id = %owner.user_id, "tenant owner added");
    }
    let view = OwnerView::from(owner);
    Ok(if added {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// List a tenant's owners
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/owners",
    tag = "owners",
    params(TenantPath),
    responses(
        (status = 200, description = "The tenant's owners, oldest first.", body = OwnerList),
        Read,
    ),
)]
pub async fn list_owners(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
) -> Result<Json<OwnerList>, ApiError> {
    caller.may(tenant.id, ManageScope::Team)?;
    let owners = state.owners.list(tenant.id).await?;
    Ok(Json(OwnerList {
        items: owners.into_iter().map(OwnerView::from).collect(),
    }))
}

/// Remove an owner
///
/// Takes effect at once: the person's next dashboard request for this
/// tenant is refused. Their platform account stays.
#[utoipa::path(
    delete,
    path = "/manage/v1/tenants/{id}/owners/{user_id}",
    tag = "owners",
    params(TenantPath, OwnerPath),
    responses(
        (status = 204, description = "The person is no longer a member."),
        (status = 409, description = "They are the tenant's last owner (`last-owner`): make someone else an owner first.",
         body = Problem, content_type = "application/problem+json"),
        Read,
    ),
)]
pub async fn remove_owner(
    caller: ManageCaller,
    state: web::Data<AppState>,
    OwnerPath { tenant, user_id }: OwnerPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant, ManageScope::Team)?;
    state.owners.remove(tenant, user_id).await?;
    tracing::info!(tenant_id = %tenant, user_id = %user_id, "tenant owner removed");
    Ok(HttpResponse::NoContent().finish())
}

/// Change a member's role
///
/// Takes effect at their next console request. A tenant keeps at least one
/// owner.
#[utoipa::path(
    patch,
    path = "/manage/v1/tenants/{id}/owners/{user_id}",
    tag = "owners",
    params(TenantPath, OwnerPath),
    request_body = SetRoleBody,
    responses(
        (status = 200, description = "The member with their new role.", body = OwnerView),
        (status = 409, description = "They are the tenant's last owner (`last-owner`) and the role is not `owner`.",
         body = Problem, content_type = "application/problem+json"),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn set_owner_role(
    caller: ManageCaller,
    state: web::Data<AppState>,
    OwnerPath { tenant, user_id }: OwnerPath,
    body: JsonObject<SetRoleBody>,
) -> Result<Json<OwnerView>, ApiError> {
    caller.may(tenant, ManageScope::Team)?;
    let member = state
        .owners
        .set_role(tenant, user_id, body.role.into())
        .await?;
    Ok(Json(OwnerView::from(member)))
}
