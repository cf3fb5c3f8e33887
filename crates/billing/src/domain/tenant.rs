//! The auth server's tenant id, as billing keys everything by it.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(uuid::Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a tenant id is a UUID")]
pub struct BadTenantId;

impl TenantId {
    pub fn parse(text: &str) -> Result<Self, BadTenantId> {
        // Only the hyphenated form, as the auth server writes it.
        if text.len() != 36 {
            return Err(BadTenantId);
        }
        uuid::Uuid::parse_str(text)
            .map(Self)
            .map_err(|_| BadTenantId)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyphenated_uuids() {
        let id = TenantId::parse("6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f").unwrap();
        assert_eq!(id.to_string(), "6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f");
        for bad in [
            "",
            "platform",
            "6f1c1d3e8a3b4c1f9d2e2b7a4c5d6e7f",
            "../etc/passwd",
            "6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7g",
        ] {
            assert_eq!(TenantId::parse(bad), Err(BadTenantId), "{bad}");
        }
    }
}
