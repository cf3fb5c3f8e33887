//! Verification of ConnectAuth's event webhooks: each delivery carries a
//! `ConnectAuth-Signature` header, `t=<unix seconds>,v1=<signature>`, where
//! the signature is the base64 (standard alphabet, padded) HMAC-SHA256 of
//! `"<t>.<body>"` keyed with the endpoint's secret (the whole `whsec_…`
//! string, as bytes). While a secret is being rotated the header carries one
//! `v1=` per secret; any of them matching is enough.
//!
//! ```
//! use connectauth_verify::webhook::{sign, verify, Tolerance};
//!
//! let secret = "whsec_7hSVpQdjmr0YmNbnBo0tK5xv2q0pcb8F0pZ9QeY3f0k";
//! let body = br#"{"id":"3f2c","type":"login.failed"}"#;
//! // What the sender computes at 1,765,000,000 s:
//! let header = sign(secret, 1_765_000_000, body);
//! // What the receiver checks, with its own clock (here 20 s later):
//! let event = verify(secret, &header, body, 1_765_000_020, Tolerance::default());
//! assert!(event.is_ok());
//! // A changed body, an old timestamp or another secret is refused.
//! assert!(verify(secret, &header, b"{}", 1_765_000_020, Tolerance::default()).is_err());
//! assert!(verify(secret, &header, body, 1_765_001_000, Tolerance::default()).is_err());
//! assert!(verify("whsec_other", &header, body, 1_765_000_020, Tolerance::default()).is_err());
//! ```
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "ConnectAuth-Signature";

/// The longest header read: a longer one is refused before any hashing
/// (a receiver is no CPU sink).
pub const MAX_HEADER_LEN: usize = 4096;
/// The most `v1=` signatures read (one per secret while one is rotated).
pub const MAX_SIGNATURES: usize = 8;

/// How far the header's timestamp may be from the receiver's clock, either
/// way (a replay of an old delivery is refused past it). Default 5 min.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance(pub u64);

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance(300)
    }
}

/// Why a delivery was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The header is not `t=<digits>,v1=<signature>[,v1=…]`.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is further from now than the tolerance.
    #[error("timestamp outside the tolerance")]
    Stale,
    /// No `v1` signature matches the body under this secret.
    #[error("signature mismatch")]
    Mismatch,
}

/// The header value for `body` sent at `timestamp` (unix seconds) under
/// each of `secrets`, in order: `t=…,v1=…[,v1=…]`.
pub fn sign_with(secrets: &[&str], timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&STANDARD.encode(mac(secret, timestamp, body).finalize().into_bytes()));
    }
    header
}

/// [`sign_with`] one secret.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    sign_with(&[secret], timestamp, body)
}

/// Checks `header` (the value of [`SIGNATURE_HEADER`]) against `body` as
/// received (the raw bytes, before any JSON parsing) and `secret`, at `now`
/// (unix seconds). Returns the header's timestamp.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: Tolerance,
) -> Result<i64, WebhookError> {
    if header.len() > MAX_HEADER_LEN {
        return Err(WebhookError::Malformed);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) if timestamp.is_none() && !t.is_empty() => {
                if !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(WebhookError::Malformed);
                }
                timestamp = Some(t.parse::<i64>().map_err(|_| WebhookError::Malformed)?);
            }
            Some(("v1", s)) => signatures.push(s),
            // Other schemes (a later version) are skipped.
            Some((_, _)) => {}
            None => return Err(WebhookError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::Malformed)?;
    if signatures.is_empty() || signatures.len() > MAX_SIGNATURES {
        return Err(WebhookError::Malformed);
    }
    if now.abs_diff(timestamp) > tolerance.0 {
        return Err(WebhookError::Stale);
    }
    // The body is hashed once; each candidate is compared in constant time.
    let hashed = mac(secret, timestamp, body);
    let matches = signatures.iter().any(|s| {
        STANDARD
            .decode(s)
            .is_ok_and(|raw| hashed.clone().verify_slice(&raw).is_ok())
    });
    if matches {
        Ok(timestamp)
    } else {
        Err(WebhookError::Mismatch)
    }
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const BODY: &[u8] = br#"{"type":"user.created"}"#;

    #[test]
    fn a_known_vector_matches_an_independent_hmac() {
        // `printf '1700000000.{"type":"user.created"}' | openssl dgst -sha256 -hmac whsec_test -binary | base64`
        assert_eq!(
            sign(SECRET, 1_700_000_000, BODY),
            "t=1700000000,v1=IwmzJByTTt1ZgYLNivhmPiOk7ZO66eB2+9Po34ICJTs="
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let header = sign_with(&["whsec_old", SECRET], 100, BODY);
        assert_eq!(
            verify(SECRET, &header, BODY, 100, Tolerance::default()),
            Ok(100)
        );
        assert_eq!(
            verify("whsec_old", &header, BODY, 100, Tolerance::default()),
            Ok(100)
        );
        assert_eq!(
            verify("whsec_new", &header, BODY, 100, Tolerance::default()),
            Err(WebhookError::Mismatch)
        );
    }

    #[test]
    fn the_tolerance_bounds_both_ways() {
        let header = sign(SECRET, 1_000, BODY);
        let t = Tolerance(300);
        assert!(verify(SECRET, &header, BODY, 1_300, t).is_ok());
        assert!(verify(SECRET, &header, BODY, 700, t).is_ok());
        assert_eq!(
            verify(SECRET, &header, BODY, 1_301, t),
            Err(WebhookError::Stale)
        );
        assert_eq!(
            verify(SECRET, &header, BODY, 699, t),
            Err(WebhookError::Stale)
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = STANDARD.encode([0u8; 32]);
        for header in [
            String::new(),
            "t=1".to_owned(),
            format!("v1={good}"),
            format!("t=,v1={good}"),
            format!("t=-5,v1={good}"),
            format!("t=1x,v1={good}"),
            format!("t=1;v1={good}"),
            format!("t=99999999999999999999,v1={good}"),
        ] {
            assert_eq!(
                verify(SECRET, &header, BODY, 1, Tolerance::default()),
                Err(WebhookError::Malformed),
                "{header:?}"
            );
        }
        let many = format!("t=1{}", format!(",v1={good}").repeat(MAX_SIGNATURES + 1));
        assert_eq!(
            verify(SECRET, &many, BODY, 1, Tolerance::default()),
            Err(WebhookError::Malformed)
        );
        let long = format!("t=1,v1={good},x={}", "a".repeat(MAX_HEADER_LEN));
        assert_eq!(
            verify(SECRET, &long, BODY, 1, Tolerance::default()),
            Err(WebhookError::Malformed)
        );
        // A signature that is not base64 is a mismatch, not a panic.
        assert_eq!(
            verify(SECRET, "t=1,v1=***", BODY, 1, Tolerance::default()),
            Err(WebhookError::Mismatch)
        );
    }

    #[test]
    fn the_body_is_signed_byte_for_byte() {
        let header = sign(SECRET, 5, BODY);
        let reformatted = br#"{ "type": "user.created" }"#;
        assert_eq!(
            verify(SECRET, &header, reformatted, 5, Tolerance::default()),
            Err(WebhookError::Mismatch)
        );
    }
}
