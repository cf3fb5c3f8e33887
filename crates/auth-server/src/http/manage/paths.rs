//! The ids of the management API's paths, as the handlers take them:
//! `{id}` of every `/tenants/{id}…` path, then `{client_id}`, `{user_id}` or
//! the id of another of the tenant's resources. Extracting one checks that the tenant exists (`tenant-not-found`); an id
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

/// The path of `/tenants/{id}/keys/{kid}…`; the OpenAPI document takes
/// `{id}` from [`TenantPath`] and `{kid}` from here.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct KeyPath {
    #[param(ignore)]
    pub tenant: TenantId,
    /// The key id (`kid`).
    pub kid: String,
}

/// The path of `/tenants/{id}/upstream-providers/{provider_id}`; the
/// OpenAPI document takes `{id}` from [`TenantPath`] and `{provider_id}`
/// from here.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProviderPath {
    #[param(ignore)]
    pub tenant: Tenant,
    /// The provider's id.
    pub provider_id: String,
}

/// The path of `/tenants/{id}/blocks/{block_id}`; the OpenAPI document
/// takes `{id}` from [`TenantPath`] and `{block_id}` from here.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct BlockPath {
    #[param(ignore)]
    pub tenant: TenantId,
    /// The block's id.
    pub block_id: String,
}

/// The path of `/tenants/{id}/webhooks/{webhook_id}…`; the OpenAPI
/// document takes `{id}` from [`TenantPath`] and `{webhook_id}` from here.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookPath {
    #[param(ignore)]
    pub tenant: Tenant,
    /// The endpoint's id, `whk_…`.
    pub webhook_id: String,
}

/// The path of `/tenants/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}…`;
/// the OpenAPI document takes `{id}` from [`TenantPath`].
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    #[param(ignore)]
    pub tenant: TenantId,
    /// The endpoint's id, `whk_…`.
    pub webhook_id: String,
    /// The delivery's id (a UUID).
    pub delivery_id: String,
}

fn segment<'r>(req: &'r HttpRequest, name: &str) -> &'r str {
    req.match_info().get(name).unwrap_or_default()
}

/// The id after the tenant's (`{kid}`, `{provider_id}`, `{block_id}`),
/// fully percent-decoded (`%2F` too) as `web::Path` decodes it: an id the
/// store looks up as given.
fn item_id(req: &HttpRequest) -> Result<String, ApiError> {
    req.match_info()
        .load::<(String, String)>()
        .map(|(_, id)| id)
        .map_err(|_| ApiError::new(Code::NotFound, "no such path"))
}

type Extracted<T> = LocalBoxFuture<'static, Result<T, ApiError>>;

/// The path's tenant, which must exist, joined by `make` with what else the
/// path holds (parsed before, reported after the tenant).
fn with_tenant<R: 'static, P: 'static>(
    req: &HttpRequest,
    rest: Result<R, ApiError>,
    make: fn(Tenant, R) -> P,
) -> Extracted<P> {
    let req = req.clone();
    Box::pin(async move {
        let id = TenantId::parse(segment(&req, "id"))
            .map_err(|_| ApiError::new(Code::TenantNotFound, "no such tenant"))?;
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return Err(ApiError::new(Code::Internal, "state missing"));
        };
        let tenant = state.manage.tenants.get(id).await?;
        Ok(make(tenant, rest?))
    })
}

/// The user id of the path; `missing` is the 404's detail.
fn user_id(req: &HttpRequest, missing: &'static str) -> Result<UserId, ApiError> {
    UserId::parse(segment(req, "user_id")).ok_or_else(|| ApiError::new(Code::NotFound, missing))
}

/// `FromRequest` for a path of one tenant: the closure `$rest` reads what
/// the path holds besides the tenant, `$make` joins the two.
macro_rules! tenant_path {
    ($path:ty, $rest:expr, $make:expr) => {
        impl FromRequest for $path {
            type Error = ApiError;
            type Future = Extracted<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                with_tenant(req, ($rest)(req), $make)
            }
        }
    };
}

tenant_path!(TenantPath, |_: &HttpRequest| Ok(()), |tenant, ()| Self {
    tenant
});

tenant_path!(
    ClientPath,
    |req: &HttpRequest| ClientId::parse(segment(req, "client_id"))
        .map_err(|_| ApiError::new(Code::ClientNotFound, "no such client")),
    |tenant, client_id| Self {
        tenant: tenant.id,
        client_id,
    }
);

tenant_path!(
    UserPath,
    |req: &HttpRequest| user_id(req, "no such user"),
    |tenant, user_id| Self { tenant, user_id }
);

tenant_path!(
    OwnerPath,
    |req: &HttpRequest| user_id(req, "this user is not an owner of the tenant"),
    |tenant, user_id| Self {
        tenant: tenant.id,
        user_id,
    }
);

tenant_path!(
    InvitationPath,
    |req: &HttpRequest| Ok(segment(req, "email").to_owned()),
    |tenant, email| Self {
        tenant: tenant.id,
        email,
    }
);

tenant_path!(KeyPath, item_id, |tenant, kid| Self {
    tenant: tenant.id,
    kid,
});

tenant_path!(ProviderPath, item_id, |tenant, provider_id| Self {
    tenant,
    provider_id,
});

tenant_path!(BlockPath, item_id, |tenant, block_id| Self {
    tenant: tenant.id,
    block_id,
});

tenant_path!(WebhookPath, item_id, |tenant, webhook_id| Self {
    tenant,
    webhook_id,
});

tenant_path!(
    DeliveryPath,
    |req: &HttpRequest| Ok((
        segment(req, "webhook_id").to_owned(),
        segment(req, "delivery_id").to_owned()
    )),
    |tenant, (webhook_id, delivery_id)| Self {
        tenant: tenant.id,
        webhook_id,
        delivery_id,
    }
);
