//! The four detectors, each a pure function of the attempts in the window.
//! Deterministic: the same attempts give the same findings, in the same
//! order (maps are ordered), so incidents and tests are repeatable.
use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use super::networks::block_range;
use super::{Attempt, Detector, Evidence, Finding, Outcome, Thresholds};

/// Every finding in `attempts` made after `now - window_secs`.
pub fn detect(attempts: &[Attempt], now: i64, t: &Thresholds) -> Vec<Finding> {
    let since = now.saturating_sub(t.window_secs);
    let recent: Vec<&Attempt> = attempts.iter().filter(|a| a.at > since).collect();
    let mut found = brute_force(&recent, t);
    found.extend(password_spray(&recent, t));
    found.extend(credential_stuffing(&recent, t));
    found.extend(signup_flood(&recent, t));
    found
}

fn failures<'a>(attempts: &'a [&'a Attempt]) -> impl Iterator<Item = &'a Attempt> + 'a {
    attempts
        .iter()
        .copied()
        .filter(|a| a.outcome == Outcome::Failure)
}

/// Many failures on one account: the account is the subject; each address
/// that made at least `brute_force_per_address` of them is blocked.
pub fn brute_force(attempts: &[&Attempt], t: &Thresholds) -> Vec<Finding> {
    let mut by_account: BTreeMap<&str, Vec<&Attempt>> = BTreeMap::new();
    for a in failures(attempts) {
        if let Some(account) = a.account.as_deref() {
            by_account.entry(account).or_default().push(a);
        }
    }
    by_account
        .into_iter()
        .filter(|(_, tries)| tries.len() >= t.brute_force_failures)
        .map(|(account, tries)| {
            let per_range = count_by_range(tries.iter().copied());
            Finding {
                detector: Detector::BruteForce,
                subject: account.to_owned(),
                evidence: Evidence {
                    attempts: tries.len(),
                    failures: tries.len(),
                    accounts: 1,
                    addresses: per_range.len(),
                    window_secs: t.window_secs,
                    surge: None,
                },
                targets: vec![account.to_owned()],
                block: per_range
                    .into_iter()
                    .filter(|(_, n)| *n >= t.brute_force_per_address)
                    .map(|(net, _)| net)
                    .collect(),
            }
        })
        .collect()
}

/// One address (IPv6: its /64) failing on many distinct accounts with few
/// tries each: the range is the subject and is blocked.
pub fn password_spray(attempts: &[&Attempt], t: &Thresholds) -> Vec<Finding> {
    let mut by_range: BTreeMap<IpNet, (usize, BTreeSet<&str>)> = BTreeMap::new();
    for a in failures(attempts) {
        let (Some(ip), Some(account)) = (a.ip, a.account.as_deref()) else {
            continue;
        };
        let entry = by_range.entry(block_range(ip)).or_default();
        entry.0 += 1;
        entry.1.insert(account);
    }
    by_range
        .into_iter()
        .filter(|(_, (failed, accounts))| {
            accounts.len() >= t.spray_accounts
                && *failed <= accounts.len().saturating_mul(t.spray_tries_per_account)
        })
        .map(|(net, (failed, accounts))| Finding {
            detector: Detector::PasswordSpray,
            subject: net.to_string(),
            evidence: Evidence {
                attempts: failed,
                failures: failed,
                accounts: accounts.len(),
                addresses: 1,
                window_secs: t.window_secs,
                surge: None,
            },
            targets: accounts.iter().map(|a| (*a).to_owned()).collect(),
            block: vec![net],
        })
        .collect()
}

