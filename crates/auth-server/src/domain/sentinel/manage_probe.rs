//! Probing of the management API: one address (an IPv6 address by its /64)
//! answered 401 there (a missing, bad or unknown bearer token) again and
//! again. Each instance counts its 401s in memory ([`ProbeCounts`]) and
//! reports an address's count to the audit trail at most once a minute,
//! sooner only once the count alone shows an attack, so a flood of 401s is
//! not a flood of writes; the sentinel adds the reports up ([`detect`]).
use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

use super::networks::{block_range, AddressList};

/// An address's 401s are reported at most this often while its count shows
/// no attack.
pub const REPORT_EVERY_SECS: i64 = 60;
/// Addresses counted at once per instance; past it a new address is not
/// counted until a report makes room (an attack from that many addresses is
/// no probing from one).
pub const MAX_ADDRESSES: usize = 10_000;

/// When the detector fires (`AUTH_SENTINEL_MANAGE_PROBE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSettings {
    /// 401s from one address in the window that make probing.
    pub failures: u64,
    /// The window, in seconds.
    pub window_secs: i64,
}

impl ProbeSettings {
    pub const DEFAULT: ProbeSettings = ProbeSettings {
        failures: 20,
        window_secs: 300,
    };
}

/// One address's count on this instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Count {
    /// 401s not reported yet.
    pending: u64,
    /// Reports made in the window: (when, how many).
    reported: Vec<(i64, u64)>,
    last_report: Option<i64>,
}

/// The 401s this instance answered on the management API, by address
/// range, until they are reported.
#[derive(Debug, Clone, Default)]
pub struct ProbeCounts {
    counts: HashMap<IpNet, Count>,
}

/// A report to write: `failures` 401s from `network` since its last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub network: IpNet,
    pub failures: u64,
}

impl ProbeCounts {
    /// Counts one 401 for `ip`; false when the address could not be
    /// counted ([`MAX_ADDRESSES`] reached).
    pub fn record(&mut self, ip: IpAddr) -> bool {
        let net = block_range(ip);
        if !self.counts.contains_key(&net) && self.counts.len() >= MAX_ADDRESSES {
            return false;
        }
        self.counts.entry(net).or_default().pending += 1;
        true
    }

    /// The reports due at `now`: an address's first 401s at once, then at
    /// most one report a [`REPORT_EVERY_SECS`], except when its count in the
    /// window (reported and pending) reached the threshold and it may be
    /// blocked (not in `spared`): then at once, for the sentinel to block
    /// it. Forgets addresses with nothing pending nor reported in the
    /// window.
    pub fn due(&mut self, now: i64, settings: ProbeSettings, spared: &AddressList) -> Vec<Report> {
        let since = now.saturating_sub(settings.window_secs);
        let mut due = Vec::new();
        for (net, count) in &mut self.counts {
            count.reported.retain(|(at, _)| *at > since);
            if count.pending == 0 {
                continue;
            }
            let in_window: u64 = count.reported.iter().map(|(_, n)| n).sum::<u64>() + count.pending;
            let attack = in_window >= settings.failures && !spared.spares(net);
            let quiet_long_enough = count
                .last_report
                .is_none_or(|at| now.saturating_sub(at) >= REPORT_EVERY_SECS);
            if attack || quiet_long_enough {
                due.push(Report {
                    network: *net,
                    failures: count.pending,
                });
                count.reported.push((now, count.pending));
                count.pending = 0;
                count.last_report = Some(now);
            }
        }
        self.counts
            .retain(|_, c| c.pending > 0 || !c.reported.is_empty());
        due
    }

    /// How many addresses are counted.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// What the sentinel found for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeEvidence {
    /// 401s reported in the window.
    pub failures: u64,
    /// How many reports (instances and minutes) they came in.
    pub reports: usize,
    pub window_secs: i64,
}

/// Whether the reports of one address (`(when, failures)`) add up to
/// probing at `now`.
pub fn detect(reports: &[(i64, u64)], now: i64, settings: ProbeSettings) -> Option<ProbeEvidence> {
    let since = now.saturating_sub(settings.window_secs);
    let in_window: Vec<u64> = reports
        .iter()
        .filter(|(at, _)| *at > since && *at <= now)
        .map(|(_, n)| *n)
        .collect();
    let failures: u64 = in_window.iter().sum();
    (failures >= settings.failures).then_some(ProbeEvidence {
        failures,
        reports: in_window.len(),
        window_secs: settings.window_secs,
    })
}

