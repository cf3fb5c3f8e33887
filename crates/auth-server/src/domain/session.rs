//! Session lifetimes (ASVS 7.3): an idle timeout and an absolute one.
use std::time::Duration;

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
