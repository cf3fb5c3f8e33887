//! `/manage/v1/tenants/{id}/users` and `/events`: what an operator needs to
//! look after a tenant's end users (ASVS 7.4.2, 7.4.5: disabling a user or
//! ending their sessions takes effect at once).
use actix_web::http::header;
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::{ApiError, Code};
use utoipa::ToSchema;

use super::list_query::ListQuery;
use super::openapi::{Invalid, JsonBody, Read};
use super::paths::{TenantPath, UserPath};
use super::tenants::{rfc3339, Status};
use crate::domain::api_credential::ManageScope;
use crate::domain::audit::AuditEvent;
use crate::domain::user::User;
use crate::domain::user_import::{self, RawUser};
use crate::http::extract::ManageCaller;
use crate::i18n::Locale;
use crate::manage::users::UserExport;
use crate::state::AppState;
use service_kit::openapi::Problem;

/// An end user of a tenant.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    /// The user's id (a UUID), the `sub` of their tokens.
    id: String,
    #[schema(example = "alice@example.com")]
    email: String,
    username: Option<String>,
    display_name: String,
    email_verified: bool,
    mfa_enabled: bool,
    status: Status,
    #[schema(value_type = Object)]
    metadata: serde_json::Map<String, serde_json::Value>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_login_at: Option<String>,
}

service_kit::page_of! {
    /// One page of a tenant's users.
    pub UserList of UserView
}

/// How many sessions were ended.
#[derive(Serialize, ToSchema)]
pub struct EndedSessions {
    ended: u64,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.address().to_owned(),
            username: u.username.as_ref().map(|n| n.as_ref().to_owned()),
            display_name: u.display_name.as_ref().to_owned(),
            email_verified: u.email_verified_at.is_some(),
            mfa_enabled: u.mfa_enabled(),
            status: Status::of(u.is_disabled()),
            metadata: u.metadata.as_map().clone(),
            created_at: rfc3339(u.created_at),
            last_login_at: u.last_login_at.map(rfc3339),
        }
    }
}

/// One entry of a tenant's audit trail.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// What happened, e.g. `signup`, `login`, `logout`, `lockout`.
    #[schema(example = "login")]
    kind: String,
    /// How it ended, e.g. `success`, `failure`, `locked`.
    #[schema(example = "success")]
    outcome: String,
    user_id: Option<String>,
    ip: String,
    user_agent: String,
    detail: String,
    #[schema(format = DateTime)]
    at: String,
}

/// A tenant's most recent audit events, newest first.
#[derive(Serialize, ToSchema)]
pub struct EventList {
    items: Vec<EventView>,
}

/// List a tenant's users
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/users",
    tag = "users",
    params(TenantPath, ListQuery),
    responses(
        (status = 200, description = "A page of the tenant's users.", body = UserList),
        Read, Invalid,
    ),
)]
pub async fn list_users(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    query: web::Query<ListQuery>,
) -> Result<Json<UserList>, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let page = state.manage.users.list(tenant.id, &query.page()?).await?;
    Ok(Json(UserList::of(page, UserView::from)))
}

/// Get a user
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/users/{user_id}",
    tag = "users",
    params(TenantPath, UserPath),
    responses(
        (status = 200, description = "The user.", body = UserView),
        Read,
    ),
)]
pub async fn get_user(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<Json<UserView>, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let user = state.manage.users.get(tenant.id, user_id).await?;
    Ok(Json(UserView::from(user)))
}

/// Disable a user
///
/// Takes effect at once: the user can no longer log in, their sessions end
/// and every grant they gave (refresh and access tokens) is revoked.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/users/{user_id}/disable",
    tag = "users",
    params(TenantPath, UserPath),
    responses(
        (status = 200, description = "The disabled user.", body = UserView),
        Read,
    ),
)]
pub async fn disable_user(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<Json<UserView>, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let disabled = state.manage.users.disable(tenant.id, user_id).await?;
    Ok(Json(UserView::from(disabled)))
}

/// Enable a user
///
/// The user may log in again. Sessions and grants ended when they were
/// disabled stay ended. Enabling an enabled user changes nothing.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/users/{user_id}/enable",
    tag = "users",
    params(TenantPath, UserPath),
    responses(
        (status = 200, description = "The enabled user.", body = UserView),
        Read,
    ),
)]
pub async fn enable_user(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<Json<UserView>, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let enabled = state.manage.users.enable(tenant.id, user_id).await?;
    Ok(Json(UserView::from(enabled)))
}

