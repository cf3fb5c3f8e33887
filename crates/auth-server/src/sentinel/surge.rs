//! The failure surge's baseline: the logins each round reads are added to
//! their tenant's hour (`sentinel_login_hours`), hours older than the
//! baseline reads are deleted once an hour, and a tenant whose window has
//! enough logins is compared with the sum of its last 7 days' hours.
use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::{Sentinel, SentinelError};
use crate::domain::sentinel::surge::{
    baseline_hours, failure_surge, hour_of, login_counts, BASELINE_SECS, HOUR,
};
use crate::domain::sentinel::{Attempt, Finding, Outcome, Thresholds};
use crate::domain::tenant::TenantId;

/// Logins and failures per tenant and hour, as a round counts them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct HourCounts(HashMap<(TenantId, i64), (i64, i64)>);

impl HourCounts {
    /// Counts `attempt` (signups are not logins).
    pub fn add(&mut self, tenant: TenantId, attempt: &Attempt) {
        let failed = match attempt.outcome {
            Outcome::Failure => 1,
            Outcome::Success => 0,
            Outcome::Signup => return,
        };
        let entry = self.0.entry((tenant, hour_of(attempt.at))).or_default();
        entry.0 += 1;
        entry.1 += failed;
    }
}

impl Sentinel {
    /// Adds a round's logins to their tenants' hours. A failure is logged
    /// and skipped: the baseline is a rough figure, and a round must not
    /// stall on it. (A round that fails after this, before moving the
    /// cursor, has its events counted again by the next: rare, and only
    /// a little weight in a week of hours.)
    pub(super) async fn roll_up(&self, counts: HourCounts) {
        for ((tenant, hour), (attempts, failures)) in counts.0 {
            if let Err(e) = self.login_hours.add(tenant, hour, attempts, failures).await {
                tracing::warn!(error = %e, %tenant, hour, "sentinel login hours not counted");
            }
        }
    }

    /// Once an hour, deletes the hours no baseline reads any more.
    pub(super) async fn prune_login_hours(&self, now: i64) {
        let hour = hour_of(now);
        if self.pruned_hour.swap(hour, Ordering::Relaxed) == hour {
            return;
        }
        let before = hour_of(now.saturating_sub(BASELINE_SECS)).saturating_sub(HOUR);
        if let Err(e) = self.login_hours.prune(before).await {
            tracing::warn!(error = %e, "sentinel login hours not pruned");
        }
    }

    /// The failure surge in `attempts` (the tenant's window) at `now`, if
    /// any. The baseline is read only for a window with enough logins.
    pub(super) async fn failure_surge(
        &self,
        tenant: TenantId,
        attempts: &[Attempt],
        now: i64,
        t: &Thresholds,
    ) -> Result<Option<Finding>, SentinelError> {
        let since = now.saturating_sub(t.window_secs);
        let recent: Vec<&Attempt> = attempts.iter().filter(|a| a.at > since).collect();
        let (logins, _) = login_counts(&recent);
        if logins < u64::try_from(t.surge_attempts).unwrap_or(u64::MAX) {
            return Ok(None);
        }
        let (from, last) = baseline_hours(now, since);
        let baseline = self.login_hours.baseline(tenant, from, last).await?;
        Ok(failure_surge(&recent, now, &baseline, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_counts_logins_per_tenant_and_hour_and_ignores_signups() {
        let tenant = TenantId::parse("00000000-0000-4000-8000-000000000001").expect("uuid");
        let attempt = |outcome, at| Attempt {
            outcome,
            account: None,
            ip: None,
            at,
        };
        let mut counts = HourCounts::default();
        for a in [
            attempt(Outcome::Failure, 7_200),
            attempt(Outcome::Success, 10_799),
            attempt(Outcome::Signup, 7_300),
            attempt(Outcome::Failure, 10_800),
        ] {
            counts.add(tenant, &a);
        }
        let mut expected = HashMap::new();
        expected.insert((tenant, 7_200), (2, 1));
        expected.insert((tenant, 10_800), (1, 1));
        assert_eq!(counts, HourCounts(expected));
    }
}
