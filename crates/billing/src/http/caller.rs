//! Who may call what. Every token comes from the `platform` tenant with the
//! billing audience:
//!
//! * services: `billing:usage` (report usage), `billing:entitlements` (read
//!   any tenant's entitlements), `billing:admin` (everything, every tenant);
//! * a tenant owner's dashboard session: `billing:manage` and the claim
//!   `billing_tenant` naming the one tenant it may see and change.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use connectauth_verify::actix::AuthenticatedUser;
use serde::Deserialize;
use service_kit::{ApiError, Code};
use utoipa::IntoParams;

use crate::domain::tenant::TenantId;
use crate::error::HttpError;

pub const USAGE: &str = "billing:usage";
pub const ENTITLEMENTS: &str = "billing:entitlements";
pub const ADMIN: &str = "billing:admin";
pub const MANAGE: &str = "billing:manage";
/// The claim of an owner token that names its tenant.
pub const TENANT_CLAIM: &str = "billing_tenant";

/// What a route of one tenant needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Entitlements: also a service with `billing:entitlements`.
    ReadEntitlements,
    /// Everything else of the tenant: its owner or an operator.
    Manage,
}

/// The `{tenant_id}` of every `/v1/tenants/{tenant_id}/…` path; handlers
/// read it through [`tenant_access`].
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantPath {
    /// The auth server's tenant id (a hyphenated UUID).
    #[param(format = "uuid")]
    tenant_id: String,
}

/// The tenant of the path, once the token may act on it.
pub fn tenant_access(
    user: &AuthenticatedUser,
    path: &TenantPath,
    access: Access,
) -> Result<TenantId, HttpError> {
    let tenant = TenantId::parse(&path.tenant_id).map_err(ApiError::from)?;
    if user.claims.has_scope(ADMIN)
        || (access == Access::ReadEntitlements && user.claims.has_scope(ENTITLEMENTS))
    {
        return Ok(tenant);
    }
    if user.claims.has_scope(MANAGE) {
        let own = user
            .claims
            .get(TENANT_CLAIM)
            .and_then(serde_json::Value::as_str)
            .and_then(|t| TenantId::parse(t).ok());
        return match own {
            Some(own) if own == tenant => Ok(tenant),
            _ => Err(ApiError::new(
                Code::Forbidden,
                "This token may only act on its own tenant's billing.",
            )
            .into()),
        };
    }
    user.require_scopes(&[MANAGE])?;
    Err(ApiError::new(Code::Forbidden, "Not allowed.").into())
}

/// The tenant of the path, once the caller may manage it ([`Access::Manage`]:
/// its owner or an operator). Reads the bearer token, then [`TenantPath`].
pub struct ManagedTenant(pub TenantId);

impl FromRequest for ManagedTenant {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthenticatedUser::from_request(req, payload);
        let path = web::Path::<TenantPath>::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            let path = path.await?;
            let tenant = tenant_access(&user, &path, Access::Manage)?;
            Ok(Self(tenant))
        })
    }
}

/// Services that report usage.
pub fn usage_reporter(user: &AuthenticatedUser) -> Result<(), HttpError> {
    if user.claims.has_scope(ADMIN) {
        return Ok(());
    }
    Ok(user.require_scopes(&[USAGE])?)
}

/// Operators only.
pub fn operator(user: &AuthenticatedUser) -> Result<(), HttpError> {
    Ok(user.require_scopes(&[ADMIN])?)
}
