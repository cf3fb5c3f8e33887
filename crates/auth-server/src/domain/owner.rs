//! The members of a tenant's team ("owners" in the management API, from
//! before roles): users of the `platform` tenant who may use its console,
//! each with a [`Role`].
use super::team::Role;
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
    pub role: Role,
    pub created_at: i64,
}