/// Many addresses failing on many accounts, most of the tenant's logins
/// failing: the tenant is the subject; each address with at least
/// `stuffing_per_address` failures and no success is blocked.
pub fn credential_stuffing(attempts: &[&Attempt], t: &Thresholds) -> Vec<Finding> {
    let logins: Vec<&Attempt> = attempts
        .iter()
        .copied()
        .filter(|a| matches!(a.outcome, Outcome::Failure | Outcome::Success))
        .collect();
    let failed: Vec<&Attempt> = failures(&logins).collect();
    let accounts: BTreeSet<&str> = failed.iter().filter_map(|a| a.account.as_deref()).collect();
    let per_range = count_by_range(failed.iter().copied());
    let succeeded: BTreeSet<IpNet> = logins
        .iter()
        .filter(|a| a.outcome == Outcome::Success)
        .filter_map(|a| a.ip.map(block_range))
        .collect();
    let mostly_failing =
        failed.len().saturating_mul(100) >= logins.len().saturating_mul(t.stuffing_failure_percent);
    if per_range.len() < t.stuffing_addresses
        || accounts.len() < t.stuffing_accounts
        || !mostly_failing
    {
        return Vec::new();
    }
    vec![Finding {
        detector: Detector::CredentialStuffing,
        subject: "tenant".to_owned(),
        evidence: Evidence {
            attempts: logins.len(),
            failures: failed.len(),
            accounts: accounts.len(),
            addresses: per_range.len(),
            window_secs: t.window_secs,
            surge: None,
        },
        targets: accounts.iter().map(|a| (*a).to_owned()).collect(),
        block: per_range
            .into_iter()
            .filter(|(net, n)| *n >= t.stuffing_per_address && !succeeded.contains(net))
            .map(|(net, _)| net)
            .collect(),
    }]
}

/// Many signup attempts in the tenant: the tenant is the subject; nothing
/// is blocked (a launch looks the same), the owners are told.
pub fn signup_flood(attempts: &[&Attempt], t: &Thresholds) -> Vec<Finding> {
    let signups: Vec<&Attempt> = attempts
        .iter()
        .copied()
        .filter(|a| a.outcome == Outcome::Signup)
        .collect();
    if signups.len() < t.signup_flood {
        return Vec::new();
    }
    let addresses = count_by_range(signups.iter().copied()).len();
    vec![Finding {
        detector: Detector::SignupFlood,
        subject: "tenant".to_owned(),
        evidence: Evidence {
            attempts: signups.len(),
            failures: 0,
            accounts: 0,
            addresses,
            window_secs: t.window_secs,
            surge: None,
        },
        targets: Vec::new(),
        block: Vec::new(),
    }]
}

