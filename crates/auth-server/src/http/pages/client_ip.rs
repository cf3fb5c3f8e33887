//! The client's address: the peer, unless the peer is a trusted reverse
//! proxy, in which case the nearest untrusted hop of `X-Forwarded-For`
//! (RFC 9700 §4.13: the proxy must overwrite that header, see deploy/caddy).
use std::net::IpAddr;

pub fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> String {
    let Some(peer) = peer else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let hops: Vec<IpAddr> = forwarded_for
        .unwrap_or_default()
        .split(',')
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn untrusted_peers_cannot_claim_another_address() {
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), Some("1.2.3.4"), &[]),
            "203.0.113.9"
        );
    }

    #[test]
    fn a_trusted_proxy_passes_the_nearest_untrusted_hop() {
        let proxy = ip("10.0.0.2");
        assert_eq!(
            client_ip(Some(proxy), Some("6.6.6.6, 198.51.100.7"), &[proxy]),
            "198.51.100.7"
        );
        assert_eq!(
            client_ip(Some(proxy), Some("garbage"), &[proxy]),
            "10.0.0.2"
        );
        assert_eq!(client_ip(None, None, &[]), "unknown");
    }
}
