//! Brute-force policy: how long failures lock an account or an IP.
//!
//! Counting is pessimistic: an attempt counts as a failure *before* the
//! password is checked (and is forgiven when it succeeds), so parallel
//! attempts each see a distinct count and cannot slip past the limit together.
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures after which the subject is locked.
    pub threshold: i64,
    /// First lock; each further failure doubles it.
    pub base_lock: Duration,
    pub max_lock: Duration,
    /// Failures older than this are forgotten.
    pub reset_after: Duration,
}

impl LockoutPolicy {
    /// Per account: 5 failures lock for 1 min, doubling to 15 min; forgotten after 12 h.
    pub const ACCOUNT: LockoutPolicy = LockoutPolicy {
        threshold: 5,
        base_lock: Duration::from_secs(60),
        max_lock: Duration::from_secs(15 * 60),
        reset_after: Duration::from_secs(12 * 3600),
    };
    /// Per IP, across accounts of a tenant: 50 failures lock for 15 min; forgotten after 1 h.
    pub const IP: LockoutPolicy = LockoutPolicy {
        threshold: 50,
        base_lock: Duration::from_secs(15 * 60),
        max_lock: Duration::from_secs(60 * 60),
        reset_after: Duration::from_secs(3600),
    };

    /// This policy with a tenant's own `lockout_threshold`, where it set one.
    pub fn with_threshold(self, threshold: Option<i64>) -> LockoutPolicy {
        LockoutPolicy {
            threshold: threshold.unwrap_or(self.threshold),
            ..self
        }
    }

    /// Failures last seen before this time are forgotten.
    pub fn forget_before(&self, now: i64) -> i64 {
        now.saturating_sub(i64::try_from(self.reset_after.as_secs()).unwrap_or(i64::MAX))
    }

    /// The lock that `failures` earn, if any.
    pub fn lock_for(&self, failures: i64) -> Option<Duration> {
        if failures < self.threshold {
            return None;
        }
        let doublings = u32::try_from(failures - self.threshold)
            .unwrap_or(u32::MAX)
            .min(16);
        let lock = self.base_lock.saturating_mul(1u32 << doublings);
        Some(lock.min(self.max_lock))
    }

    /// Seconds left on the lock of a subject with `failures`, the last at `last_failure_at`.
    pub fn locked_for(&self, failures: i64, last_failure_at: i64, now: i64) -> Option<u64> {
        let lock = self.lock_for(failures)?;
        let until =
            last_failure_at.saturating_add(i64::try_from(lock.as_secs()).unwrap_or(i64::MAX));
        (now < until).then(|| u64::try_from(until - now).unwrap_or(0))
    }

    /// Whether an attempt that reserved count `reserved`, after reading
    /// `seen` failures, may go on to check the password.
    ///
    /// Below the threshold any attempt may; at or past it (a lock that has
    /// run out) only the one attempt that nobody raced.
    pub fn may_attempt(&self, seen: i64, reserved: i64) -> bool {
        reserved <= self.threshold || reserved == seen + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: LockoutPolicy = LockoutPolicy::ACCOUNT;

    #[test]
    fn a_tenant_threshold_replaces_only_the_threshold() {
        assert_eq!(P.with_threshold(None), P);
        let strict = P.with_threshold(Some(2));
        assert_eq!(strict.threshold, 2);
        assert_eq!(strict.lock_for(1), None);
        assert_eq!(strict.lock_for(2), Some(P.base_lock));
        assert_eq!(
            (strict.max_lock, strict.reset_after),
            (P.max_lock, P.reset_after)
        );
    }

    /// The values docs/security.md ("Brute force") promises.
    #[test]
    fn documented_policy_values() {
        let account = LockoutPolicy::ACCOUNT;
        assert_eq!(account.threshold, 5);
        assert_eq!(account.base_lock, Duration::from_secs(60));
        assert_eq!(account.max_lock, Duration::from_secs(900));
        assert_eq!(account.reset_after, Duration::from_secs(43_200));
        let ip = LockoutPolicy::IP;
        assert_eq!(ip.threshold, 50);
        assert_eq!(ip.base_lock, Duration::from_secs(900));
        assert_eq!(ip.max_lock, Duration::from_secs(3600));
        assert_eq!(ip.reset_after, Duration::from_secs(3600));
    }

    #[test]
    fn failures_are_forgotten_after_the_reset_time() {
        let now = 1_900_000_000;
        assert_eq!(P.forget_before(now), now - 12 * 3600);
        assert_eq!(LockoutPolicy::IP.forget_before(now), now - 3600);
        let forever = LockoutPolicy {
            reset_after: Duration::MAX,
            ..P
        };
        assert_eq!(forever.forget_before(now), now - i64::MAX);
    }

    #[test]
    fn no_lock_below_threshold() {
        assert_eq!(P.lock_for(0), None);
        assert_eq!(P.lock_for(4), None);
    }

    #[test]
    fn lock_doubles_then_caps() {
        assert_eq!(P.lock_for(5), Some(Duration::from_secs(60)));
        assert_eq!(P.lock_for(6), Some(Duration::from_secs(120)));
        assert_eq!(P.lock_for(8), Some(Duration::from_secs(480)));
        assert_eq!(P.lock_for(9), Some(Duration::from_secs(900)));
        assert_eq!(P.lock_for(1000), Some(Duration::from_secs(900)));
    }

    #[test]
    fn locked_for_counts_down_from_the_last_failure() {
        assert_eq!(P.locked_for(5, 1000, 1000), Some(60));
        assert_eq!(P.locked_for(5, 1000, 1059), Some(1));
        assert_eq!(P.locked_for(5, 1000, 1060), None);
        assert_eq!(P.locked_for(4, 1000, 1000), None);
    }

    #[test]
    fn racing_attempts_past_the_threshold_are_refused() {
        // Four failures seen; three requests race: counts 5, 6, 7 reserved.
        assert!(P.may_attempt(4, 5));
        assert!(!P.may_attempt(4, 6));
        assert!(!P.may_attempt(4, 7));
        // A lock ran out after 5 failures: one attempt, not two.
        assert!(P.may_attempt(5, 6));
        assert!(!P.may_attempt(5, 7));
    }
}
