//! `failure_surge`: the tenant's login failure ratio in the window far
//! above its own usual ratio. The usual ratio (the *baseline*) is that of
//! the tenant's logins of the last 7 days, counted per hour by the
//! sentinel, leaving out every hour that overlaps the window; with less
//! than a day of such history, or fewer logins in it than the window
//! needs, a default ratio stands in. A tenant whose ratio is always high
//! has a high baseline, so a steady high ratio raises nothing.
//! Pure: the counts come from the window and the store.
use std::collections::BTreeSet;

use serde::Serialize;

use super::networks::block_range;
use super::{Attempt, Detector, Evidence, Finding, Outcome, Thresholds};

/// How far back the baseline reads.
pub const BASELINE_SECS: i64 = 7 * 86_400;
/// The history a tenant needs before its own baseline is used.
pub const MIN_HISTORY_SECS: i64 = 86_400;
/// The rollup's unit.
pub const HOUR: i64 = 3600;

/// The start of the hour holding `at`.
pub fn hour_of(at: i64) -> i64 {
    at.div_euclid(HOUR) * HOUR
}

/// The hours a baseline at `now` reads, both included: from the hour 7
/// days ago to the last hour that ends before the window (`since`) starts.
pub fn baseline_hours(now: i64, since: i64) -> (i64, i64) {
    (
        hour_of(now.saturating_sub(BASELINE_SECS)),
        hour_of(since).saturating_sub(HOUR),
    )
}

/// The tenant's logins over the baseline's hours, as the store sums them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Baseline {
    pub attempts: u64,
    pub failures: u64,
    /// The earliest hour with a login, if any.
    pub first_hour: Option<i64>,
}

/// The baseline the rule compared with, in the incident's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurgeEvidence {
    /// The window's failure ratio, percent (rounded down).
    pub failure_percent: u64,
    /// The baseline's ratio, percent (rounded down).
    pub baseline_percent: u64,
    /// `tenant` (its own history) or `default` (too little of it).
    pub baseline: &'static str,
    pub baseline_attempts: u64,
    pub baseline_failures: u64,
}

/// Logins (successes and failures) and failures among `attempts`.
pub fn login_counts(attempts: &[&Attempt]) -> (u64, u64) {
    let mut counts = (0u64, 0u64);
    for a in attempts {
        match a.outcome {
            Outcome::Failure => {
                counts.0 += 1;
                counts.1 += 1;
            }
            Outcome::Success => counts.0 += 1,
            Outcome::Signup => {}
        }
    }
    counts
}

/// The ratio to compare with, as (failures, attempts): the tenant's own
/// when it has a day of history and enough logins in it, else the
/// default percentage.
fn reference(baseline: &Baseline, now: i64, t: &Thresholds) -> (u64, u64, &'static str) {
    let old_enough = baseline
        .first_hour
        .is_some_and(|h| now.saturating_sub(h) >= MIN_HISTORY_SECS);
    let min = u64::try_from(t.surge_attempts).unwrap_or(u64::MAX);
    if old_enough && baseline.attempts >= min && baseline.attempts > 0 {
        (baseline.failures, baseline.attempts, "tenant")
    } else {
        (
            u64::try_from(t.surge_default_baseline_percent).unwrap_or(100),
            100,
            "default",
        )
    }
}

