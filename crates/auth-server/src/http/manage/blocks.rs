//! `/manage/v1/tenants/{id}/blocks`: the addresses the sentinel (or an
//! operator) blocked on a tenant, blocking one by hand, and lifting one
//! (docs/sentinel.md).
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::openapi::Problem;
use service_kit::ApiError;
use utoipa::ToSchema;

use super::openapi::{JsonBody, Read};
use super::paths::{BlockPath, TenantPath};
use super::tenants::rfc3339;
use crate::domain::api_credential::ManageScope;
use crate::domain::sentinel::block_order::BlockOrder;
use crate::http::extract::ManageCaller;
use crate::manage::blocks::Block;
use crate::manage::ManageError;
use crate::state::AppState;

/// An address or range to block by hand.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBlockBody {
    /// An address, or a CIDR range of at least /8 (IPv4) or /16 (IPv6)
    /// with no host bits set.
    #[schema(example = "203.0.113.0/24")]
    network: String,
    /// How long the block lasts, from 1 minute to 30 days (43200).
    #[schema(example = 60, minimum = 1, maximum = 43200)]
    minutes: i64,
    /// Why, as the block list and the audit trail show it (1 to 200
    /// characters).
    #[schema(example = "scraping the signup page", min_length = 1, max_length = 200)]
    reason: String,
}

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
    /// What it refuses: `tenant`, the tenant's pages and OAuth endpoints,
    /// or `manage`, the management API (the sentinel's blocks of addresses
    /// that probed it, held by the `platform` tenant).
    #[schema(example = "tenant")]
    applies_to: String,
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
        items: items.into_iter().map(BlockView::from).collect(),
    }))
}

impl From<Block> for BlockView {
    fn from(b: Block) -> Self {
        Self {
            id: b.id,
            network: b.network,
            reason: b.reason,
            created_by: b.created_by,
            created_at: rfc3339(b.created_at),
            expires_at: rfc3339(b.expires_at),
            applies_to: b.applies_to.as_str().to_owned(),
        }
    }
}

/// Block an address or range
///
/// Every instance refuses it on the tenant's pages and endpoints within a
/// second, until it expires or is lifted. An address of
/// `AUTH_SENTINEL_NEVER_BLOCK` or of the tenant's `sentinel_allowlist` is
/// never blocked: a range holding one is refused (422). The audit trail
/// records who blocked it (kind `sentinel`, outcome `blocked`), and the
/// tenant's webhooks receive `security.ip_blocked`.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/blocks",
    tag = "blocks",
    params(TenantPath),
    request_body = CreateBlockBody,
    responses(
        (status = 201, description = "The block, in force.", body = BlockView),
        (status = 422, description = "The network is not an address or a range of at least /8 (IPv4) or /16 (IPv6) without host bits, holds an address that is never blocked, or `minutes` or `reason` is out of bounds (`invalid-input`).",
         body = Problem, content_type = "application/problem+json"),
        Read, JsonBody,
    ),
)]
pub async fn create_block(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<CreateBlockBody>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let order =
        BlockOrder::parse(&body.network, body.minutes, &body.reason).map_err(ManageError::from)?;
    let block = state
        .manage
        .blocks
        .block(&tenant, order, &caller.actor())
        .await?;
    Ok(HttpResponse::Created().json(BlockView::from(block)))
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
