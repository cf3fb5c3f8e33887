//! The tenant id in a `/manage/v1/tenants/{id}/…` path. An id of the wrong
//! shape is simply a tenant that does not exist.
use service_kit::{ApiError, Code};

use crate::domain::tenant::TenantId;
use crate::state::AppState;

pub fn parse_tenant_id(text: &str) -> Result<TenantId, ApiError> {
    TenantId::parse(text).map_err(|_| ApiError::new(Code::TenantNotFound, "no such tenant"))
}

/// The tenant of the path, which must exist.
pub async fn existing_tenant(state: &AppState, id: &str) -> Result<TenantId, ApiError> {
    Ok(state.manage.tenants.get(parse_tenant_id(id)?).await?.id)
}