/// The failures a report's detail carries (`{"failures": n}`); 0 when it
/// does not read.
pub fn failures_of(detail: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(detail)
        .ok()
        .and_then(|d| d["failures"].as_u64())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: ProbeSettings = ProbeSettings::DEFAULT;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn none() -> AddressList {
        AddressList::default()
    }

    #[test]
    fn the_first_401_is_reported_then_at_most_one_report_a_minute() {
        let mut c = ProbeCounts::default();
        c.record(ip("203.0.113.7"));
        let due = c.due(1_000, S, &none());
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].failures, 1);
        assert_eq!(due[0].network.to_string(), "203.0.113.7/32");
        for _ in 0..5 {
            c.record(ip("203.0.113.7"));
        }
        assert!(c.due(1_030, S, &none()).is_empty(), "a minute not over");
        assert!(c.due(1_059, S, &none()).is_empty());
        let due = c.due(1_060, S, &none());
        assert_eq!(due[0].failures, 5, "what gathered meanwhile");
        assert!(c.due(1_200, S, &none()).is_empty(), "nothing pending");
    }

    #[test]
    fn an_attack_is_reported_at_once_each_round() {
        let mut c = ProbeCounts::default();
        c.record(ip("203.0.113.7"));
        c.due(1_000, S, &none());
        for _ in 0..18 {
            c.record(ip("203.0.113.7"));
        }
        assert!(c.due(1_001, S, &none()).is_empty(), "19 in the window");
        c.record(ip("203.0.113.7"));
        let due = c.due(1_002, S, &none());
        assert_eq!(due[0].failures, 19, "the 20th makes an attack");
        c.record(ip("203.0.113.7"));
        assert_eq!(c.due(1_003, S, &none())[0].failures, 1, "still under way");
    }

    #[test]
    fn a_spared_address_is_reported_once_a_minute_whatever_its_count() {
        let mut c = ProbeCounts::default();
        let spared = AddressList::parse("127.0.0.1").expect("list");
        c.record(ip("127.0.0.1"));
        c.due(1_000, S, &spared);
        for _ in 0..100 {
            c.record(ip("127.0.0.1"));
        }
        assert!(c.due(1_001, S, &spared).is_empty());
        assert_eq!(c.due(1_060, S, &spared)[0].failures, 100);
    }

    #[test]
    fn ipv6_counts_by_64_and_the_count_is_bounded() {
        let mut c = ProbeCounts::default();
        c.record(ip("2001:db8:1:2::1"));
        c.record(ip("2001:db8:1:2::ffff"));
        assert_eq!(c.len(), 1);
        let due = c.due(1_000, S, &none());
        assert_eq!(due[0].network.to_string(), "2001:db8:1:2::/64");
        assert_eq!(due[0].failures, 2);
        let mut full = ProbeCounts::default();
        for i in 0..MAX_ADDRESSES {
            let [a, b] = u16::try_from(i).expect("small").to_be_bytes();
            assert!(full.record(IpAddr::from([10, 0, a, b])));
        }
        assert!(!full.record(ip("192.0.2.1")), "no room");
        assert!(
            full.record(ip("10.0.0.0")),
            "a counted address still counts"
        );
    }

    #[test]
    fn addresses_quiet_for_a_window_are_forgotten() {
        let mut c = ProbeCounts::default();
        c.record(ip("203.0.113.7"));
        c.due(1_000, S, &none());
        assert_eq!(c.len(), 1);
        c.due(1_000 + S.window_secs, S, &none());
        assert!(c.is_empty());
    }

    #[test]
    fn reports_add_up_in_the_window_only() {
        let now = 10_000;
        assert_eq!(detect(&[(now - 10, 19)], now, S), None);
        let found = detect(&[(now - 100, 12), (now - 10, 8)], now, S).expect("20 in 5 min");
        assert_eq!((found.failures, found.reports), (20, 2));
        assert_eq!(
            detect(&[(now - 300, 12), (now - 10, 8)], now, S),
            None,
            "the first report is out of the window"
        );
        let tuned = ProbeSettings {
            failures: 5,
            window_secs: 60,
        };
        assert!(detect(&[(now, 5)], now, tuned).is_some());
        assert_eq!(detect(&[(now + 5, 50)], now, S), None, "not yet");
    }

    #[test]
    fn a_report_s_detail_gives_its_failures() {
        assert_eq!(failures_of(r#"{"failures": 7}"#), 7);
        assert_eq!(failures_of(r#"{"failures": -1}"#), 0);
        assert_eq!(failures_of("not json"), 0);
    }
}
