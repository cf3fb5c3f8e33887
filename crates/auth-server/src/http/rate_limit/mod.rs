//! Request rate limits: per IP on every auth form, per tenant on signups.
//! In-process (governor) by default; shared by every instance through Redis
//! when `REDIS_URL` is set, with the in-process limiter as the fallback
//! while Redis cannot answer. Brute-force counters, which must agree across
//! instances whatever the setup, live in the database (`identity::login`).
mod shared;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use service_kit::clock::SharedClock;

pub use shared::{SharedLimitSettings, SharedLimits};

pub struct RateLimits {
    forms: DefaultKeyedRateLimiter<String>,
    signups: DefaultKeyedRateLimiter<String>,
    form_per_minute: u32,
    signup_per_minute: u32,
    clock: DefaultClock,
    shared: Option<Shared>,
}

/// The budgets kept in Redis, and what the warnings that it did not answer
/// are timed by.
struct Shared {
    limits: SharedLimits,
    clock: SharedClock,
    /// Unix seconds of the last warning that Redis did not answer.
    last_fallback_warning: AtomicI64,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

/// One warning a minute at most while Redis does not answer.
const FALLBACK_WARNING_EVERY_SECS: i64 = 60;

impl RateLimits {
    /// Budgets kept in this process only.
    pub fn new(form_per_minute: u32, signup_per_minute: u32) -> Self {
        Self {
            forms: RateLimiter::keyed(per_minute(form_per_minute)),
            signups: RateLimiter::keyed(per_minute(signup_per_minute)),
            form_per_minute,
            signup_per_minute,
            clock: DefaultClock::default(),
            shared: None,
        }
    }

    /// Budgets shared through Redis; this process's own limiter stands in
    /// while Redis cannot answer, with a warning at most once a minute of
    /// `clock`.
    pub fn shared(self, limits: SharedLimits, clock: SharedClock) -> Self {
        Self {
            shared: Some(Shared {
                limits,
                clock,
                last_fallback_warning: AtomicI64::new(0),
            }),
            ..self
        }
    }

    /// `Err(seconds to wait)` when the IP is over its form budget.
    pub async fn check_form(&self, ip: &str) -> Result<(), u64> {
        if let Some(decision) = self.check_shared("form", ip, self.form_per_minute).await {
            return decision;
        }
        self.check_local(&self.forms, ip)
    }

    pub async fn check_signup(&self, tenant_id: &str) -> Result<(), u64> {
        if let Some(decision) = self
            .check_shared("signup", tenant_id, self.signup_per_minute)
            .await
        {
            return decision;
        }
        self.check_local(&self.signups, tenant_id)
    }

    /// Redis's answer, or `None` when there is no Redis or it did not answer.
    async fn check_shared(
        &self,
        budget: &str,
        key: &str,
        per_minute: u32,
    ) -> Option<Result<(), u64>> {
        let shared = self.shared.as_ref()?;
        match shared.limits.check(budget, key, per_minute).await {
            Ok(None) => Some(Ok(())),
            Ok(Some(wait)) => Some(Err(seconds_to_wait(wait))),
            Err(e) => {
                metrics::counter!("connectauth_rate_limit_fallbacks_total").increment(1);
                shared.warn_fallback(&e);
                None
            }
        }
    }

    fn check_local(&self, limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<(), u64> {
        // Keep memory bounded: forget keys whose budget is full again.
        if limiter.len() > 50_000 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| seconds_to_wait(not_until.wait_time_from(self.clock.now())))
    }
}

impl Shared {
    fn warn_fallback(&self, error: &redis::RedisError) {
        let now = self.clock.now();
        let last = self.last_fallback_warning.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= FALLBACK_WARNING_EVERY_SECS
            && self
                .last_fallback_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                error = %error,
                "Redis did not answer a rate-limit check: this instance limits on its own until it does"
            );
        }
    }
}

/// Retry-After has one-second resolution, and never says 0.
fn seconds_to_wait(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn budget_is_per_key_and_refusal_says_how_long_to_wait() {
        let limits = RateLimits::new(3, 1);
        for _ in 0..3 {
            assert!(limits.check_form("1.1.1.1").await.is_ok());
        }
        let wait = limits.check_form("1.1.1.1").await.expect_err("over budget");
        assert!((1..=60).contains(&wait));
        assert!(
            limits.check_form("2.2.2.2").await.is_ok(),
            "other IPs unaffected"
        );
        assert!(limits.check_signup("t1").await.is_ok());
        assert!(limits.check_signup("t1").await.is_err());
        assert!(limits.check_signup("t2").await.is_ok());
    }

    #[test]
    fn a_wait_is_whole_seconds_and_never_zero() {
        assert_eq!(seconds_to_wait(Duration::from_millis(1)), 1);
        assert_eq!(seconds_to_wait(Duration::from_millis(1_001)), 2);
        assert_eq!(seconds_to_wait(Duration::from_secs(3)), 3);
    }
}
