//! The sentinel's daily security report of one tenant: what happened on one
//! UTC day, computed from that day's `login` and `sentinel` audit events and
//! the tenant's second-factor adoption. No SQL here: the store hands over
//! the events (`store::security_report`), this file counts them.
use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use time::{Date, Duration, OffsetDateTime, Time};

use super::audit::AuditKind;
use super::sentinel::Detector;
// Incidents whose events are no detector's: someone marked a client's
// secret, or a signing key, compromised.
use super::sentinel::{
    CLIENT_SECRET_COMPROMISED as SECRET_COMPROMISED, SIGNING_KEY_COMPROMISED as KEY_COMPROMISED,
};

/// How far back the console shows a report (days before today).
pub const DAYS_KEPT: i64 = 30;
/// How many addresses and accounts a report names at most.
pub const TOP: usize = 5;
const DAY_SECS: i64 = 86_400;

/// One UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportDay(Date);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("a day is written YYYY-MM-DD")]
    Format,
    #[error("a report covers one of the last {DAYS_KEPT} days")]
    OutOfRange,
}

impl ReportDay {
    /// The UTC day `at` (unix seconds) falls in.
    pub fn of(at: i64) -> Self {
        let at = OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Self(at.date())
    }

    /// The day before the one `now` falls in.
    pub fn yesterday(now: i64) -> Self {
        Self::of(now.saturating_sub(DAY_SECS))
    }

    /// The day a report asks for: `text` (see [`ReportDay::parse_recent`]),
    /// or yesterday without one.
    pub fn asked(text: Option<&str>, now: i64) -> Result<Self, DayError> {
        match text {
            None => Ok(Self::yesterday(now)),
            Some(text) => Self::parse_recent(text, now),
        }
    }

    /// `text` (`YYYY-MM-DD`) when it is today or one of the
    /// [`DAYS_KEPT`] days before `now`.
    pub fn parse_recent(text: &str, now: i64) -> Result<Self, DayError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let day = Date::parse(text.trim(), &format).map_err(|_| DayError::Format)?;
        let today = Self::of(now).0;
        if day > today || day < today - Duration::days(DAYS_KEPT) {
            return Err(DayError::OutOfRange);
        }
        Ok(Self(day))
    }

    /// The first second of the day (unix seconds).
    pub fn start(self) -> i64 {
        OffsetDateTime::new_utc(self.0, Time::MIDNIGHT).unix_timestamp()
    }

    /// The first second after the day.
    pub fn end(self) -> i64 {
        self.start() + DAY_SECS
    }
}

impl std::fmt::Display for ReportDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        match self.0.format(&format) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(std::fmt::Error),
        }
    }
}

/// What the report reads of one audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEvent {
    pub kind: String,
    pub outcome: String,
    pub user_id: Option<String>,
    pub ip: String,
    pub detail: String,
    pub created_at: i64,
}

/// Users with a second factor (TOTP or a passkey), of all users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MfaAdoption {
    pub with_second_factor: i64,
    pub users: i64,
}

impl MfaAdoption {
    /// Whole percent, 0 without users.
    pub fn percent(&self) -> i64 {
        percent(self.with_second_factor, self.users)
    }
}

/// Logins of one hour of the day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourCount {
    pub succeeded: u64,
    /// Failed and locked-out attempts.
    pub failed: u64,
}

/// What the sentinel and the operators did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actions {
    pub blocks: u64,
    pub sessions_ended: u64,
    pub grants_revoked: u64,
    pub secrets_replaced: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityReport {
    pub day: ReportDay,
    pub succeeded: u64,
    pub failed: u64,
    pub locked: u64,
    pub blocks_by_sentinel: u64,
    pub blocks_by_hand: u64,
    /// Incidents opened, by detector name (`client_secret_compromised` too).
    pub incidents: BTreeMap<String, u64>,
    /// The addresses with the most failed attempts, most first.
    pub top_addresses: Vec<(String, u64)>,
    /// The user ids with the most failed attempts, most first.
    pub accounts_at_risk: Vec<(String, u64)>,
    pub mfa: MfaAdoption,
    pub actions: Actions,
    pub hours: [HourCount; 24],
}

impl SecurityReport {
    /// The report of `day` from its events (others are ignored).
    pub fn compute(day: ReportDay, events: &[TrailEvent], mfa: MfaAdoption) -> Self {
        let mut report = Self {
            day,
            succeeded: 0,
            failed: 0,
            locked: 0,
            blocks_by_sentinel: 0,
            blocks_by_hand: 0,
            incidents: BTreeMap::new(),
            top_addresses: Vec::new(),
            accounts_at_risk: Vec::new(),
            mfa,
            actions: Actions::default(),
            hours: [HourCount::default(); 24],
        };
        let mut by_address: HashMap<&str, u64> = HashMap::new();
        let mut by_account: HashMap<&str, u64> = HashMap::new();
        for e in events
            .iter()
            .filter(|e| (day.start()..day.end()).contains(&e.created_at))
        {
            match AuditKind::parse(&e.kind) {
                Some(AuditKind::Login) => report.count_login(e, &mut by_address, &mut by_account),
                Some(AuditKind::Sentinel) => report.count_action(e),
                _ => {}
            }
        }
        report.top_addresses = top(by_address);
        report.accounts_at_risk = top(by_account);
        report
    }

