//! The owners of a tenant: users of the `platform` tenant who may use its
//! dashboard.
use super::tenant::TenantId;
use super::user::UserId;

/// One owner of a tenant, with what the operator needs to recognise them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub tenant_id: TenantId,
    /// The owner's id as a user of the `platform` tenant.
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub created_at: i64,
}
