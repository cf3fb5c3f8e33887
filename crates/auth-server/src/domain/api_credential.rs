//! API credentials: what a tenant's own automation uses to call the
//! management API for that tenant only. A credential is a client of the
//! `platform` tenant (client_credentials) bound to one tenant; its access
//! tokens name the management API as audience and carry `manage:*` scopes.
use std::fmt;

/// The `aud` (RFC 8707 resource) of tokens for the management API.
pub const MANAGE_AUDIENCE: &str = "connectauth-manage";

/// What a credential's token may do in its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManageScope {
    /// Read the tenant, its clients, settings and events.
    Read,
    /// Change the tenant's clients and settings.
    Write,
    /// Read and change the tenant's end users (personal data).
    Users,
    /// List the tenant's team, change a member's role, remove a member.
    Team,
    /// Read the tokens upstream providers gave the tenant's users (for
    /// providers set to keep them): secrets, so a scope of their own.
    UpstreamTokens,
}

impl ManageScope {
    pub const ALL: [ManageScope; 5] = [
        ManageScope::Read,
        ManageScope::Write,
        ManageScope::Users,
        ManageScope::Team,
        ManageScope::UpstreamTokens,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ManageScope::Read => "manage:read",
            ManageScope::Write => "manage:write",
            ManageScope::Users => "manage:users",
            ManageScope::Team => "manage:team",
            ManageScope::UpstreamTokens => "manage:upstream-tokens",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The scopes a space-separated `scope` claim grants (others ignored).
    pub fn granted(scope: &str) -> Vec<ManageScope> {
        let mut granted: Vec<ManageScope> = scope.split(' ').filter_map(Self::parse).collect();
        granted.sort_by_key(|s| s.as_str());
        granted.dedup();
        granted
    }
}

impl fmt::Display for ManageScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One credential of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCredential {
    /// The platform client's id.
    pub client_id: String,
    pub tenant_id: super::tenant::TenantId,
    pub name: String,
    /// The platform user who created it.
    pub created_by: String,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_others_are_ignored() {
        for s in ManageScope::ALL {
            assert_eq!(ManageScope::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            ManageScope::granted("openid manage:write  manage:read manage:read billing:admin"),
            vec![ManageScope::Read, ManageScope::Write]
        );
        assert_eq!(ManageScope::granted(""), vec![]);
        assert_eq!(ManageScope::parse("manage:*"), None);
    }
}
