//! A grant: one user's (or one client's) authorization of one client, the
//! unit of revocation. Every code, refresh token and user's access token
//! (its `gid` claim) names the grant that produced it.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantId(uuid::Uuid);

impl GrantId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// `None` for anything but a UUID: a `gid` claim that does not parse
    /// names no grant of this server.
    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::parse_str(text).ok().map(Self)
    }
}

impl Default for GrantId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_id_reads_back_what_it_prints_and_nothing_else_parses() {
        let id = GrantId::new();
        assert_eq!(GrantId::parse(&id.to_string()), Some(id));
        assert_ne!(GrantId::new(), id);
        for bad in ["", "grant-1", "not-a-uuid-at-all-0000000000000000"] {
            assert_eq!(GrantId::parse(bad), None, "{bad}");
        }
    }
}
