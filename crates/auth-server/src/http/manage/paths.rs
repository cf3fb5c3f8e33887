//! The ids of the management API's paths, as the handlers take them:
//! `{id}` of every `/tenants/{id}…` path, then `{client_id}` or `{user_id}`.
//! Extracting one checks that the tenant exists (`tenant-not-found`); an id
//! of the wrong shape is simply one that does not exist (404). The tenant
//! read for that check is kept, so a handler does not read it again.
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use service_kit::{ApiError, Code};
use utoipa::IntoParams;

use crate::domain::client::ClientId;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::UserId;
use crate::state::AppState;

/// The `{id}` of every `/tenants/{id}…` path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantPath {
    // The handler gets the tenant, as read when the path was checked; the
    // OpenAPI document shows the path's `{id}`.
    /// The tenant's id (a UUID).
    #[param(
        rename = "id",
        value_type = String,
        example = "0b0f6c52-8f0e-4d5c-9a47-2f3d3c1e9a10"
    )]
    pub tenant: Tenant,
}

/// The path of `/tenants/{id}/clients/{client_id}…`; the OpenAPI document
/// takes `{id}` from [`TenantPath`] and `{client_id}` from here.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClientPath {
    #[param(ignore)]
    pub tenant: TenantId,
    /// The client's id, `cli_…`.
    #[param(value_type = String)]
    pub client_id: ClientId,
}

/// The path of `/tenants/{id}/users/{user_id}…`; the OpenAPI document
/// takes `{id}` from [`TenantPath`] and `{user_id}` from here.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    #[param(ignore)]
    pub tenant: Tenant,
    /// The user's id (a UUID).
    #[param(value_type = String)]
    pub user_id: UserId,
}

/// The path of `/tenants/{id}/owners/{user_id}`; the OpenAPI document takes
/// `{id}` from [`TenantPath`] and `{user_id}` from here.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OwnerPath {
    #[param(ignore)]
    pub tenant: TenantId,
    /// The owner's id as a user of the `platform` tenant (a UUID).
    #[param(value_type = String)]
    pub user_id: UserId,
}

/// The path of `/tenants/{id}/invitations/{email}`; the OpenAPI document
/// takes `{id}` from [`TenantPath`] and `{email}` from here.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InvitationPath {
    #[param(ignore)]
    pub tenant: TenantId,
    /// The invited address (URL-encoded: `@` as `%40`).
    #[param(example = "cto%40acme.example")]
    pub email: String,
}

fn segment<'r>(req: &'r HttpRequest, name: &str) -> &'r str {
    req.match_info().get(name).unwrap_or_default()
}

/// The path's tenant, which must exist, joined with what else the path
/// holds (parsed before, reported after the tenant).
fn with_tenant<T: 'static>(
    req: &HttpRequest,
    rest: Result<T, ApiError>,
) -> LocalBoxFuture<'static, Result<(Tenant, T), ApiError>> {
    let req = req.clone();
    Box::pin(async move {
        let id = TenantId::parse(segment(&req, "id"))
            .map_err(|_| ApiError::new(Code::TenantNotFound, "no such tenant"))?;
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return Err(ApiError::new(Code::Internal, "state missing"));
        };
        let tenant = state.manage.tenants.get(id).await?;
        Ok((tenant, rest?))
    })
}

/// The user id of the path; `missing` is the 404's detail.
fn user_id(req: &HttpRequest, missing: &'static str) -> Result<UserId, ApiError> {
    UserId::parse(segment(req, "user_id")).ok_or_else(|| ApiError::new(Code::NotFound, missing))
}

type Extracted<T> = LocalBoxFuture<'static, Result<T, ApiError>>;

impl FromRequest for TenantPath {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = with_tenant(req, Ok(()));
        Box::pin(async move {
            let (tenant, ()) = found.await?;
            Ok(Self { tenant })
        })
    }
}

impl FromRequest for ClientPath {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let client_id = ClientId::parse(segment(req, "client_id"))
            .map_err(|_| ApiError::new(Code::ClientNotFound, "no such client"));
        let found = with_tenant(req, client_id);
        Box::pin(async move {
            let (tenant, client_id) = found.await?;
            Ok(Self {
                tenant: tenant.id,
                client_id,
            })
        })
    }
}

impl FromRequest for UserPath {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = with_tenant(req, user_id(req, "no such user"));
        Box::pin(async move {
            let (tenant, user_id) = found.await?;
            Ok(Self { tenant, user_id })
        })
    }
}

impl FromRequest for OwnerPath {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = with_tenant(req, user_id(req, "this user is not an owner of the tenant"));
        Box::pin(async move {
            let (tenant, user_id) = found.await?;
            Ok(Self {
                tenant: tenant.id,
                user_id,
            })
        })
    }
}

impl FromRequest for InvitationPath {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let email = segment(req, "email").to_owned();
        let found = with_tenant(req, Ok(email));
        Box::pin(async move {
            let (tenant, email) = found.await?;
            Ok(Self {
                tenant: tenant.id,
                email,
            })
        })
    }
}
