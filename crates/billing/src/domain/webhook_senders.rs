//! Senders of Stripe webhooks that fail their signature. Stripe signs every
//! delivery, so an address that keeps sending deliveries that do not
//! verify is probing the endpoint (guessing a secret, replaying captured
//! deliveries): after `failures` such deliveries within `window_secs`, the
//! address is refused for `block_secs` without being verified again. The
//! rule keeps its counts in memory, per instance; addresses of the
//! operator's `never_block` list (Stripe's published webhook ranges, say)
//! are never refused.
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use ipnet::IpNet;

/// At most this many addresses are counted at once: a flood from many
/// addresses cannot grow the memory past it (about 100 bytes each).
pub const MAX_WATCHED: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderRule {
    /// Failed deliveries within the window that get an address refused;
    /// 0 turns the rule off.
    pub failures: u32,
    pub window_secs: i64,
    pub block_secs: i64,
    /// Never refused, however often they fail.
    pub never_block: Vec<IpNet>,
}

impl SenderRule {
    pub const DEFAULT_FAILURES: u32 = 10;
    pub const DEFAULT_WINDOW_SECS: i64 = 300;
    pub const DEFAULT_BLOCK_SECS: i64 = 900;
}

impl Default for SenderRule {
    fn default() -> Self {
        Self {
            failures: Self::DEFAULT_FAILURES,
            window_secs: Self::DEFAULT_WINDOW_SECS,
            block_secs: Self::DEFAULT_BLOCK_SECS,
            never_block: Vec::new(),
        }
    }
}

/// What the watch decided about a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Counted; the address may go on.
    Counted,
    /// That failure was one too many: refused until then (Unix seconds).
    Blocked { until: i64 },
    /// Not counted: the rule is off, the address is never blocked, or the
    /// watch is full.
    Ignored,
}

#[derive(Debug, Default)]
pub struct SenderWatch {
    rule: SenderRule,
    /// Each address's failures in the window, oldest first.
    failures: HashMap<IpAddr, VecDeque<i64>>,
    /// Refused addresses and until when.
    blocked: HashMap<IpAddr, i64>,
}

impl SenderWatch {
    pub fn new(rule: SenderRule) -> Self {
        Self {
            rule,
            failures: HashMap::new(),
            blocked: HashMap::new(),
        }
    }

    /// Until when `ip` is refused, if it is at `now`.
    pub fn refused(&mut self, ip: IpAddr, now: i64) -> Option<i64> {
        let ip = ip.to_canonical();
        match self.blocked.get(&ip) {
            Some(&until) if until > now => Some(until),
            Some(_) => {
                self.blocked.remove(&ip);
                None
            }
            None => None,
        }
    }

    /// Counts a delivery from `ip` that failed its signature at `now`.
    pub fn failed(&mut self, ip: IpAddr, now: i64) -> Verdict {
        let ip = ip.to_canonical();
        if self.rule.failures == 0 || self.rule.never_block.iter().any(|n| n.contains(&ip)) {
            return Verdict::Ignored;
        }
        let since = now.saturating_sub(self.rule.window_secs);
        if !self.failures.contains_key(&ip) && self.failures.len() >= MAX_WATCHED {
            self.forget_before(since, now);
            if self.failures.len() >= MAX_WATCHED {
                return Verdict::Ignored;
            }
        }
        let seen = self.failures.entry(ip).or_default();
        while seen.front().is_some_and(|&at| at <= since) {
            seen.pop_front();
        }
        seen.push_back(now);
        if seen.len() < self.rule.failures as usize {
            return Verdict::Counted;
        }
        self.failures.remove(&ip);
        let until = now.saturating_add(self.rule.block_secs);
        self.blocked.insert(ip, until);
        Verdict::Blocked { until }
    }

    /// Drops failures older than the window and blocks that have ended.
    fn forget_before(&mut self, since: i64, now: i64) {
        self.failures
            .retain(|_, seen| seen.back().is_some_and(|&at| at > since));
        self.blocked.retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn watch(failures: u32) -> SenderWatch {
        SenderWatch::new(SenderRule {
            failures,
            window_secs: 300,
            block_secs: 900,
            never_block: vec!["192.0.2.0/24".parse().expect("net")],
        })
    }

    #[test]
    fn the_tenth_failure_in_the_window_blocks_the_address_for_a_while() {
        let mut w = watch(10);
        let a = ip("203.0.113.9");
        for i in 0..9 {
            assert_eq!(w.failed(a, 1_000 + i), Verdict::Counted);
        }
        assert_eq!(w.refused(a, 1_010), None);
        assert_eq!(w.failed(a, 1_010), Verdict::Blocked { until: 1_910 });
        assert_eq!(w.refused(a, 1_011), Some(1_910));
        assert_eq!(w.refused(ip("::ffff:203.0.113.9"), 1_011), Some(1_910));
        assert_eq!(
            w.refused(ip("203.0.113.10"), 1_011),
            None,
            "only that address"
        );
        assert_eq!(w.refused(a, 1_910), None, "the block ends");
        // Counting starts afresh after a block.
        assert_eq!(w.failed(a, 1_911), Verdict::Counted);
    }

    #[test]
    fn failures_spread_wider_than_the_window_never_block() {
        let mut w = watch(3);
        let a = ip("203.0.113.9");
        for i in 0..10 {
            assert_eq!(w.failed(a, 1_000 + i * 200), Verdict::Counted, "{i}");
        }
        assert_eq!(w.refused(a, 3_000), None);
    }

    #[test]
    fn spared_addresses_and_a_rule_turned_off_count_nothing() {
        let mut w = watch(2);
        for at in 0..5 {
            assert_eq!(w.failed(ip("192.0.2.77"), at), Verdict::Ignored);
        }
        assert_eq!(w.refused(ip("192.0.2.77"), 5), None);
        let mut off = watch(0);
        for at in 0..50 {
            assert_eq!(off.failed(ip("203.0.113.9"), at), Verdict::Ignored);
        }
        assert_eq!(off.refused(ip("203.0.113.9"), 50), None);
    }

    #[test]
    fn the_watch_is_bounded_and_forgets_what_the_window_passed() {
        let mut w = watch(5);
        for i in 0..MAX_WATCHED {
            let addr = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            assert_eq!(w.failed(addr, 1_000), Verdict::Counted);
        }
        // Full within the window: a new address is not counted…
        assert_eq!(w.failed(ip("203.0.113.9"), 1_100), Verdict::Ignored);
        // …once the window has passed, the old ones are forgotten.
        assert_eq!(w.failed(ip("203.0.113.9"), 1_400), Verdict::Counted);
        assert_eq!(w.failures.len(), 1);
    }
}
