//! `/manage/v1/tenants/{id}/invitations`: invitations to a tenant's team by
//! email, as owners send them from the console. The mail's single-use link
//! (a week) lets the person with that address (a `platform` user, who
//! signs up first if need be) join with the role invited. Open to the
//! operator and to the tenant's API credentials with `manage:team`.
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::openapi::Problem;
use service_kit::{ApiError, Code};
use utoipa::ToSchema;

use super::openapi::{Invalid, JsonBody, Read};
use super::owners::RoleName;
use super::paths::{InvitationPath, TenantPath};
use super::tenants::rfc3339;
use crate::dashboard::invites::{Invite, Inviter};
use crate::dashboard::owners::OwnerError;
use crate::domain::api_credential::ManageScope;
use crate::domain::team::Role;
use crate::http::extract::ManageCaller;
use crate::i18n::Locale;
use crate::state::AppState;

/// Who to invite, and as what.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    #[schema(example = "cto@acme.example")]
    email: String,
    /// Their role once they join; `admin` when absent.
    #[serde(default)]
    role: Option<RoleName>,
    /// The mail's language; `en` when absent.
    #[serde(default)]
    language: Option<Language>,
}

/// A language of the mails.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
}

impl From<Language> for Locale {
    fn from(l: Language) -> Self {
        match l {
            Language::En => Locale::En,
            Language::Fr => Locale::Fr,
        }
    }
}

/// A pending invitation (its link is only in the mail).
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    #[schema(example = "cto@acme.example")]
    email: String,
    role: RoleName,
    #[schema(format = DateTime)]
    created_at: String,
    /// After this the link no longer works.
    #[schema(format = DateTime)]
    expires_at: String,
}

/// The tenant's pending invitations, oldest first.
#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    items: Vec<InvitationView>,
}

impl From<Invite> for InvitationView {
    fn from(i: Invite) -> Self {
        Self {
            email: i.email,
            role: i.role.into(),
            created_at: rfc3339(i.created_at),
            expires_at: rfc3339(i.expires_at),
        }
    }
}

/// Invite someone to the team
///
/// Mails the address a single-use link (valid a week) to join the tenant's
/// team with the role given; a new invitation to the same address replaces
/// the pending one.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/invitations",
    tag = "owners",
    params(TenantPath),
    request_body = InviteBody,
    responses(
        (status = 201, description = "The invitation is mailed.", body = InvitationView),
        (status = 409, description = "The tenant is `platform`, which has no team (`tenant-reserved`).",
         body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The mail could not be queued; retry later.",
         body = Problem, content_type = "application/problem+json"),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn invite(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<InviteBody>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Team)?;
    let body = body.into_inner();
    let locale = body.language.map_or(Locale::En, Locale::from);
    let role = body.role.map_or(Role::Admin, Role::from);
    let inviter = match &caller {
        ManageCaller::Operator => Inviter::Operator,
        ManageCaller::Credential { client_id, .. } => Inviter::Credential(client_id),
    };
    let invite = state
        .invitations
        .invite(&tenant, inviter, &body.email, role, locale)
        .await?;
    tracing::info!(tenant_id = %tenant.id, actor = %caller.actor(), "team invitation sent");
    Ok(HttpResponse::Created().json(InvitationView::from(invite)))
}

/// List the pending invitations
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/invitations",
    tag = "owners",
    params(TenantPath),
    responses(
        (status = 200, description = "The invitations not yet accepted, withdrawn or expired.", body = InvitationList),
        Read,
    ),
)]
pub async fn list_invitations(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
) -> Result<Json<InvitationList>, ApiError> {
    caller.may(tenant.id, ManageScope::Team)?;
    let items = state
        .invitations
        .pending_invites(tenant.id)
        .await?
        .into_iter()
        .map(InvitationView::from)
        .collect();
    Ok(Json(InvitationList { items }))
}

/// Withdraw an invitation
#[utoipa::path(
    delete,
    path = "/manage/v1/tenants/{id}/invitations/{email}",
    tag = "owners",
    params(TenantPath, InvitationPath),
    responses(
        (status = 204, description = "Withdrawn: its link no longer works."),
        (status = 404, description = "No pending invitation to this address.",
         body = Problem, content_type = "application/problem+json"),
        Read, Invalid,
    ),
)]
pub async fn withdraw_invitation(
    caller: ManageCaller,
    state: web::Data<AppState>,
    InvitationPath { tenant, email }: InvitationPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant, ManageScope::Team)?;
    let gone = || ApiError::new(Code::NotFound, "No pending invitation to this address.");
    match state.invitations.revoke_invite(tenant, &email).await {
        Ok(true) => Ok(HttpResponse::NoContent().finish()),
        // Not an address: no invitation can be to it.
        Ok(false) | Err(OwnerError::InvalidEmail(_)) => Err(gone()),
        Err(e) => Err(e.into()),
    }
}
