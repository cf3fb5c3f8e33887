//! `unfamiliar_login`: a successful password login to an account with no
//! second factor, from an address range *and* a user-agent family the
//! account has not used in its successful logins of the last days
//! (`AUTH_SENTINEL_UNFAMILIAR_DAYS`, default 90). A new phone on the home
//! network, or the usual laptop in a café, is familiar by one of the two;
//! a stranger with the password is new by both. An account with no login
//! in that time has nothing to compare with: never unfamiliar.
//! Pure: the history comes from the store, the decision is made here.
use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;

use super::user_agent::UaFamily;

/// The range an address is compared by: its IPv4 /24, its IPv6 /48 (what
/// one home, office or mobile operator's gateway hands out around an
/// address: a new lease in the same block is not a new place).
pub fn familiar_range(ip: IpAddr) -> IpNet {
    match ip.to_canonical() {
        IpAddr::V4(v4) => Ipv4Net::new(v4, 24)
            .map(|n| IpNet::V4(n.trunc()))
            .unwrap_or_else(|_| IpNet::V4(Ipv4Net::from(v4))),
        IpAddr::V6(v6) => Ipv6Net::new(v6, 48)
            .map(|n| IpNet::V6(n.trunc()))
            .unwrap_or_else(|_| IpNet::V6(Ipv6Net::from(v6))),
    }
}

/// A successful login as the detector compares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// The client's address, when the trail has one that parses.
    pub ip: Option<IpAddr>,
    pub user_agent: String,
    /// Unix seconds.
    pub at: i64,
}

impl SignIn {
    pub fn new(ip: &str, user_agent: &str, at: i64) -> Self {
        Self {
            ip: ip.parse().ok(),
            user_agent: user_agent.to_owned(),
            at,
        }
    }
}

/// What makes a login unfamiliar, as the incident's evidence says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unfamiliar {
    /// The new login's range (`203.0.113.0/24`) and address.
    pub range: String,
    pub ip: String,
    /// The new login's user-agent family (`Chrome on Linux`).
    pub user_agent_family: String,
    /// When it happened (Unix seconds).
    pub at: i64,
    /// The distinct ranges and families of the account's earlier logins.
    pub familiar_ranges: usize,
    pub familiar_families: usize,
    /// How many earlier logins were compared.
    pub earlier_logins: usize,
}

impl Unfamiliar {
    /// The incident's subject: the account, the range and the family, so
    /// one account gets at most one incident per range and family per
    /// window.
    pub fn subject(&self, user_id: &str) -> String {
        format!("user:{user_id} {} {}", self.range, self.user_agent_family)
    }
}

/// Whether `login` is unfamiliar given the account's `earlier` successful
/// logins (already limited to the history the server keeps): both its
/// range and its family are absent from them. `None` when it is familiar,
/// when there is no earlier login, or when its address is unknown.
pub fn unfamiliar(login: &SignIn, earlier: &[SignIn]) -> Option<Unfamiliar> {
    let ip = login.ip?;
    if earlier.is_empty() {
        return None;
    }
    let range = familiar_range(ip);
    let family = UaFamily::parse(&login.user_agent);
    let ranges: BTreeSet<IpNet> = earlier
        .iter()
        .filter_map(|s| s.ip.map(familiar_range))
        .collect();
    let families: BTreeSet<UaFamily> = earlier
        .iter()
        .map(|s| UaFamily::parse(&s.user_agent))
        .collect();
    if ranges.contains(&range) || families.contains(&family) {
        return None;
    }
    Some(Unfamiliar {
        range: range.to_string(),
        ip: ip.to_canonical().to_string(),
        user_agent_family: family.to_string(),
        at: login.at,
        familiar_ranges: ranges.len(),
        familiar_families: families.len(),
        earlier_logins: earlier.len(),
    })
}

