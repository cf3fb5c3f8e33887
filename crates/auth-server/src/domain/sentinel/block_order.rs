//! A block an operator (or a tenant owner's API credential) asks for by
//! hand: which address or range, for how long, and why. The sentinel's own
//! blocks come from its detectors; both are enforced the same way.
use ipnet::IpNet;

use super::networks::parse_network;
use super::reason::{Reason, ReasonError};

/// The longest block asked for by hand: 30 days. A longer one is a firewall
/// rule, not a response to an attack.
pub const MAX_MINUTES: i64 = 30 * 24 * 60;

/// A valid request to block `network` for `minutes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOrder {
    pub network: IpNet,
    pub minutes: i64,
    pub reason: Reason,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlockOrderError {
    #[error("network: {0}")]
    Network(String),
    #[error("minutes: between 1 and {MAX_MINUTES} (30 days)")]
    Minutes,
    #[error(transparent)]
    Reason(#[from] ReasonError),
    /// The range holds an address the operator's list or the tenant's
    /// allowlist never lets be blocked.
    #[error("network: {0} holds an address that is never blocked (AUTH_SENTINEL_NEVER_BLOCK or the tenant's sentinel_allowlist)")]
    Spared(IpNet),
}

impl BlockOrder {
    /// `network` as an address or a CIDR range (at least /8 for IPv4, /16
    /// for IPv6, no host bits), `minutes` from 1 to [`MAX_MINUTES`], a
    /// [`Reason`].
    pub fn parse(network: &str, minutes: i64, reason: &str) -> Result<Self, BlockOrderError> {
        let network = parse_network(network).map_err(BlockOrderError::Network)?;
        if !(1..=MAX_MINUTES).contains(&minutes) {
            return Err(BlockOrderError::Minutes);
        }
        Ok(Self {
            network,
            minutes,
            reason: Reason::parse(reason)?,
        })
    }

    /// When the block ends, for a block made at `now`.
    pub fn expires_at(&self, now: i64) -> i64 {
        now.saturating_add(self.minutes.saturating_mul(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_or_a_range_for_minutes_with_a_reason() {
        let order =
            BlockOrder::parse("203.0.113.7", 60, "  scraping the login page ").expect("valid");
        assert_eq!(order.network.to_string(), "203.0.113.7/32");
        assert_eq!(order.reason.as_str(), "scraping the login page");
        assert_eq!(order.expires_at(1_000), 1_000 + 3_600);
        let range = BlockOrder::parse("2001:db8:1::/48", MAX_MINUTES, "abuse").expect("valid");
        assert_eq!(range.network.to_string(), "2001:db8:1::/48");
    }

    #[test]
    fn bad_networks_durations_and_reasons_are_refused() {
        for network in [
            "",
            "example.com",
            "10.0.0.7/8",
            "0.0.0.0/0",
            "::/0",
            "1.2.3.4/33",
        ] {
            assert!(
                matches!(
                    BlockOrder::parse(network, 60, "r"),
                    Err(BlockOrderError::Network(_))
                ),
                "{network}"
            );
        }
        for minutes in [0, -5, MAX_MINUTES + 1, i64::MAX] {
            assert_eq!(
                BlockOrder::parse("203.0.113.7", minutes, "r"),
                Err(BlockOrderError::Minutes)
            );
        }
        for reason in ["", "   ", "line\nbreak"] {
            assert_eq!(
                BlockOrder::parse("203.0.113.7", 60, reason),
                Err(BlockOrderError::Reason(ReasonError)),
                "{reason:?}"
            );
        }
    }
}