    fn count_login<'a>(
        &mut self,
        e: &'a TrailEvent,
        by_address: &mut HashMap<&'a str, u64>,
        by_account: &mut HashMap<&'a str, u64>,
    ) {
        let hour = usize::try_from((e.created_at - self.day.start()) / 3600).unwrap_or(0);
        let slot = &mut self.hours[hour.min(23)];
        match e.outcome.as_str() {
            "success" => {
                self.succeeded += 1;
                slot.succeeded += 1;
                return;
            }
            "failure" => self.failed += 1,
            "locked" => self.locked += 1,
            _ => return,
        }
        slot.failed += 1;
        if !e.ip.is_empty() {
            *by_address.entry(e.ip.as_str()).or_default() += 1;
        }
        if let Some(user) = e.user_id.as_deref() {
            *by_account.entry(user).or_default() += 1;
        }
    }

    fn count_action(&mut self, e: &TrailEvent) {
        let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
        match e.outcome.as_str() {
            "blocked" if detail.get("detector").is_some() => {
                self.blocks_by_sentinel += 1;
                self.actions.blocks += 1;
            }
            "blocked" => {
                self.blocks_by_hand += 1;
                self.actions.blocks += 1;
            }
            SECRET_COMPROMISED => {
                *self.incidents.entry(SECRET_COMPROMISED.into()).or_default() += 1;
                self.actions.secrets_replaced += 1;
                self.actions.grants_revoked +=
                    detail["evidence"]["grants_revoked"].as_u64().unwrap_or(0);
            }
            KEY_COMPROMISED => {
                *self.incidents.entry(KEY_COMPROMISED.into()).or_default() += 1;
            }
            outcome => {
                if let Some(detector) = Detector::parse(outcome) {
                    *self.incidents.entry(detector.as_str().into()).or_default() += 1;
                    if detail["grant_revoked"].as_bool() == Some(true) {
                        self.actions.grants_revoked += 1;
                    }
                    self.actions.sessions_ended += detail["sessions_ended"].as_u64().unwrap_or(0);
                }
            }
        }
    }

    /// Failed and locked-out attempts.
    pub fn failures(&self) -> u64 {
        self.failed + self.locked
    }

    /// Failed and locked-out attempts of all attempts, in whole percent (0
    /// without attempts). A login that then asks for a second factor is
    /// counted once, by its final outcome.
    pub fn failure_rate(&self) -> i64 {
        let attempts = self.succeeded + self.failures();
        percent(
            i64::try_from(self.failures()).unwrap_or(i64::MAX),
            i64::try_from(attempts).unwrap_or(i64::MAX),
        )
    }

    pub fn incident_count(&self) -> u64 {
        self.incidents.values().sum()
    }

    /// Anything happened: a login attempt or a sentinel event.
    pub fn has_activity(&self) -> bool {
        self.succeeded + self.failures() > 0
            || self.blocks_by_sentinel + self.blocks_by_hand > 0
            || self.incident_count() > 0
    }
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    (part.saturating_mul(100) + whole / 2) / whole
}

