//! The scopes of the Connect People API, as the tenant's clients ask for them.
pub const PROFILE_READ: &str = "profile:read";
pub const PROFILE_WRITE: &str = "profile:write";
pub const CONNECTIONS_READ: &str = "connections:read";
pub const CONNECTIONS_WRITE: &str = "connections:write";