/// A surge in `attempts` (the window's, already cut at its start) at
/// `now`, against `baseline`: at least `surge_attempts` logins, and a
/// failure ratio at least `surge_factor` times the baseline's and at least
/// `surge_margin_percent` points above it. The tenant is the subject, the
/// accounts that failed the targets; nothing is blocked.
pub fn failure_surge(
    attempts: &[&Attempt],
    now: i64,
    baseline: &Baseline,
    t: &Thresholds,
) -> Option<Finding> {
    let (logins, failed) = login_counts(attempts);
    if logins == 0 || logins < u64::try_from(t.surge_attempts).unwrap_or(u64::MAX) {
        return None;
    }
    let (ref_failed, ref_logins, source) = reference(baseline, now, t);
    let (f, a) = (u128::from(failed), u128::from(logins));
    let (bf, ba) = (u128::from(ref_failed), u128::from(ref_logins.max(1)));
    let factor = u128::try_from(t.surge_factor).unwrap_or(u128::MAX);
    let margin = u128::try_from(t.surge_margin_percent).unwrap_or(u128::MAX);
    // f/a >= factor·bf/ba  and  f/a >= bf/ba + margin/100, without division.
    let above_factor = f.saturating_mul(ba) >= factor.saturating_mul(bf).saturating_mul(a);
    let above_margin = f.saturating_mul(ba).saturating_mul(100)
        >= bf
            .saturating_mul(a)
            .saturating_mul(100)
            .saturating_add(margin.saturating_mul(a).saturating_mul(ba));
    if !(above_factor && above_margin) {
        return None;
    }
    let failures: Vec<&Attempt> = attempts
        .iter()
        .copied()
        .filter(|a| a.outcome == Outcome::Failure)
        .collect();
    let accounts: BTreeSet<&str> = failures
        .iter()
        .filter_map(|a| a.account.as_deref())
        .collect();
    let addresses: BTreeSet<_> = failures
        .iter()
        .filter_map(|a| a.ip.map(block_range))
        .collect();
    let percent = |num: u64, den: u64| num.saturating_mul(100) / den.max(1);
    Some(Finding {
        detector: Detector::FailureSurge,
        subject: "tenant".to_owned(),
        evidence: Evidence {
            attempts: usize::try_from(logins).unwrap_or(usize::MAX),
            failures: failures.len(),
            accounts: accounts.len(),
            addresses: addresses.len(),
            window_secs: t.window_secs,
            surge: Some(SurgeEvidence {
                failure_percent: percent(failed, logins),
                baseline_percent: percent(ref_failed, ref_logins),
                baseline: source,
                baseline_attempts: baseline.attempts,
                baseline_failures: baseline.failures,
            }),
        },
        targets: accounts.iter().map(|a| (*a).to_owned()).collect(),
        block: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const T: Thresholds = Thresholds::DEFAULT;

    fn attempts(failed: usize, succeeded: usize) -> Vec<Attempt> {
        let one = |outcome, i: usize| Attempt {
            outcome,
            account: Some(format!("acct-{}", i % 40)),
            ip: format!("198.51.100.{}", i % 7).parse().ok(),
            at: NOW - 5,
        };
        (0..failed)
            .map(|i| one(Outcome::Failure, i))
            .chain((0..succeeded).map(|i| one(Outcome::Success, i)))
            .collect()
    }

    fn surge(window: &[Attempt], baseline: &Baseline) -> Option<Finding> {
        let refs: Vec<&Attempt> = window.iter().collect();
        failure_surge(&refs, NOW, baseline, &T)
    }

    /// A week of history at `percent` failures.
    fn week(percent: u64) -> Baseline {
        Baseline {
            attempts: 10_000,
            failures: percent * 100,
            first_hour: Some(hour_of(NOW - BASELINE_SECS)),
        }
    }

    #[test]
    fn the_baseline_reads_the_week_before_the_window_by_whole_hours() {
        assert_eq!(hour_of(7_199), 3600);
        assert_eq!(hour_of(7_200), 7_200);
        assert_eq!(hour_of(-1), -3600);
        // Window from 10:05 to 10:15: the last hour read is 09:00-10:00.
        let ten = 10 * HOUR;
        let (from, last) = baseline_hours(ten + 900, ten + 300);
        assert_eq!(last, 9 * HOUR);
        assert_eq!(from, hour_of(ten + 900 - BASELINE_SECS));
        // Window from 09:55: the 09:00 hour overlaps it and is left out.
        assert_eq!(baseline_hours(ten + 300, ten - 300).1, 8 * HOUR);
    }

    #[test]
    fn a_surge_is_three_times_the_baseline_and_thirty_points_above_it() {
        let low = week(5);
        // 5 % usual: 35 % is the bar (30 points above beats 3 times).
        assert!(surge(&attempts(17, 33), &low).is_none(), "34 %");
        let found = surge(&attempts(18, 32), &low).expect("36 %");
        assert_eq!(found.detector, Detector::FailureSurge);
        assert_eq!(found.subject, "tenant");
        assert!(found.block.is_empty(), "a surge blocks nothing");
        let e = found.evidence.surge.as_ref().expect("surge evidence");
        assert_eq!((e.failure_percent, e.baseline_percent), (36, 5));
        assert_eq!(e.baseline, "tenant");
        assert_eq!(found.evidence.attempts, 50);
        assert_eq!(found.evidence.failures, 18);
        assert_eq!(found.targets.len(), 18, "the accounts that failed");
        // 20 % usual: 3 times (60 %) beats 30 points above (50 %).
        let mid = week(20);
        assert!(surge(&attempts(29, 21), &mid).is_none(), "58 %");
        assert!(surge(&attempts(30, 20), &mid).is_some(), "60 %");
    }

    #[test]
    fn a_steadily_high_failure_ratio_raises_nothing() {
        let high = week(60);
        assert!(surge(&attempts(50, 0), &high).is_none(), "100 % < 3 × 60 %");
        assert!(surge(&attempts(35, 15), &high).is_none());
    }

    #[test]
    fn too_few_logins_in_the_window_raise_nothing() {
        assert!(surge(&attempts(49, 0), &week(0)).is_none());
        assert!(surge(&attempts(50, 0), &week(0)).is_some());
        let signups: Vec<Attempt> = (0..80)
            .map(|_| Attempt {
                outcome: Outcome::Signup,
                account: None,
                ip: None,
                at: NOW,
            })
            .collect();
        assert!(surge(&signups, &Baseline::default()).is_none());
    }

    #[test]
    fn with_less_than_a_day_of_history_the_default_baseline_stands_in() {
        // 10 % by default: the bar is 40 %.
        let young = Baseline {
            attempts: 10_000,
            failures: 9_000,
            first_hour: Some(hour_of(NOW - 20 * HOUR)),
        };
        let found = surge(&attempts(20, 30), &young).expect("40 % against 10 %");
        let e = found.evidence.surge.as_ref().expect("evidence");
        assert_eq!((e.baseline, e.baseline_percent), ("default", 10));
        assert_eq!((e.baseline_attempts, e.baseline_failures), (10_000, 9_000));
        assert!(surge(&attempts(19, 31), &young).is_none(), "38 %");
        assert!(
            surge(&attempts(20, 30), &Baseline::default()).is_some(),
            "no history"
        );
        // A day old but with fewer logins than the window needs.
        let sparse = Baseline {
            attempts: 49,
            failures: 45,
            first_hour: Some(hour_of(NOW - 3 * 86_400)),
        };
        assert!(surge(&attempts(20, 30), &sparse).is_some(), "default used");
        let enough = Baseline {
            attempts: 50,
            ..sparse
        };
        assert!(surge(&attempts(20, 30), &enough).is_none(), "its own 90 %");
    }

    #[test]
    fn the_ratios_sit_beside_the_usual_evidence_only_for_a_surge() {
        let found = surge(&attempts(50, 0), &week(0)).expect("surge");
        let json = serde_json::to_value(&found.evidence).expect("json");
        assert_eq!(json["attempts"], 50);
        assert_eq!(json["failure_percent"], 100);
        assert_eq!(json["baseline"], "tenant");
        let plain = Evidence {
            surge: None,
            ..found.evidence
        };
        let json = serde_json::to_value(&plain).expect("json");
        assert_eq!(json["failures"], 50);
        assert!(json.get("failure_percent").is_none(), "{json}");
    }

    #[test]
    fn the_thresholds_are_tunable() {
        let t = Thresholds {
            surge_attempts: 10,
            surge_factor: 2,
            surge_margin_percent: 10,
            surge_default_baseline_percent: 50,
            ..T
        };
        let window = attempts(10, 0);
        let refs: Vec<&Attempt> = window.iter().collect();
        assert!(
            failure_surge(&refs, NOW, &Baseline::default(), &t).is_some(),
            "100 % ≥ 2 × 50 %"
        );
        let window = attempts(9, 1);
        let refs: Vec<&Attempt> = window.iter().collect();
        assert!(
            failure_surge(&refs, NOW, &Baseline::default(), &t).is_none(),
            "90 %"
        );
    }
}