/// Whether a successful login's audit detail says a password was checked
/// (`pwd`, `pwd email` after a mailed step-up code): passkey and upstream
/// provider logins are not this detector's.
pub fn is_password_login(detail: &str) -> bool {
    detail == "pwd" || detail.starts_with("pwd ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX_WIN: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
    const FIREFOX_WIN_NEXT: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36";

    fn home(ip: &str) -> SignIn {
        SignIn::new(ip, FIREFOX_WIN, 100)
    }

    #[test]
    fn ranges_are_ipv4_24_and_ipv6_48() {
        let range = |s: &str| familiar_range(s.parse().expect("ip")).to_string();
        assert_eq!(range("203.0.113.77"), "203.0.113.0/24");
        assert_eq!(range("::ffff:203.0.113.77"), "203.0.113.0/24");
        assert_eq!(range("2001:db8:aa:bb:cc::1"), "2001:db8:aa::/48");
        assert_eq!(range("2001:db8:aa:ffff::9"), "2001:db8:aa::/48");
    }

    #[test]
    fn a_new_range_and_a_new_family_is_unfamiliar() {
        let history = [home("198.51.100.4"), home("198.51.100.9")];
        let found = unfamiliar(&SignIn::new("203.0.113.9", "curl/8.5.0", 200), &history)
            .expect("unfamiliar");
        assert_eq!(found.range, "203.0.113.0/24");
        assert_eq!(found.ip, "203.0.113.9");
        assert_eq!(found.user_agent_family, "curl");
        assert_eq!((found.familiar_ranges, found.familiar_families), (1, 1));
        assert_eq!(found.earlier_logins, 2);
        assert_eq!(found.at, 200);
        assert_eq!(
            found.subject("u1"),
            "user:u1 203.0.113.0/24 curl",
            "one incident per account, range and family"
        );
    }

    #[test]
    fn one_familiar_half_is_enough() {
        let history = [home("198.51.100.4")];
        // The usual browser, updated, from a café.
        assert_eq!(
            unfamiliar(&SignIn::new("203.0.113.9", FIREFOX_WIN_NEXT, 200), &history),
            None
        );
        // A new phone on the home network (another address of its /24).
        assert_eq!(
            unfamiliar(
                &SignIn::new("198.51.100.200", CHROME_ANDROID, 200),
                &history
            ),
            None
        );
        // The same home, IPv6: another address of the /48.
        let v6 = [SignIn::new("2001:db8:aa:1::5", FIREFOX_WIN, 100)];
        assert_eq!(
            unfamiliar(&SignIn::new("2001:db8:aa:2::7", CHROME_ANDROID, 200), &v6),
            None
        );
        assert!(unfamiliar(&SignIn::new("2001:db8:ab::7", CHROME_ANDROID, 200), &v6).is_some());
    }

    #[test]
    fn no_history_or_no_address_is_never_unfamiliar() {
        assert_eq!(
            unfamiliar(&SignIn::new("203.0.113.9", "curl/8", 200), &[]),
            None,
            "the first login has nothing to compare with"
        );
        assert_eq!(
            unfamiliar(&SignIn::new("", "curl/8", 200), &[home("198.51.100.4")]),
            None
        );
        // Earlier logins with no known address still tell the family.
        let unknown = [SignIn::new("unknown", FIREFOX_WIN, 100)];
        let found = unfamiliar(&SignIn::new("203.0.113.9", "curl/8", 200), &unknown)
            .expect("new family, and no familiar range");
        assert_eq!(found.familiar_ranges, 0);
        assert_eq!(
            unfamiliar(&SignIn::new("203.0.113.9", FIREFOX_WIN, 200), &unknown),
            None
        );
    }

    #[test]
    fn only_password_logins_are_checked() {
        assert!(is_password_login("pwd"));
        assert!(is_password_login("pwd email"));
        assert!(!is_password_login("passkey"));
        assert!(!is_password_login("upstream:github"));
        assert!(!is_password_login("pwdx"));
        assert!(!is_password_login(""));
    }
}