/// The [`TOP`] largest counts, most first, ties by name.
fn top(counts: HashMap<&str, u64>) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = counts.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(TOP);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-05 00:00:00 UTC.
    const DAY0: i64 = 1_796_428_800;

    fn day() -> ReportDay {
        ReportDay::of(DAY0 + 5)
    }

    fn login(outcome: &str, ip: &str, user: Option<&str>, at: i64) -> TrailEvent {
        TrailEvent {
            kind: "login".into(),
            outcome: outcome.into(),
            user_id: user.map(str::to_owned),
            ip: ip.into(),
            detail: String::new(),
            created_at: at,
        }
    }

    fn sentinel(outcome: &str, detail: &str, at: i64) -> TrailEvent {
        TrailEvent {
            kind: "sentinel".into(),
            outcome: outcome.into(),
            user_id: None,
            ip: String::new(),
            detail: detail.into(),
            created_at: at,
        }
    }

    #[test]
    fn days_are_utc_days_within_the_last_thirty() {
        let now = DAY0 + 10 * 3600;
        assert_eq!(day().start(), DAY0);
        assert_eq!(day().end(), DAY0 + DAY_SECS);
        assert_eq!(day().to_string(), "2026-12-05");
        assert_eq!(ReportDay::yesterday(now).to_string(), "2026-12-04");
        assert_eq!(ReportDay::parse_recent("2026-12-05", now), Ok(day()));
        assert!(ReportDay::parse_recent("2026-11-05", now).is_ok());
        for (bad, why) in [
            ("2026-11-04", DayError::OutOfRange),
            ("2026-12-06", DayError::OutOfRange),
            ("05/12/2026", DayError::Format),
            ("2026-02-30", DayError::Format),
            ("yesterday", DayError::Format),
            ("", DayError::Format),
        ] {
            assert_eq!(ReportDay::parse_recent(bad, now), Err(why), "{bad}");
        }
        assert_eq!(ReportDay::asked(None, now), Ok(ReportDay::yesterday(now)));
        assert_eq!(ReportDay::asked(Some("2026-12-05"), now), Ok(day()));
        assert_eq!(
            ReportDay::asked(Some("2026-12-06"), now),
            Err(DayError::OutOfRange)
        );
    }

    #[test]
    fn logins_are_counted_by_outcome_and_hour() {
        let events = vec![
            login("success", "198.51.100.1", Some("u1"), DAY0 + 60),
            login("success", "198.51.100.1", Some("u1"), DAY0 + 3 * 3600),
            login("mfa_required", "198.51.100.1", Some("u1"), DAY0 + 3 * 3600),
            login("failure", "203.0.113.9", Some("u2"), DAY0 + 3 * 3600 + 5),
            login("failure", "203.0.113.9", None, DAY0 + 23 * 3600 + 3599),
            login("locked", "203.0.113.8", Some("u2"), DAY0 + 23 * 3600),
            // The day before and the day after are not this report's.
            login("failure", "203.0.113.9", Some("u2"), DAY0 - 1),
            login("success", "203.0.113.9", Some("u2"), DAY0 + DAY_SECS),
        ];
        let r = SecurityReport::compute(day(), &events, MfaAdoption::default());
        assert_eq!((r.succeeded, r.failed, r.locked), (2, 2, 1));
        assert_eq!(r.failure_rate(), 60);
        assert_eq!(
            r.hours[0],
            HourCount {
                succeeded: 1,
                failed: 0
            }
        );
        assert_eq!(
            r.hours[3],
            HourCount {
                succeeded: 1,
                failed: 1
            }
        );
        assert_eq!(
            r.hours[23],
            HourCount {
                succeeded: 0,
                failed: 2
            }
        );
        assert_eq!(
            r.top_addresses,
            vec![("203.0.113.9".into(), 2), ("203.0.113.8".into(), 1)]
        );
        assert_eq!(r.accounts_at_risk, vec![("u2".into(), 2)]);
        assert!(r.has_activity());
    }

    #[test]
    fn at_most_five_addresses_most_failures_first() {
        let mut events = Vec::new();
        for i in 0..7u64 {
            for _ in 0..=i {
                events.push(login("failure", &format!("192.0.2.{i}"), None, DAY0 + 10));
            }
        }
        let r = SecurityReport::compute(day(), &events, MfaAdoption::default());
        let named: Vec<&str> = r.top_addresses.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            named,
            [
                "192.0.2.6",
                "192.0.2.5",
                "192.0.2.4",
                "192.0.2.3",
                "192.0.2.2"
            ]
        );
        assert_eq!(r.top_addresses[0].1, 7);
    }

    #[test]
    fn sentinel_events_give_blocks_incidents_and_actions() {
        let events = vec![
            sentinel("brute_force", r#"{"incident":"i1"}"#, DAY0 + 100),
            sentinel(
                "blocked",
                r#"{"detector":"brute_force","block":"b1"}"#,
                DAY0 + 101,
            ),
            sentinel("blocked", r#"{"by":"operator","block":"b2"}"#, DAY0 + 200),
            sentinel(
                "refresh_reuse",
                r#"{"grant_revoked":true,"sessions_ended":3}"#,
                DAY0 + 300,
            ),
            sentinel(
                "client_secret_compromised",
                r#"{"evidence":{"grants_revoked":4}}"#,
                DAY0 + 400,
            ),
            sentinel(
                "signing_key_compromised",
                r#"{"evidence":{"kid":"k1"}}"#,
                DAY0 + 450,
            ),
            sentinel("alerted", r#"{"owners":2}"#, DAY0 + 500),
            sentinel("unblocked", r#"{"block":"b2"}"#, DAY0 + 600),
            sentinel("brute_force", "not json", DAY0 + 700),
        ];
        let r = SecurityReport::compute(day(), &events, MfaAdoption::default());
        assert_eq!((r.blocks_by_sentinel, r.blocks_by_hand), (1, 1));
        let incidents: Vec<(&str, u64)> =
            r.incidents.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(
            incidents,
            [
                ("brute_force", 2),
                ("client_secret_compromised", 1),
                ("refresh_reuse", 1),
                ("signing_key_compromised", 1)
            ]
        );
        assert_eq!(r.incident_count(), 5);
        assert_eq!(
            r.actions,
            Actions {
                blocks: 2,
                sessions_ended: 3,
                grants_revoked: 5,
                secrets_replaced: 1
            }
        );
        assert_eq!((r.succeeded, r.failures()), (0, 0));
        assert!(r.has_activity());
    }

    #[test]
    fn a_quiet_day_has_no_activity_and_no_rates() {
        let mfa = MfaAdoption {
            with_second_factor: 1,
            users: 3,
        };
        let r = SecurityReport::compute(day(), &[], mfa);
        assert!(!r.has_activity());
        assert_eq!(r.failure_rate(), 0);
        assert_eq!(r.mfa.percent(), 33);
        assert_eq!(MfaAdoption::default().percent(), 0);
    }
}
