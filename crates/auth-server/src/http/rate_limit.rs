//! In-memory request rate limits (governor): per IP on every auth form, per
//! tenant on signups. Brute-force counters, which must agree across
//! instances, live in the database instead (`identity::login`).
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct RateLimits {
    forms: DefaultKeyedRateLimiter<String>,
    signups: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl RateLimits {
    pub fn new(form_per_minute: u32, signup_per_minute: u32) -> Self {
        Self {
            forms: RateLimiter::keyed(per_minute(form_per_minute)),
            signups: RateLimiter::keyed(per_minute(signup_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(seconds to wait)` when the IP is over its form budget.
    pub fn check_form(&self, ip: &str) -> Result<(), u64> {
        self.check(&self.forms, ip)
    }

    pub fn check_signup(&self, tenant_id: &str) -> Result<(), u64> {
        self.check(&self.signups, tenant_id)
    }

    fn check(&self, limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<(), u64> {
        // Keep memory bounded: forget keys whose budget is full again.
        if limiter.len() > 50_000 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_per_key_and_refusal_says_how_long_to_wait() {
        let limits = RateLimits::new(3, 1);
        for _ in 0..3 {
            assert!(limits.check_form("1.1.1.1").is_ok());
        }
        let wait = limits.check_form("1.1.1.1").expect_err("over budget");
        assert!((1..=60).contains(&wait));
        assert!(limits.check_form("2.2.2.2").is_ok(), "other IPs unaffected");
        assert!(limits.check_signup("t1").is_ok());
        assert!(limits.check_signup("t1").is_err());
        assert!(limits.check_signup("t2").is_ok());
    }
}
