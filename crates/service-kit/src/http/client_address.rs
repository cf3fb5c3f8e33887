//! The client's address: the peer, unless the peer is a trusted reverse
//! proxy, in which case the nearest untrusted hop of `X-Forwarded-For`
//! (RFC 9700 §4.13: the proxy must overwrite that header). Every service
//! that counts or refuses by address (the auth server's limits, lockout and
//! blocks; billing's refusal of webhook senders that fail their signature)
//! reads it here, from its own list of trusted proxies.
use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The reverse proxies (`AUTH_TRUSTED_PROXIES`, `BILLING_TRUSTED_PROXIES`) whose `X-Forwarded-For` is
/// believed, as addresses or CIDR ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// Parses a comma-separated list of addresses (`10.0.0.7`, `::1`, each
    /// its own /32 or /128) and CIDR ranges (`10.0.0.0/8`, `fd00::/8`); an
    /// empty list trusts nobody. Refuses, naming each bad entry: anything else,
    /// a range with host bits set (`10.0.0.7/8`: a typo for which range?) and
    /// a /0, which would let every client choose its own address.
    pub fn parse(list: &str) -> Result<Self, Vec<String>> {
        let mut nets = Vec::new();
        let mut problems = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match parse_proxy(entry) {
                Ok(net) => nets.push(net),
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(Self { nets })
        } else {
            Err(problems)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address counting as its IPv4
    /// address) is in one of the ranges.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }

    pub fn ranges(&self) -> &[IpNet] {
        &self.nets
    }
}

fn parse_proxy(entry: &str) -> Result<IpNet, String> {
    let bad =
        || format!("`{entry}` is not an IP address or a CIDR range (like 10.0.0.0/8 or fd00::/8)");
    if !entry.contains('/') {
        return entry
            .parse::<IpAddr>()
            .map(|ip| IpNet::from(ip.to_canonical()))
            .map_err(|_| bad());
    }
    let net: IpNet = entry.parse().map_err(|_| bad())?;
    if net.prefix_len() == 0 {
        return Err(format!(
            "`{entry}` trusts every address, so any client could name its own; list your proxies' ranges"
        ));
    }
    if net.trunc() != net {
        return Err(format!(
            "`{entry}` has host bits set: write the range as {} or the address alone",
            net.trunc()
        ));
    }
    Ok(net)
}

/// The client's address as far as it can be known.
///
/// A peer outside `trusted` is the client. A trusted peer's
/// `X-Forwarded-For` (every header line, in order, as one list) is walked
/// right to left: each hop was appended by the proxy before it, so the first
/// hop that is not itself trusted is the client. When every hop is trusted
/// the leftmost one is; a hop that is not an address (only something left
/// of the trusted proxies can have written it) ends the walk at the last
/// trusted hop before it.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_for.iter().rev().flat_map(|line| line.rsplit(',')) {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    Some(client)
}

/// The client's address of `req` ([`client_ip`]): its peer and every
/// `X-Forwarded-For` line.
pub fn of_request(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    client_ip(req.peer_addr().map(|a| a.ip()), &forwarded, trusted)
}

