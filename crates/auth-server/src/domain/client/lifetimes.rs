//! How long a client's tokens live.
use super::{
    ClientRuleError, ACCESS_TOKEN_DEFAULT_SECS, ACCESS_TOKEN_SECS, REFRESH_ABSOLUTE_DEFAULT_SECS,
    REFRESH_IDLE_DEFAULT_SECS, REFRESH_TOKEN_SECS,
};

/// How long the client's tokens live, in seconds. Refresh tokens have an
/// absolute limit and an idle limit (ASVS 10.4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    access: i64,
    refresh_absolute: i64,
    refresh_idle: i64,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access: ACCESS_TOKEN_DEFAULT_SECS,
            refresh_absolute: REFRESH_ABSOLUTE_DEFAULT_SECS,
            refresh_idle: REFRESH_IDLE_DEFAULT_SECS,
        }
    }
}

impl TokenLifetimes {
    pub fn new(
        access: i64,
        refresh_absolute: i64,
        refresh_idle: i64,
    ) -> Result<Self, ClientRuleError> {
        let within = |v: i64, (lo, hi): (i64, i64)| (lo..=hi).contains(&v);
        if !within(access, ACCESS_TOKEN_SECS) {
            return Err(ClientRuleError::AccessLifetime);
        }
        if !within(refresh_absolute, REFRESH_TOKEN_SECS) {
            return Err(ClientRuleError::RefreshLifetime);
        }
        if !within(refresh_idle, (REFRESH_TOKEN_SECS.0, refresh_absolute)) {
            return Err(ClientRuleError::RefreshIdle {
                absolute: refresh_absolute,
            });
        }
        Ok(Self {
            access,
            refresh_absolute,
            refresh_idle,
        })
    }

    pub(crate) fn from_trusted(access: i64, refresh_absolute: i64, refresh_idle: i64) -> Self {
        Self {
            access,
            refresh_absolute,
            refresh_idle,
        }
    }

    pub fn access_secs(&self) -> i64 {
        self.access
    }

    pub fn refresh_absolute_secs(&self) -> i64 {
        self.refresh_absolute
    }

    pub fn refresh_idle_secs(&self) -> i64 {
        self.refresh_idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_are_bounded() {
        let d = TokenLifetimes::default();
        assert_eq!(
            (
                d.access_secs(),
                d.refresh_absolute_secs(),
                d.refresh_idle_secs()
            ),
            (900, 2_592_000, 604_800)
        );
        assert!(TokenLifetimes::new(60, 300, 300).is_ok());
        assert!(TokenLifetimes::new(86_400, 31_536_000, 31_536_000).is_ok());
        assert_eq!(
            TokenLifetimes::new(59, 3600, 3600),
            Err(ClientRuleError::AccessLifetime)
        );
        assert_eq!(
            TokenLifetimes::new(86_401, 3600, 3600),
            Err(ClientRuleError::AccessLifetime)
        );
        assert_eq!(
            TokenLifetimes::new(900, 299, 299),
            Err(ClientRuleError::RefreshLifetime)
        );
        assert_eq!(
            TokenLifetimes::new(900, 31_536_001, 300),
            Err(ClientRuleError::RefreshLifetime)
        );
        assert_eq!(
            TokenLifetimes::new(900, 3600, 3601),
            Err(ClientRuleError::RefreshIdle { absolute: 3600 })
        );
        assert_eq!(
            TokenLifetimes::new(900, 3600, -1),
            Err(ClientRuleError::RefreshIdle { absolute: 3600 })
        );
    }
}
