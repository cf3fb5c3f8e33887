//! Addresses the sentinel blocks, and those it must never block.
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// The range an attacking address is blocked as: an IPv4 address alone,
/// an IPv6 address's /64 (what per-IP limits count as one client too, see
/// `http/pages/client_ip.rs`: one host usually holds a whole /64).
pub fn block_range(ip: IpAddr) -> IpNet {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpNet::V4(Ipv4Net::from(v4)),
        IpAddr::V6(v6) => Ipv6Net::new(v6, 64)
            .map(|net| IpNet::V6(net.trunc()))
            .unwrap_or_else(|_| IpNet::V6(Ipv6Net::from(v6))),
    }
}

/// Whether `ip` falls in `net` (an IPv4-mapped IPv6 address counting as its
/// IPv4 address).
pub fn covers(net: &IpNet, ip: IpAddr) -> bool {
    net.contains(&ip.to_canonical())
}

/// `text` as an address (its own /32 or /128) or a CIDR range with no host
/// bits set and a prefix of at least /8 (IPv4) or /16 (IPv6): a wider
/// entry is a typo, not a list of addresses.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not an IP address or a CIDR range (like 10.0.0.0/8)");
    if !text.contains('/') {
        return text
            .parse::<IpAddr>()
            .map(|ip| IpNet::from(ip.to_canonical()))
            .map_err(|_| bad());
    }
    let net: IpNet = text.parse().map_err(|_| bad())?;
    let floor = match net {
        IpNet::V4(_) => 8,
        IpNet::V6(_) => 16,
    };
    if net.prefix_len() < floor {
        return Err(format!("`{text}` is wider than a /{floor}"));
    }
    if net.trunc() != net {
        return Err(format!("`{text}` has host bits set: write {}", net.trunc()));
    }
    Ok(net)
}

/// A list of addresses and ranges: the operator's never-blocked list, or a
/// tenant's allowlist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressList(Vec<IpNet>);

impl AddressList {
    /// A comma-separated list; refuses naming every bad entry.
    pub fn parse(list: &str) -> Result<Self, Vec<String>> {
        let (nets, problems): (Vec<_>, Vec<_>) = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_network)
            .partition(Result::is_ok);
        if problems.is_empty() {
            Ok(Self(nets.into_iter().filter_map(Result::ok).collect()))
        } else {
            Err(problems.into_iter().filter_map(Result::err).collect())
        }
    }

    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    pub fn nets(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether blocking `net` would block an address of this list: the
    /// list holds the range, or the range holds an entry of the list.
    pub fn spares(&self, net: &IpNet) -> bool {
        self.0.iter().any(|e| e.contains(net) || net.contains(e))
    }

    /// Whether `ip` is on the list.
    pub fn holds(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|e| covers(e, ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn ipv4_is_blocked_alone_and_ipv6_by_its_64() {
        assert_eq!(block_range(ip("203.0.113.7")).to_string(), "203.0.113.7/32");
        assert_eq!(
            block_range(ip("::ffff:203.0.113.7")).to_string(),
            "203.0.113.7/32"
        );
        let v6 = block_range(ip("2001:db8:1:2:aaaa::9"));
        assert_eq!(v6.to_string(), "2001:db8:1:2::/64");
        assert!(covers(&v6, ip("2001:db8:1:2:ffff::1")));
        assert!(!covers(&v6, ip("2001:db8:1:3::1")));
    }

    #[test]
    fn lists_take_addresses_and_ranges_and_refuse_the_rest() {
        let list = AddressList::parse(" 127.0.0.1, ::1,10.0.0.0/8 ,,2001:db8::/32").expect("list");
        assert_eq!(list.nets().len(), 4);
        assert!(list.holds(ip("10.9.8.7")));
        assert!(list.holds(ip("::ffff:127.0.0.1")));
        assert!(!list.holds(ip("127.0.0.2")));
        let problems =
            AddressList::parse("10.0.0.7/8, example.com, 0.0.0.0/0, ::/0").expect_err("garbage");
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("10.0.0.0/8"), "{problems:?}");
    }

    #[test]
    fn an_allowlisted_address_inside_a_block_range_spares_the_range() {
        let list = AddressList::parse("2001:db8:1:2::5, 198.51.100.0/24").expect("list");
        assert!(list.spares(&block_range(ip("2001:db8:1:2::99"))));
        assert!(list.spares(&block_range(ip("198.51.100.20"))));
        assert!(!list.spares(&block_range(ip("198.51.101.20"))));
        assert!(!list.spares(&block_range(ip("2001:db8:1:3::1"))));
    }
}