/// End a user's sessions
///
/// Logs the user out of the hosted pages everywhere and revokes what applications got through
/// those sessions (their refresh and access tokens); the account stays usable.
#[utoipa::path(
    delete,
    path = "/manage/v1/tenants/{id}/users/{user_id}/sessions",
    tag = "users",
    params(TenantPath, UserPath),
    responses(
        (status = 200, description = "How many sessions were ended.", body = EndedSessions),
        Read,
    ),
)]
pub async fn end_user_sessions(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<Json<EndedSessions>, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let ended = state.manage.users.end_sessions(tenant.id, user_id).await?;
    Ok(Json(EndedSessions { ended }))
}

/// List a tenant's audit events
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/events",
    tag = "users",
    params(
        TenantPath,
        ("limit" = Option<u32>, Query, description = "How many events, 1 to 500 (default 100). `after` is not supported.",
         minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "The most recent events, newest first.", body = EventList),
        Read, Invalid,
    ),
)]
pub async fn list_events(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    query: web::Query<ListQuery>,
) -> Result<Json<EventList>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) || query.after.is_some() {
        return Err(ApiError::new(
            Code::InvalidInput,
            "limit must be between 1 and 500; `after` is not supported here",
        ));
    }
    let events = state
        .manage
        .users
        .events(tenant.id, i64::from(limit))
        .await?;
    let items: Vec<EventView> = events.into_iter().map(EventView::from).collect();
    Ok(Json(EventList { items }))
}

impl From<AuditEvent> for EventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            kind: e.kind,
            outcome: e.outcome,
            user_id: e.user_id,
            ip: e.ip,
            user_agent: e.user_agent,
            detail: e.detail,
            at: rfc3339(e.created_at),
        }
    }
}

/// Reset a user's second factor
///
/// For a user who lost their authenticator: the TOTP seed and recovery
/// codes are removed and the user is mailed; their sessions stay. Where the
/// tenant requires MFA, they set it up again at their next sign-in.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/users/{user_id}/reset-mfa",
    tag = "users",
    params(TenantPath, UserPath),
    responses(
        (status = 200, description = "The user, MFA off.", body = UserView),
        Read,
    ),
)]
pub async fn reset_user_mfa(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<Json<UserView>, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let user = state
        .manage
        .users
        .reset_mfa(&tenant, user_id, caller.actor(), Locale::En)
        .await?;
    Ok(Json(UserView::from(user)))
}

/// Send a user's verification mail again
///
/// A new link and code (the older ones stop working), for a user whose
/// address is not verified yet.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/users/{user_id}/resend-verification",
    tag = "users",
    params(TenantPath, UserPath),
    responses(
        (status = 202, description = "The mail is queued."),
        (status = 409, description = "The address is already verified (`email-already-verified`).",
         body = Problem, content_type = "application/problem+json"),
        Read,
    ),
)]
pub async fn resend_verification(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    state
        .manage
        .users
        .resend_verification(&tenant, user_id, caller.actor(), Locale::En)
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Delete a user
///
/// Erasure (GDPR art. 17): the user and everything that is theirs — sessions,
/// grants and refresh tokens (revoked first), consents, emailed links,
/// recovery codes — are deleted at once; their audit events keep what
/// happened and when, without IP address, user agent or detail. A
/// `user_deleted` event names the id, for systems that keep a copy of the
/// user to erase theirs. Access tokens already issued fail introspection and
/// userinfo at once and expire on their own.
#[utoipa::path(
    delete,
    path = "/manage/v1/tenants/{id}/users/{user_id}",
    tag = "users",
    params(TenantPath, UserPath),
    responses(
        (status = 204, description = "The user is erased."),
        (status = 409, description = "A `platform` user who is the only owner of a tenant's team (`last-owner`): make someone else its owner first.",
         body = Problem, content_type = "application/problem+json"),
        Read,
    ),
)]
pub async fn delete_user(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let actor = caller.actor();
    state.manage.users.delete(&tenant, user_id, actor).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Export a user
///
/// Everything kept about the user (GDPR art. 15 and 20): the profile, open
/// sessions, consents and their audit events (the newest 1,000). No password
/// hash, second-factor seed or session secret.
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/users/{user_id}/export",
    tag = "users",
    params(TenantPath, UserPath),
    responses(
        (status = 200, description = "The user's data.", body = UserExportView,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"user-{user_id}.json\"`"))),
        Read,
    ),
)]
pub async fn export_user(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let export = state.manage.users.export(tenant.id, user_id).await?;
    Ok(export_response(export))
}

