//! Session lifetimes (ASVS 7.3): an idle timeout and an absolute one.
use std::time::Duration;

use super::tenant_settings::{TenantSettings, SESSION_IDLE_MINUTES_RANGE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// How long a half-finished login (password done, MFA pending) lives.
    pub mfa_pending: Duration,
    /// Sessions a user may hold at once; a new login ends the oldest beyond it
    /// (ASVS 7.1.2).
    pub max_per_user: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(10 * 3600),
            mfa_pending: Duration::from_secs(5 * 60),
            max_per_user: 50,
        }
    }
}

/// Where a session is in the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; the second factor is still owed.
    MfaPending,
    Authenticated,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::MfaPending => "mfa_pending",
            SessionStage::Authenticated => "authenticated",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "mfa_pending" => Some(SessionStage::MfaPending),
            "authenticated" => Some(SessionStage::Authenticated),
            _ => None,
        }
    }
}

impl SessionPolicy {
    /// This policy with a tenant's own lifetimes (`session_idle_minutes`,
    /// `session_lifetime_hours`) where it set them.
    pub fn for_tenant(&self, settings: &TenantSettings) -> SessionPolicy {
        let minutes = |m: i64| Duration::from_secs(u64::try_from(m).unwrap_or(0) * 60);
        SessionPolicy {
            idle: settings.session_idle_minutes().map_or(self.idle, minutes),
            absolute: settings
                .session_lifetime_hours()
                .map_or(self.absolute, |h| minutes(h * 60)),
            ..*self
        }
    }

    /// The longest idle timeout a session under this policy can have,
    /// whatever its tenant sets (`session_idle_minutes` has an upper bound).
    pub fn longest_idle(&self) -> Duration {
        let minutes = u64::try_from(SESSION_IDLE_MINUTES_RANGE.1).unwrap_or(u64::MAX);
        self.idle
            .max(Duration::from_secs(minutes.saturating_mul(60)))
    }

    /// Whether a session created at `created_at`, last seen at `last_seen_at`
    /// and expiring at `expires_at` is still alive at `now`.
    pub fn is_alive(&self, last_seen_at: i64, expires_at: i64, now: i64) -> bool {
        let idle = i64::try_from(self.idle.as_secs()).unwrap_or(i64::MAX);
        now < expires_at && now < last_seen_at.saturating_add(idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_sets_its_own_lifetimes() {
        let server = SessionPolicy::default();
        assert_eq!(server.for_tenant(&TenantSettings::default()), server);
        let settings = TenantSettings::parse(serde_json::json!({
            "session_idle_minutes": 90,
            "session_lifetime_hours": 48,
        }))
        .expect("valid");
        let tenant = server.for_tenant(&settings);
        assert_eq!(tenant.idle, Duration::from_secs(90 * 60));
        assert_eq!(tenant.absolute, Duration::from_secs(48 * 3600));
        assert_eq!(tenant.mfa_pending, server.mfa_pending);
        assert_eq!(tenant.max_per_user, server.max_per_user);
    }

    #[test]
    fn no_tenant_setting_idles_longer_than_the_longest_idle() {
        let server = SessionPolicy::default();
        assert_eq!(server.longest_idle(), Duration::from_secs(7 * 24 * 3600));
        let most = TenantSettings::parse(serde_json::json!({
            "session_idle_minutes": SESSION_IDLE_MINUTES_RANGE.1,
        }))
        .expect("valid");
        assert_eq!(server.for_tenant(&most).idle, server.longest_idle());
        let generous = SessionPolicy {
            idle: Duration::from_secs(30 * 24 * 3600),
            ..server
        };
        assert_eq!(generous.longest_idle(), generous.idle);
    }

    #[test]
    fn idle_and_absolute_timeouts_both_end_a_session() {
        let p = SessionPolicy::default();
        assert!(p.is_alive(1000, 100_000, 1000 + 29 * 60));
        assert!(!p.is_alive(1000, 100_000, 1000 + 30 * 60), "idle");
        assert!(!p.is_alive(99_999, 100_000, 100_000), "absolute");
    }

    #[test]
    fn stages_round_trip() {
        for s in [SessionStage::MfaPending, SessionStage::Authenticated] {
            assert_eq!(SessionStage::parse(s.as_str()), Some(s));
        }
        assert_eq!(SessionStage::parse("admin"), None);
    }
}