/// Attempts per block range (attempts with no known address left out).
fn count_by_range<'a>(attempts: impl Iterator<Item = &'a Attempt>) -> BTreeMap<IpNet, usize> {
    let mut counts = BTreeMap::new();
    for ip in attempts.filter_map(|a| a.ip) {
        *counts.entry(block_range(ip)).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn attempt(outcome: Outcome, account: &str, ip: &str, ago: i64) -> Attempt {
        Attempt {
            outcome,
            account: (!account.is_empty()).then(|| account.to_owned()),
            ip: ip.parse().ok(),
            at: NOW - ago,
        }
    }

    fn fail(account: &str, ip: &str) -> Attempt {
        attempt(Outcome::Failure, account, ip, 5)
    }

    fn ok(account: &str, ip: &str) -> Attempt {
        attempt(Outcome::Success, account, ip, 5)
    }

    fn detectors(found: &[Finding]) -> Vec<Detector> {
        found.iter().map(|f| f.detector).collect()
    }

    const T: Thresholds = Thresholds::DEFAULT;

    #[test]
    fn brute_force_fires_at_the_threshold_and_blocks_the_hammering_address() {
        let mut attempts: Vec<Attempt> = (0..9).map(|_| fail("acct-a", "203.0.113.7")).collect();
        // The owner's own two typos from home.
        attempts.push(fail("acct-a", "198.51.100.4"));
        assert!(
            detect(&attempts[..9], NOW, &T).is_empty(),
            "9 failures: quiet"
        );
        let found = detect(&attempts, NOW, &T);
        assert_eq!(detectors(&found), [Detector::BruteForce]);
        assert_eq!(found[0].subject, "acct-a");
        assert_eq!(found[0].targets, ["acct-a"], "the account is stepped up");
        assert_eq!(found[0].evidence.failures, 10);
        assert_eq!(found[0].evidence.addresses, 2);
        let blocked: Vec<String> = found[0].block.iter().map(ToString::to_string).collect();
        assert_eq!(blocked, ["203.0.113.7/32"], "the owner's address is spared");
    }

    #[test]
    fn attempts_older_than_the_window_do_not_count() {
        let mut attempts: Vec<Attempt> = (0..5).map(|_| fail("acct-a", "203.0.113.7")).collect();
        attempts.extend((0..5).map(|_| attempt(Outcome::Failure, "acct-a", "203.0.113.7", 601)));
        assert!(detect(&attempts, NOW, &T).is_empty());
    }

    #[test]
    fn a_spray_is_many_accounts_few_tries_from_one_address_or_64() {
        let attempts: Vec<Attempt> = (0..10)
            .map(|i| fail(&format!("acct-{i}"), &format!("2001:db8:7:7::{i}")))
            .collect();
        let found = detect(&attempts, NOW, &T);
        assert_eq!(detectors(&found), [Detector::PasswordSpray]);
        assert_eq!(found[0].subject, "2001:db8:7:7::/64");
        assert_eq!(found[0].evidence.accounts, 10);
        assert_eq!(found[0].block.len(), 1);
        assert_eq!(found[0].targets.len(), 10, "every account sprayed");
        assert!(found[0].targets.contains(&"acct-7".to_owned()));
        // Nine accounts, or one address trying each account many times
        // (that is brute force, not spraying): no spray.
        assert!(password_spray(&attempts.iter().take(9).collect::<Vec<_>>(), &T).is_empty());
        let hammering: Vec<Attempt> = (0..40)
            .map(|i| fail(&format!("acct-{}", i % 10), "203.0.113.9"))
            .collect();
        assert!(password_spray(&hammering.iter().collect::<Vec<_>>(), &T).is_empty());
    }

    #[test]
    fn stuffing_is_many_addresses_many_accounts_mostly_failing() {
        let mut attempts: Vec<Attempt> = (0..10)
            .flat_map(|i| {
                let ip = format!("127.0.1.{i}");
                [fail(&format!("a{i}"), &ip), fail(&format!("b{i}"), &ip)]
            })
            .collect();
        // One stolen password that worked, from its own address.
        attempts.push(ok("c0", "127.0.2.1"));
        let found = detect(&attempts, NOW, &T);
        assert_eq!(detectors(&found), [Detector::CredentialStuffing]);
        assert_eq!(found[0].subject, "tenant");
        assert_eq!(found[0].evidence.addresses, 10);
        assert_eq!(found[0].evidence.accounts, 20);
        assert_eq!(found[0].block.len(), 10);
        assert_eq!(found[0].targets.len(), 20, "every account that failed");
        assert!(
            !found[0].targets.contains(&"c0".to_owned()),
            "an account that only logged in was not attacked"
        );
        assert!(found[0]
            .block
            .iter()
            .all(|n| n.to_string().starts_with("127.0.1.")));
    }

    #[test]
    fn normal_traffic_with_typos_is_not_stuffing() {
        let mut attempts: Vec<Attempt> = (0..30)
            .map(|i| ok(&format!("user{i}"), &format!("198.51.100.{i}")))
            .collect();
        attempts.extend((0..12).map(|i| fail(&format!("user{i}"), &format!("198.51.100.{i}"))));
        assert!(detect(&attempts, NOW, &T).is_empty(), "12 of 42 fail");
    }

    #[test]
    fn a_signup_flood_alerts_without_blocking() {
        let signups: Vec<Attempt> = (0..50)
            .map(|i| attempt(Outcome::Signup, "", &format!("192.0.2.{}", i % 5), 10))
            .collect();
        let found = detect(&signups, NOW, &T);
        assert_eq!(detectors(&found), [Detector::SignupFlood]);
        assert_eq!(found[0].evidence.addresses, 5);
        assert!(found[0].block.is_empty());
        assert!(found[0].targets.is_empty(), "no account to step up");
        assert!(detect(&signups[..49], NOW, &T).is_empty());
    }

    #[test]
    fn findings_come_in_a_fixed_order() {
        let mut attempts: Vec<Attempt> = (0..12)
            .map(|i| fail(&format!("acct-{i}"), "203.0.113.5"))
            .collect();
        attempts.extend((0..10).map(|_| fail("acct-x", "203.0.113.5")));
        let found = detect(&attempts, NOW, &T);
        assert_eq!(
            detectors(&found),
            [Detector::BruteForce, Detector::PasswordSpray]
        );
        attempts.reverse();
        assert_eq!(
            detect(&attempts, NOW, &T),
            found,
            "order of rows does not matter"
        );
    }
}
