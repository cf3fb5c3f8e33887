//! When a stored row has outlived every use, so the scheduled cleanup
//! (`maintenance::cleanup`) may delete it. Each rule deletes only what the
//! live paths already treat as gone, and keeps what a later check still
//! reads: a spent refresh token while its family lives (presented again, it
//! revokes the family), a spent authorization code for a day (presented
//! again, it revokes what it gave), an expired link for a week (followed, it
//! says "expired" rather than "not valid"), and any activity the monthly
//! usage report has not counted yet.
use std::time::Duration;

use super::lockout::LockoutPolicy;
use super::session::SessionPolicy;

/// `AUTH_EVENT_RETENTION_DAYS` when unset.
pub const DEFAULT_EVENT_RETENTION_DAYS: i64 = 400;
/// The longest retention that is not "forever" (a hundred years).
pub const MAX_EVENT_RETENTION_DAYS: i64 = 36_500;
/// How long a spent authorization code is kept past its expiry: presented
/// again meanwhile, it still revokes the tokens it gave (RFC 6749 §4.1.2);
/// an attacker replaying a leaked code does so within minutes, not days.
pub const SPENT_CODE_KEPT_SECS: i64 = 24 * 60 * 60;
/// How long a one-time link is kept past its expiry, so that following it
/// says "expired" or "already used" rather than "not valid".
pub const LINK_KEPT_SECS: i64 = 7 * 24 * 60 * 60;
/// How long an event webhook's delivery log is kept once the delivery is
/// over (delivered, given up, or pending past its retry period).
pub const DELIVERY_KEPT_SECS: i64 = 30 * 24 * 60 * 60;

/// How long the record that a day's security report was mailed is kept:
/// past the 30 days a report can be read back, no day is mailed again.
pub const REPORT_MAIL_KEPT_SECS: i64 = 40 * 24 * 60 * 60;

const DAY_SECS: i64 = 24 * 60 * 60;

/// How long audit events are kept: a number of days, or forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRetention(Option<i64>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 0 (keep events forever) or 1 to {MAX_EVENT_RETENTION_DAYS} days")]
pub struct EventRetentionError;

impl EventRetention {
    /// `days` of events kept; 0 keeps them forever.
    pub fn from_days(days: i64) -> Result<Self, EventRetentionError> {
        match days {
            0 => Ok(Self(None)),
            1..=MAX_EVENT_RETENTION_DAYS => Ok(Self(Some(days))),
            _ => Err(EventRetentionError),
        }
    }

    /// The days kept; `None`: forever.
    pub fn days(self) -> Option<i64> {
        self.0
    }
}

impl Default for EventRetention {
    fn default() -> Self {
        Self(Some(DEFAULT_EVENT_RETENTION_DAYS))
    }
}

/// What the rules need beyond the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub events: EventRetention,
    /// The longest idle timeout a session of any tenant can have: past it
    /// without activity, no tenant setting makes the session live again.
    pub session_idle_secs: i64,
    /// The longest a login failure counts towards a lockout.
    pub failure_memory_secs: i64,
}

/// Where one pass cuts, at one instant: a row goes when its column is at
/// or before (`<=`) the cutoff named after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// `authorization_codes.expires_at` of codes never redeemed.
    pub unused_codes_expired: i64,
    /// `authorization_codes.expires_at` of every code, spent ones included.
    pub codes_expired: i64,
    /// `sessions.expires_at` (the absolute lifetime).
    pub sessions_expired: i64,
    /// `sessions.last_seen_at` (the idle timeout).
    pub sessions_idle: i64,
    /// `refresh_tokens.family_expires_at`, and `retry_until` when set: the
    /// whole family is dead and no replay answer is owed.
    pub refresh_families_expired: i64,
    /// `refresh_tokens.created_at`: what the usage report has counted.
    pub refresh_created: i64,
    /// `one_time_tokens.expires_at`.
    pub links_expired: i64,
    /// `login_failures.last_failure_at`.
    pub failures_last: i64,
    /// `audit_events.created_at`; `None`: events are kept forever.
    pub events_created: Option<i64>,
    /// `expires_at` of blocks, revoked access tokens, passkey ceremonies
    /// and step-up marks.
    pub expired: i64,
    /// `webhook_deliveries.created_at` (and `retry_until` of one still
    /// pending) of deliveries whose log goes.
    pub deliveries_over: i64,
    /// `security_report_mails.sent_at`.
    pub report_mails_sent: i64,
}

impl Retention {
    /// The rules for sessions under `sessions` (a tenant may set any idle
    /// timeout in its settings' bounds) and failures counted under each of
    /// `lockouts`.
    pub fn new(
        events: EventRetention,
        sessions: &SessionPolicy,
        lockouts: &[LockoutPolicy],
    ) -> Self {
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self {
            events,
            session_idle_secs: secs(sessions.longest_idle()),
            failure_memory_secs: lockouts
                .iter()
                .map(|p| secs(p.reset_after))
                .max()
                .unwrap_or(0),
        }
    }

