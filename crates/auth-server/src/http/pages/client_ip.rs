//! The client's address: the peer, unless the peer is a trusted reverse
//! proxy, in which case the nearest untrusted hop of `X-Forwarded-For`
//! (RFC 9700 §4.13: the proxy must overwrite that header, see deploy/caddy).
//!
//! Also what per-IP rate limits and lockout count against ([`limit_key`]),
//! and the alarm for a production server behind a proxy it does not trust.
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::header;
use actix_web::HttpRequest;
use ipnet::Ipv6Net;
use service_kit::config::RunMode;
use service_kit::http::client_address;
pub use service_kit::http::client_address::client_ip;

use crate::config::TrustedProxies;
use crate::identity::Requester;

/// Who is asking, as the audit trail and the per-IP limits see it: the
/// client's address ([`client_ip`]), its [`limit_key`] and its user agent
/// (at most 512 characters).
pub fn requester(req: &HttpRequest, trusted: &TrustedProxies) -> Requester {
    let ip = client_address::of_request(req, trusted);
    Requester {
        ip: ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
        limit_key: limit_key(ip),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(512)
            .collect(),
    }
}

/// The key per-IP rate limits and lockout count against: an IPv4 address
/// itself, an IPv6 address's /64 (one subscriber or host usually holds a
/// whole /64, so counting single addresses would give it 2^64 budgets).
pub fn limit_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
    }
}

/// Loopback, private (RFC 1918, IPv6 unique local), link-local and shared
/// (100.64.0.0/10, used by some Kubernetes networks) addresses: where a
/// reverse proxy's requests come from, rarely a real client's.
pub fn is_private_or_loopback(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

/// What can be told at start, before any request: in production with no
/// trusted proxy, whether the bind address is one a reverse proxy's traffic
/// arrives at. Production has an https public URL and the server speaks only
/// plain HTTP, so a TLS proxy is always in front; a loopback bind means it
/// runs on the same host, a private or unspecified one (`0.0.0.0`, `::`:
/// containers, compose, Kubernetes) that it reaches the server over a
/// private network. Only a specific public bind address says nothing.
pub fn startup_problem(
    mode: RunMode,
    bind: SocketAddr,
    trusted: &TrustedProxies,
) -> Option<String> {
    let ip = bind.ip();
    let behind_proxy = ip.is_unspecified() || is_private_or_loopback(ip);
    (mode.is_production() && trusted.is_empty() && behind_proxy).then(|| {
        format!(
            "AUTH_TRUSTED_PROXIES is empty but the server binds {bind}, behind a reverse proxy: \
             every client will have the proxy's address, so one client's failures lock out and \
             rate-limit everyone; set AUTH_TRUSTED_PROXIES to the proxy's address or range"
        )
    })
}

/// In production with no trusted proxy: an error in the log the first time
/// a hosted page (where per-IP limits apply) is asked for by a private or
/// loopback peer, once per process. Health probes never reach it: they come
/// from private addresses in every cluster.
#[derive(Debug)]
pub struct UntrustedProxyAlarm {
    armed: bool,
    fired: AtomicBool,
}

impl UntrustedProxyAlarm {
    pub fn new(mode: RunMode, trusted: &TrustedProxies) -> Self {
        Self {
            armed: mode.is_production() && trusted.is_empty(),
            fired: AtomicBool::new(false),
        }
    }

    /// Logs the error if `peer` is the first private or loopback peer; says
    /// whether it did.
    pub fn observe(&self, peer: Option<IpAddr>) -> bool {
        if !self.armed || self.fired.load(Ordering::Relaxed) {
            return false;
        }
        let Some(peer) = peer.filter(|ip| is_private_or_loopback(*ip)) else {
            return false;
        };
        if self.fired.swap(true, Ordering::Relaxed) {
            return false;
        }
        tracing::error!(
            peer = %peer,
            "a request came from a private or loopback address and AUTH_TRUSTED_PROXIES is empty: \
             if a reverse proxy sends it, every client has the proxy's address, so one client's \
             failures lock out and rate-limit everyone; set AUTH_TRUSTED_PROXIES to the proxy's \
             address or range (logged once)"
        );
        true
    }

    pub fn has_fired(&self) -> bool {
        self.fired.load(Ordering::Relaxed)
    }
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

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a = limit_key(Some(ip("2001:db8:1:2::1")));
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(limit_key(Some(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))), a);
        assert_ne!(limit_key(Some(ip("2001:db8:1:3::1"))), a);
        assert_eq!(limit_key(Some(ip("203.0.113.9"))), "203.0.113.9");
        assert_eq!(limit_key(Some(ip("::ffff:203.0.113.9"))), "203.0.113.9");
        assert_eq!(limit_key(None), "unknown");
    }

    #[test]
    fn private_and_loopback_addresses_are_told_apart() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.17.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private_or_loopback(ip(private)), "{private}");
        }
        for public in ["203.0.113.9", "100.128.0.1", "172.32.0.1", "2001:db8::1"] {
            assert!(!is_private_or_loopback(ip(public)), "{public}");
        }
    }

    #[test]
    fn the_alarm_fires_once_in_production_without_trusted_proxies() {
        let alarm = UntrustedProxyAlarm::new(RunMode::Production, &trusted(""));
        assert!(
            !alarm.observe(Some(ip("203.0.113.9"))),
            "a public peer is a client"
        );
        assert!(!alarm.observe(None));
        assert!(!alarm.has_fired());
        assert!(
            alarm.observe(Some(ip("10.0.0.2"))),
            "the first proxy-like peer"
        );
        assert!(alarm.has_fired());
        assert!(!alarm.observe(Some(ip("10.0.0.2"))), "once per process");
        assert!(!alarm.observe(Some(ip("127.0.0.1"))));

        let trusting = UntrustedProxyAlarm::new(RunMode::Production, &trusted("10.0.0.0/8"));
        assert!(
            !trusting.observe(Some(ip("127.0.0.1"))),
            "a proxy is trusted"
        );
        let dev = UntrustedProxyAlarm::new(RunMode::Development, &trusted(""));
        assert!(
            !dev.observe(Some(ip("127.0.0.1"))),
            "development stays quiet"
        );
    }

    #[test]
    fn the_start_check_looks_at_the_bind_address() {
        let sock = |s: &str| s.parse::<SocketAddr>().expect("socket address");
        let none = trusted("");
        for behind_proxy in [
            "127.0.0.1:8080",
            "0.0.0.0:8080",
            "[::]:8080",
            "10.0.0.4:8080",
        ] {
            let problem = startup_problem(RunMode::Production, sock(behind_proxy), &none);
            assert!(
                problem.is_some_and(|p| p.contains("AUTH_TRUSTED_PROXIES is empty")),
                "{behind_proxy}"
            );
        }
        assert_eq!(
            startup_problem(RunMode::Production, sock("203.0.113.9:8080"), &none),
            None
        );
        assert_eq!(
            startup_problem(
                RunMode::Production,
                sock("0.0.0.0:8080"),
                &trusted("10.0.0.0/8")
            ),
            None
        );
        assert_eq!(
            startup_problem(RunMode::Development, sock("127.0.0.1:8080"), &none),
            None
        );
    }
}
