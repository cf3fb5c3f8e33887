//! Loopback ports for a server a test starts later, when its URL must be
//! known first: the issuer a second service trusts, a child process's
//! command line.
//!
//! A port the kernel hands out for `bind(…:0)` comes from its ephemeral
//! range (`/proc/sys/net/ipv4/ip_local_port_range`), and once given back it
//! may go to the next outgoing connection of any test running beside, which
//! makes the server's later bind fail with "address in use". The ports here
//! are picked at random below that range, where only another reservation
//! can take them, and checked free when picked.
use std::net::TcpListener;
use std::ops::Range;

/// The lowest port handed out; below it sit the well-known and most
/// registered service ports.
const LOWEST: u16 = 20_000;

/// A loopback port nothing listens on now, outside the ephemeral range.
pub fn free_port() -> u16 {
    let Some(range) = below_ephemeral() else {
        return kernel_port();
    };
    let span = u32::from(range.end - range.start);
    for _ in 0..200 {
        let bytes = crate::secret::random_bytes(4).expect("csprng");
        let draw = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % span;
        let port = range.start + u16::try_from(draw).expect("below the span");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    kernel_port()
}

/// The ports from [`LOWEST`] up to the ephemeral range, when there are a
/// thousand at least.
fn below_ephemeral() -> Option<Range<u16>> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok();
    let first = text
        .as_deref()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse::<u16>().ok())
        .unwrap_or(32_768);
    (first >= LOWEST + 1_000).then_some(LOWEST..first)
}

/// A port of the kernel's choosing, the fallback when the ephemeral range
/// leaves no room below it.
fn kernel_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_and_below_the_ephemeral_range() {
        let range = below_ephemeral().expect("this machine's range leaves room");
        for _ in 0..20 {
            let port = free_port();
            assert!(range.contains(&port), "{port} outside {range:?}");
            TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
        }
    }
}