    /// The cutoffs at `now`. `unreported_from`: where the usage report's
    /// next window starts (activity at or after it is not counted yet), when
    /// usage is reported.
    pub fn cutoffs(&self, now: i64, unreported_from: Option<i64>) -> Cutoffs {
        let counted = unreported_from.map_or(i64::MAX, |from| from.saturating_sub(1));
        let events_created = self.events.days().map(|days| {
            now.saturating_sub(days.saturating_mul(DAY_SECS))
                .min(counted)
        });
        Cutoffs {
            unused_codes_expired: now,
            codes_expired: now.saturating_sub(SPENT_CODE_KEPT_SECS),
            sessions_expired: now,
            sessions_idle: now.saturating_sub(self.session_idle_secs),
            refresh_families_expired: now,
            refresh_created: counted,
            links_expired: now.saturating_sub(LINK_KEPT_SECS),
            // A failure strictly older than the memory is forgotten
            // (`LockoutPolicy::forget_before`).
            failures_last: now
                .saturating_sub(self.failure_memory_secs)
                .saturating_sub(1),
            events_created,
            expired: now,
            deliveries_over: now.saturating_sub(DELIVERY_KEPT_SECS),
            report_mails_sent: now.saturating_sub(REPORT_MAIL_KEPT_SECS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_900_000_000;

    fn retention(events: EventRetention) -> Retention {
        Retention::new(
            events,
            &SessionPolicy::default(),
            &[LockoutPolicy::ACCOUNT, LockoutPolicy::IP],
        )
    }

    #[test]
    fn event_retention_is_zero_for_forever_or_one_day_to_a_century() {
        assert_eq!(EventRetention::default().days(), Some(400));
        assert_eq!(EventRetention::from_days(0).map(|r| r.days()), Ok(None));
        assert_eq!(EventRetention::from_days(1).map(|r| r.days()), Ok(Some(1)));
        assert_eq!(
            EventRetention::from_days(36_500).map(|r| r.days()),
            Ok(Some(36_500))
        );
        for bad in [-1, 36_501, i64::MIN, i64::MAX] {
            assert_eq!(EventRetention::from_days(bad), Err(EventRetentionError));
        }
    }

    #[test]
    fn what_the_live_paths_treat_as_gone_goes_at_once() {
        let c = retention(EventRetention::default()).cutoffs(NOW, None);
        assert_eq!(c.unused_codes_expired, NOW);
        assert_eq!(c.sessions_expired, NOW);
        assert_eq!(c.refresh_families_expired, NOW);
        assert_eq!(c.expired, NOW);
        assert_eq!(c.refresh_created, i64::MAX, "no usage report: no bound");
    }

    #[test]
    fn what_a_later_check_reads_is_kept_longer() {
        let c = retention(EventRetention::default()).cutoffs(NOW, None);
        assert_eq!(
            c.codes_expired,
            NOW - 86_400,
            "a replayed code still revokes"
        );
        assert_eq!(
            c.links_expired,
            NOW - 7 * 86_400,
            "a late click says expired"
        );
        assert_eq!(c.events_created, Some(NOW - 400 * 86_400));
    }

    /// A session idle for the longest timeout a tenant may set (7 days) is
    /// dead whatever its tenant says; one idle for less may be alive.
    #[test]
    fn a_session_goes_once_idle_past_any_tenant_s_timeout() {
        let c = retention(EventRetention::default()).cutoffs(NOW, None);
        assert_eq!(c.sessions_idle, NOW - 7 * 24 * 3600);
        let long = SessionPolicy {
            idle: Duration::from_secs(30 * 24 * 3600),
            ..SessionPolicy::default()
        };
        let r = Retention::new(EventRetention::default(), &long, &[]);
        assert_eq!(r.cutoffs(NOW, None).sessions_idle, NOW - 30 * 24 * 3600);
    }

    /// Failures go once every lockout has forgotten them: the account's
    /// 12 hours, not the address's one.
    #[test]
    fn failures_go_once_no_lockout_remembers_them() {
        let c = retention(EventRetention::default()).cutoffs(NOW, None);
        let forgotten = LockoutPolicy::ACCOUNT.forget_before(NOW);
        assert_eq!(c.failures_last, forgotten - 1);
        assert!(forgotten < LockoutPolicy::IP.forget_before(NOW));
    }

    #[test]
    fn activity_the_usage_report_has_not_counted_stays() {
        let r = retention(EventRetention::from_days(1).expect("valid"));
        let c = r.cutoffs(NOW, Some(NOW - 3 * 86_400));
        assert_eq!(c.refresh_created, NOW - 3 * 86_400 - 1);
        assert_eq!(c.events_created, Some(NOW - 3 * 86_400 - 1));
        let caught_up = r.cutoffs(NOW, Some(NOW));
        assert_eq!(caught_up.events_created, Some(NOW - 86_400));
        assert_eq!(caught_up.refresh_created, NOW - 1);
    }

    #[test]
    fn retention_zero_keeps_every_event() {
        let r = retention(EventRetention::from_days(0).expect("valid"));
        assert_eq!(r.cutoffs(NOW, None).events_created, None);
        assert_eq!(r.cutoffs(NOW, Some(NOW)).events_created, None);
    }

    #[test]
    fn cutoffs_saturate_at_the_ends_of_time() {
        let r = retention(EventRetention::from_days(MAX_EVENT_RETENTION_DAYS).expect("valid"));
        let c = r.cutoffs(i64::MIN + 1, Some(i64::MIN));
        assert_eq!(c.events_created, Some(i64::MIN));
        assert_eq!(c.failures_last, i64::MIN);
    }
}