/// The export as a JSON attachment (the console's download is the same).
pub(crate) fn export_response(export: UserExport) -> HttpResponse {
    let name = format!("attachment; filename=\"user-{}.json\"", export.user.id);
    HttpResponse::Ok()
        .insert_header((header::CONTENT_DISPOSITION, name))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(UserExportView::from(export))
}

/// Everything kept about one user.
#[derive(Serialize, ToSchema)]
pub struct UserExportView {
    #[schema(format = DateTime)]
    exported_at: String,
    user: UserView,
    /// The user's open sessions, newest first.
    sessions: Vec<ExportedSession>,
    /// The apps the user granted scopes to.
    consents: Vec<ExportedConsent>,
    /// The user's audit events, newest first (at most 1,000).
    events: Vec<EventView>,
}

/// One open session of the user.
#[derive(Serialize, ToSchema)]
pub struct ExportedSession {
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_seen_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
    ip: String,
    user_agent: String,
    /// How the user signed in, space-separated (`pwd`, `otp`, `rec`).
    amr: String,
}

/// What the user granted one app.
#[derive(Serialize, ToSchema)]
pub struct ExportedConsent {
    client_id: String,
    scope: String,
    #[schema(format = DateTime)]
    granted_at: String,
}

impl From<UserExport> for UserExportView {
    fn from(x: UserExport) -> Self {
        Self {
            exported_at: rfc3339(x.exported_at),
            user: UserView::from(x.user),
            sessions: x
                .sessions
                .into_iter()
                .map(|s| ExportedSession {
                    created_at: rfc3339(s.created_at),
                    last_seen_at: rfc3339(s.last_seen_at),
                    expires_at: rfc3339(s.expires_at),
                    ip: s.ip,
                    user_agent: s.user_agent,
                    amr: s.amr,
                })
                .collect(),
            consents: x
                .consents
                .into_iter()
                .map(|c| ExportedConsent {
                    client_id: c.client_id,
                    scope: c.scope,
                    granted_at: rfc3339(c.granted_at),
                })
                .collect(),
            events: x.events.into_iter().map(EventView::from).collect(),
        }
    }
}

/// Users to import: at most 500 per call.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportUsersBody {
    users: Vec<ImportUserEntry>,
}

/// One user to import.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportUserEntry {
    #[schema(example = "ann@example.com")]
    email: String,
    /// The name shown to people; the part of the address before `@` when absent.
    #[serde(default)]
    name: Option<String>,
    /// Whether the address was verified by the system the user comes from.
    #[serde(default)]
    email_verified: Option<bool>,
    /// An argon2 PHC string (`$argon2id$v=19$…`) or a bcrypt hash (`$2b$…`,
    /// cost 4 to 14), re-hashed with argon2id at the user's first login.
    /// Absent: the user sets a password with "forgot password".
    #[serde(default)]
    password_hash: Option<String>,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    /// Users created.
    created: u64,
    /// Addresses that already had an account, left as they were.
    existing: u64,
}

/// Import users
///
/// Brings users from another system, with their password hashes (argon2 or
/// bcrypt). The batch is checked whole: one bad user refuses it (422, every
/// problem named by its position) and nothing is written. Addresses that
/// already have an account in the tenant are left as they are.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/users/import",
    tag = "users",
    params(TenantPath),
    request_body = ImportUsersBody,
    responses(
        (status = 200, description = "The users are imported.", body = ImportResult),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn import_users(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<ImportUsersBody>,
) -> Result<Json<ImportResult>, ApiError> {
    caller.may(tenant.id, ManageScope::Users)?;
    let raw = body
        .into_inner()
        .users
        .into_iter()
        .map(|u| RawUser {
            email: u.email,
            name: u.name,
            email_verified: u.email_verified,
            password_hash: u.password_hash,
        })
        .collect();
    let users =
        user_import::checked(raw).map_err(|e| ApiError::new(Code::InvalidInput, e.to_string()))?;
    let report = state
        .manage
        .users
        .import(tenant.id, &users, caller.actor())
        .await?;
    Ok(Json(ImportResult {
        created: report.created,
        existing: report.existing,
    }))
}