/// `203.0.113.9`, `2001:db8::1`, or with a port (`203.0.113.9:4711`,
/// `[2001:db8::1]:4711`), as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn trusted(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list).expect("valid list")
    }

    fn resolve(peer: &str, xff: &[&str], list: &str) -> String {
        client_ip(Some(ip(peer)), xff, &trusted(list)).map_or("none".into(), |i| i.to_string())
    }

    #[test]
    fn trusted_proxies_take_v4_and_v6_ranges_and_single_addresses() {
        let trusted =
            TrustedProxies::parse(" 10.0.0.0/8, fd00::/8,127.0.0.1, ::1 ,, 192.168.4.0/22")
                .expect("valid list");
        assert_eq!(trusted.ranges().len(), 5);
        for inside in [
            "10.1.2.3",
            "fd12:3456::9",
            "127.0.0.1",
            "::1",
            "192.168.7.255",
            // An IPv4 peer seen on a dual-stack socket.
            "::ffff:10.9.9.9",
        ] {
            assert!(trusted.contains(ip(inside)), "{inside}");
        }
        for outside in [
            "11.0.0.1",
            "127.0.0.2",
            "fe80::1",
            "192.168.8.1",
            "2001:db8::1",
        ] {
            assert!(!trusted.contains(ip(outside)), "{outside}");
        }
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
    }

    #[test]
    fn trusted_proxies_refuse_garbage_naming_each_entry() {
        let problems =
            TrustedProxies::parse("10.0.0.0/8, proxy.internal, 10.0.0.0/33, fe80::1%eth0")
                .expect_err("garbage");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("`proxy.internal` is not an IP address or a CIDR range"));
        assert!(problems[1].contains("`10.0.0.0/33`"));
        assert!(problems[2].contains("`fe80::1%eth0`"));
        let everyone = TrustedProxies::parse("0.0.0.0/0").expect_err("/0");
        assert!(everyone[0].contains("trusts every address"), "{everyone:?}");
        assert!(TrustedProxies::parse("::/0").is_err());
        let host_bits = TrustedProxies::parse("10.0.0.7/8").expect_err("host bits");
        assert!(host_bits[0].contains("10.0.0.0/8"), "{host_bits:?}");
    }

    #[test]
    fn untrusted_peers_cannot_claim_another_address() {
        assert_eq!(resolve("203.0.113.9", &["1.2.3.4"], ""), "203.0.113.9");
        assert_eq!(
            resolve("203.0.113.9", &["1.2.3.4"], "10.0.0.0/8"),
            "203.0.113.9"
        );
        assert_eq!(client_ip(None, &[], &trusted("")), None);
    }

    #[test]
    fn a_trusted_proxy_passes_the_nearest_untrusted_hop() {
        // The client may send any X-Forwarded-For; the proxy appends its peer.
        assert_eq!(
            resolve("10.0.0.2", &["6.6.6.6, 198.51.100.7"], "10.0.0.2"),
            "198.51.100.7"
        );
        assert_eq!(resolve("10.0.0.2", &["garbage"], "10.0.0.2"), "10.0.0.2");
        assert_eq!(resolve("10.0.0.2", &[], "10.0.0.0/8"), "10.0.0.2");
    }

    #[test]
    fn a_chain_of_trusted_ranges_is_walked_right_to_left() {
        // client → CDN (198.51.100.0/24) → load balancer (10.1.0.0/16) → Caddy (10.2.0.5).
        let list = "198.51.100.0/24, 10.0.0.0/8";
        assert_eq!(
            resolve(
                "10.2.0.5",
                &["1.1.1.1, 203.0.113.50, 198.51.100.20, 10.1.3.4"],
                list
            ),
            "203.0.113.50",
            "the forged 1.1.1.1 left of the real client is never reached"
        );
        // Header lines count as one list in order: the last line's last hop is nearest.
        assert_eq!(
            resolve(
                "10.2.0.5",
                &["1.1.1.1, 203.0.113.50", "198.51.100.20,10.1.3.4"],
                list
            ),
            "203.0.113.50"
        );
        // Every hop trusted: the leftmost is the client (an internal user).
        assert_eq!(
            resolve("10.2.0.5", &["10.7.7.7, 10.1.3.4"], list),
            "10.7.7.7"
        );
        // Garbage stops the walk at the last trusted hop, never past it.
        assert_eq!(
            resolve("10.2.0.5", &["1.1.1.1, unknown, 10.1.3.4"], list),
            "10.1.3.4"
        );
        assert_eq!(
            resolve("10.2.0.5", &["1.1.1.1, , 10.1.3.4"], list),
            "10.1.3.4"
        );
        // Ports and brackets as some proxies write them; IPv6 hops.
        assert_eq!(
            resolve("10.2.0.5", &["203.0.113.50:4711"], list),
            "203.0.113.50"
        );
        assert_eq!(
            resolve("fd00::5", &["[2001:db8::7]:4711, fd00::9"], "fd00::/8"),
            "2001:db8::7"
        );
        // An IPv4 proxy on a dual-stack socket.
        assert_eq!(
            resolve("::ffff:10.2.0.5", &["203.0.113.50"], "10.0.0.0/8"),
            "203.0.113.50"
        );
    }
}
