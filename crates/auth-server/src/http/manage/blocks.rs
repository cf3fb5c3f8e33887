//! `/manage/v1/tenants/{id}/blocks`: the addresses the sentinel (or an
//! operator) blocked on a tenant, and lifting one (docs/sentinel.md).
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::Serialize;
use service_kit::ApiError;
use utoipa::ToSchema;

use super::openapi::Read;
use super::paths::{BlockPath, TenantPath};
use super::tenants::rfc3339;
use crate::domain::api_credential::ManageScope;
use crate::http::extract::ManageCaller;
use crate::state::AppState;

/// An address or range refused on the tenant's pages and endpoints until
/// it expires.
#[derive(Serialize, ToSchema)]
pub struct BlockView {
    id: String,
    /// An address or CIDR range: an IPv4 address alone, an IPv6 /64.
    #[schema(example = "203.0.113.7/32")]
    network: String,
    /// The detector and what it saw the attack on or from.
    #[schema(example = "password_spray: 203.0.113.7/32")]
    reason: String,
    /// `sentinel` or `operator`.
    created_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// The tenant's blocks in force, newest first.
#[derive(Serialize, ToSchema)]
pub struct BlockList {
    items: Vec<BlockView>,
}

/// List a tenant's blocked addresses
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/blocks",
    tag = "blocks",
    params(TenantPath),
    responses(
        (status = 200, description = "The blocks in force, newest first.", body = BlockList),
        Read,
    ),
)]
pub async fn list_blocks(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
) -> Result<Json<BlockList>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let items = state.manage.blocks.list(tenant.id).await?;
    Ok(Json(BlockList {
        items: items
            .into_iter()
            .map(|b| BlockView {
                id: b.id,
                network: b.network,
                reason: b.reason,
                created_by: b.created_by,
                created_at: rfc3339(b.created_at),
                expires_at: rfc3339(b.expires_at),
            })
            .collect(),
    }))
}

/// Lift a block
///
/// Every instance lets the address in again within a second. The audit
/// trail records who lifted it (kind `sentinel`, outcome `unblocked`).
#[utoipa::path(
    delete,
    path = "/manage/v1/tenants/{id}/blocks/{block_id}",
    tag = "blocks",
    params(TenantPath, BlockPath),
    responses(
        (status = 204, description = "The block is lifted."),
        Read,
    ),
)]
pub async fn delete_block(
    caller: ManageCaller,
    state: web::Data<AppState>,
    BlockPath { tenant, block_id }: BlockPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant, ManageScope::Write)?;
    state
        .manage
        .blocks
        .unblock(tenant, &block_id, &caller.actor())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
