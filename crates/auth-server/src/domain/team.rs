//! A tenant's team: the `platform` users who run it from the console, each
//! with a role, and the invitations that bring new members in.
use std::fmt;

/// What a member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, billing and the team included.
    Owner,
    /// Everything but billing and the team.
    Admin,
    /// Reads only.
    Viewer,
}

/// What a console page or action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// See the tenant's apps, users, settings, keys and events.
    Read,
    /// Change them.
    Write,
    /// See and change the plan, payment and invoices.
    Billing,
    /// Invite, change and remove members.
    Team,
    /// Create and revoke API credentials (they act for the tenant).
    Credentials,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role must be owner, admin or viewer")]
pub struct RoleError;

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Viewer];

    pub fn parse(text: &str) -> Result<Self, RoleError> {
        match text {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "viewer" => Ok(Role::Viewer),
            _ => Err(RoleError),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn allows(self, access: Access) -> bool {
        match access {
            Access::Read => true,
            Access::Write => matches!(self, Role::Owner | Role::Admin),
            Access::Billing | Access::Team | Access::Credentials => self == Role::Owner,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An invitation lasts a week.
pub const INVITE_TTL_SECS: i64 = 7 * 24 * 3600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_gets_what_it_is_documented_to() {
        let table = [
            (Role::Owner, [true, true, true, true, true]),
            (Role::Admin, [true, true, false, false, false]),
            (Role::Viewer, [true, false, false, false, false]),
        ];
        for (role, allowed) in table {
            for (access, expected) in [
                Access::Read,
                Access::Write,
                Access::Billing,
                Access::Team,
                Access::Credentials,
            ]
            .into_iter()
            .zip(allowed)
            {
                assert_eq!(role.allows(access), expected, "{role} {access:?}");
            }
        }
    }

    #[test]
    fn roles_round_trip_and_nothing_else_parses() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        for bad in ["", "Owner", "root", "admin "] {
            assert_eq!(Role::parse(bad), Err(RoleError), "{bad}");
        }
    }
}
