//! The `Stripe-Signature` check of a webhook: the header's timestamp within
//! the tolerance and one `v1` HMAC-SHA256 of `{timestamp}.{payload}` under
//! one of the endpoint's secrets, compared in constant time, with the
//! header's size and entry count bounded before any hashing.
use hmac::{Hmac, Mac};
use service_kit::secret::Secret;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

type HmacSha256 = Hmac<Sha256>;

/// The longest `Stripe-Signature` header accepted, in bytes. Stripe's is a
/// timestamp and one 64-digit signature per scheme and active secret, a few
/// hundred bytes; anything much longer is refused before any hashing.
pub const MAX_SIGNATURE_HEADER_BYTES: usize = 1024;
/// The most `v1` signatures one header may carry. Stripe sends one per
/// active signing secret of the endpoint (two during a rotation).
pub const MAX_V1_SIGNATURES: usize = 5;
/// A `v1` signature is a hex HMAC-SHA256: exactly this many digits.
pub const V1_SIGNATURE_HEX_LEN: usize = 64;

/// Why a webhook signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("Stripe-Signature header longer than {MAX_SIGNATURE_HEADER_BYTES} bytes")]
    TooLong,
    #[error("more than {MAX_V1_SIGNATURES} v1 signatures in the Stripe-Signature header")]
    TooManySignatures,
    #[error("malformed Stripe-Signature header")]
    Malformed,
    #[error("no v1 signature in the Stripe-Signature header")]
    NoV1,
    #[error("no v1 signature matches the payload")]
    Mismatch,
    #[error("signature timestamp outside the tolerance")]
    Stale,
}

/// Checks `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`: some `v1`
/// must be the HMAC-SHA256 of `"{t}.{payload}"` under one of `secrets`
/// (the whole `whsec_…` text is the key, as Stripe uses it), and `t` must
/// be within `tolerance_secs` of `now`, either way. The signature is checked
/// first, so `Stale` means an authentic but old (or future) delivery.
///
/// The cost is bounded whatever the header: a header longer than
/// [`MAX_SIGNATURE_HEADER_BYTES`], with more than [`MAX_V1_SIGNATURES`] `v1`
/// entries or with a `v1` that is not exactly [`V1_SIGNATURE_HEX_LEN`] hex
/// digits is refused before any hashing; otherwise the HMAC is computed once
/// per secret and compared in constant time with each `v1`.
pub fn verify_signature(
    payload: &[u8],
    header: &str,
    secrets: &[Secret],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    verify_with(
        payload,
        header,
        secrets,
        now,
        tolerance_secs,
        &mut hmac_sha256,
    )
}

/// The HMAC-SHA256 of `"{timestamp}.{payload}"` under `secret`.
fn hmac_sha256(secret: &Secret, timestamp: &str, payload: &[u8]) -> Option<[u8; 32]> {
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes()).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(payload);
    Some(mac.finalize().into_bytes().into())
}

/// [`verify_signature`] with the HMAC given, so tests can count the work.
fn verify_with(
    payload: &[u8],
    header: &str,
    secrets: &[Secret],
    now: i64,
    tolerance_secs: i64,
    mut hmac: impl FnMut(&Secret, &str, &[u8]) -> Option<[u8; 32]>,
) -> Result<(), SignatureError> {
    let parsed = SignatureHeader::parse(header)?;
    let authentic = secrets.iter().any(|secret| {
        hmac(secret, parsed.timestamp, payload).is_some_and(|expected| {
            // Every candidate is compared, each in constant time.
            parsed
                .v1
                .iter()
                .fold(Choice::from(0), |matched, candidate| {
                    matched | expected.ct_eq(candidate)
                })
                .into()
        })
    });
    if !authentic {
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(parsed.t) > tolerance_secs.max(0).unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// A `Stripe-Signature` header that is small enough to check.
struct SignatureHeader<'a> {
    /// `t` as sent (it is part of the signed text).
    timestamp: &'a str,
    t: i64,
    /// At most [`MAX_V1_SIGNATURES`].
    v1: Vec<[u8; 32]>,
}

impl<'a> SignatureHeader<'a> {
    /// Reads the header without hashing: its length, the number and shape of
    /// its `v1` entries and `t` are checked here.
    fn parse(header: &'a str) -> Result<Self, SignatureError> {
        let header = header.trim();
        if header.is_empty() {
            return Err(SignatureError::Missing);
        }
        if header.len() > MAX_SIGNATURE_HEADER_BYTES {
            return Err(SignatureError::TooLong);
        }
        let mut timestamp: Option<&str> = None;
        let mut v1: Vec<[u8; 32]> = Vec::new();
        for part in header.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or(SignatureError::Malformed)?;
            match key.trim() {
                "t" if timestamp.is_none() => timestamp = Some(value.trim()),
                "v1" => {
                    if v1.len() == MAX_V1_SIGNATURES {
                        return Err(SignatureError::TooManySignatures);
                    }
                    v1.push(decode_signature(value.trim()).ok_or(SignatureError::Malformed)?);
                }
                // Other schemes (v0, future ones) are not checked.
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
        if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SignatureError::Malformed);
        }
        let t: i64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
        if v1.is_empty() {
            return Err(SignatureError::NoV1);
        }
        Ok(Self { timestamp, t, v1 })
    }
}

/// Exactly [`V1_SIGNATURE_HEX_LEN`] hex digits, as 32 bytes.
fn decode_signature(text: &str) -> Option<[u8; 32]> {
    if text.len() != V1_SIGNATURE_HEX_LEN || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = text
            .get(2 * i..2 * i + 2)
            .and_then(|pair| u8::from_str_radix(pair, 16).ok())?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const NOW: i64 = 1_700_000_000;

    fn sign(payload: &[u8], secret: &str, t: i64) -> String {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("{t}.").as_bytes());
        mac.update(payload);
        let digest = mac.finalize().into_bytes();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn secrets(list: &[&str]) -> Vec<Secret> {
        list.iter().map(|s| Secret::new(*s)).collect()
    }

    #[test]
    fn a_correct_signature_passes() {
        let payload = br#"{"id":"evt_1"}"#;
        let header = format!("t={NOW},v1={}", sign(payload, SECRET, NOW));
        assert_eq!(
            verify_signature(payload, &header, &secrets(&[SECRET]), NOW, 300),
            Ok(())
        );
        // Within the tolerance either way.
        assert_eq!(
            verify_signature(payload, &header, &secrets(&[SECRET]), NOW + 300, 300),
            Ok(())
        );
        assert_eq!(
            verify_signature(payload, &header, &secrets(&[SECRET]), NOW - 300, 300),
            Ok(())
        );
    }

    #[test]
    fn a_known_vector_passes() {
        // HMAC-SHA256 under "whsec_test_secret" of `1700000000.{"id":"evt_1"}`,
        // computed independently with Python's hmac module.
        let header =
            "t=1700000000,v1=248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a";
        let keys = secrets(&[SECRET]);
        assert_eq!(
            verify_signature(br#"{"id":"evt_1"}"#, header, &keys, NOW, 300),
            Ok(())
        );
        assert_eq!(
            verify_signature(br#"{"id":"evt_2"}"#, header, &keys, NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_v1_under_any_secret_passes() {
        let payload = b"payload";
        let header = format!(
            "t={NOW},v1={},v1={},v0=deadbeef",
            "00".repeat(32),
            sign(payload, "whsec_new", NOW)
        );
        let keys = secrets(&["whsec_old", "whsec_new"]);
        assert_eq!(verify_signature(payload, &header, &keys, NOW, 300), Ok(()));
    }

    #[test]
    fn the_same_signature_twice_still_passes() {
        // Matches are combined with OR: a second matching candidate must
        // not cancel the first.
        let payload = b"payload";
        let good = sign(payload, SECRET, NOW);
        let header = format!("t={NOW},v1={good},v1={good}");
        assert_eq!(
            verify_signature(payload, &header, &secrets(&[SECRET]), NOW, 300),
            Ok(())
        );
    }

    #[test]
    fn the_first_timestamp_counts() {
        let payload = b"payload";
        let good = sign(payload, SECRET, NOW);
        let keys = secrets(&[SECRET]);
        let header = format!("t={NOW},t={},v1={good}", NOW + 1);
        assert_eq!(verify_signature(payload, &header, &keys, NOW, 300), Ok(()));
        let header = format!("t={},t={NOW},v1={good}", NOW + 1);
        assert_eq!(
            verify_signature(payload, &header, &keys, NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_header_of_exactly_the_limit_is_read() {
        let payload = b"payload";
        let keys = secrets(&[SECRET]);
        let signed = format!("t={NOW},v1={}", sign(payload, SECRET, NOW));
        // Padded with a scheme that is not checked, to the byte.
        let pad = |total: usize| format!("{signed},x={}", "a".repeat(total - signed.len() - 3));
        let at_limit = pad(MAX_SIGNATURE_HEADER_BYTES);
        assert_eq!(at_limit.len(), MAX_SIGNATURE_HEADER_BYTES);
        assert_eq!(
            verify_signature(payload, &at_limit, &keys, NOW, 300),
            Ok(())
        );
        let over = pad(MAX_SIGNATURE_HEADER_BYTES + 1);
        assert_eq!(
            verify_signature(payload, &over, &keys, NOW, 300),
            Err(SignatureError::TooLong)
        );
    }

    #[test]
    fn refusals_say_why() {
        let payload = b"payload";
        let good = sign(payload, SECRET, NOW);
        let keys = secrets(&[SECRET]);
        let check = |header: &str, now: i64| verify_signature(payload, header, &keys, now, 300);
        assert_eq!(check("", NOW), Err(SignatureError::Missing));
        assert_eq!(check("   ", NOW), Err(SignatureError::Missing));
        assert_eq!(check("garbage", NOW), Err(SignatureError::Malformed));
        assert_eq!(
            check(&format!("v1={good}"), NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(&format!("t=abc,v1={good}"), NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(&format!("t=-5,v1={good}"), NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(&format!("t={NOW},v0={good}"), NOW),
            Err(SignatureError::NoV1)
        );
        // A v1 of another length or not hex cannot match: refused unhashed.
        for bad in [
            "zz".to_owned(),
            "00".to_owned(),
            "0".repeat(63),
            "0".repeat(66),
            format!("+{}", "0".repeat(63)),
        ] {
            assert_eq!(
                check(&format!("t={NOW},v1={good},v1={bad}"), NOW),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            check(&format!("t={NOW},v1={}", "ab".repeat(32)), NOW),
            Err(SignatureError::Mismatch)
        );
        // Stale, in the past and in the future.
        assert_eq!(
            check(&format!("t={NOW},v1={good}"), NOW + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            check(&format!("t={NOW},v1={good}"), NOW - 301),
            Err(SignatureError::Stale)
        );
        // Another payload, another secret, another timestamp.
        assert_eq!(
            verify_signature(b"other", &format!("t={NOW},v1={good}"), &keys, NOW, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(
                payload,
                &format!("t={NOW},v1={good}"),
                &secrets(&["whsec_other"]),
                NOW,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&format!("t={},v1={good}", NOW + 1), NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(payload, &format!("t={NOW},v1={good}"), &[], NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    /// CPU time this thread has used, from Linux's scheduler statistics.
    fn thread_cpu_time() -> Option<std::time::Duration> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
        Some(std::time::Duration::from_nanos(nanos))
    }

    /// `count` full-length v1 entries that verify nothing.
    fn junk_entries(count: usize) -> String {
        (0..count)
            .map(|i| format!(",v1={:064x}", i))
            .collect::<String>()
    }

    #[test]
    fn a_header_of_5000_signatures_is_refused_in_well_under_50_ms_of_cpu() {
        // The largest body billing takes, and a secret rotation's two keys.
        let payload = vec![b' '; crate::config::DEFAULT_BODY_LIMIT];
        let keys = secrets(&["whsec_old", SECRET]);
        let good = sign(&payload, SECRET, NOW);
        let header = format!("t={NOW},v1={good}{}", junk_entries(4_999));
        let before = thread_cpu_time();
        let verdict = verify_signature(&payload, &header, &keys, NOW, 300);
        let after = thread_cpu_time();
        assert_eq!(verdict, Err(SignatureError::TooLong));
        if let (Some(before), Some(after)) = (before, after) {
            let spent = after.saturating_sub(before);
            assert!(
                spent < std::time::Duration::from_millis(50),
                "refusing took {spent:?} of CPU"
            );
        }
    }

    /// `verify_with` and the number of HMACs it computed.
    fn hmacs_for(
        payload: &[u8],
        header: &str,
        keys: &[Secret],
    ) -> (Result<(), SignatureError>, usize) {
        let mut count = 0;
        let verdict = verify_with(payload, header, keys, NOW, 300, |secret, t, body| {
            count += 1;
            hmac_sha256(secret, t, body)
        });
        (verdict, count)
    }

    #[test]
    fn oversized_headers_are_refused_before_any_hashing() {
        let payload = b"payload";
        let keys = secrets(&["whsec_old", SECRET]);
        let good = sign(payload, SECRET, NOW);
        for (name, header, refusal) in [
            (
                "5,000 entries",
                format!("t={NOW},v1={good}{}", junk_entries(4_999)),
                SignatureError::TooLong,
            ),
            (
                "a header just over the size cap",
                format!(
                    "t={NOW},v1={good},v0={}",
                    "0".repeat(MAX_SIGNATURE_HEADER_BYTES)
                ),
                SignatureError::TooLong,
            ),
            (
                "one v1 too many",
                format!("t={NOW},v1={good}{}", junk_entries(MAX_V1_SIGNATURES)),
                SignatureError::TooManySignatures,
            ),
            (
                "5,000 short entries",
                format!("t={NOW},v1={good}{}", ",v1=00".repeat(5_000)),
                SignatureError::TooLong,
            ),
            (
                "short entries under the cap",
                format!("t={NOW},v1=00,v1=01,v1={good}"),
                SignatureError::Malformed,
            ),
        ] {
            assert_eq!(
                hmacs_for(payload, &header, &keys),
                (Err(refusal), 0),
                "{name}"
            );
        }
    }

    #[test]
    fn the_hmac_is_computed_once_per_secret_whatever_the_entries() {
        let payload = b"payload";
        let keys = secrets(&["whsec_old", SECRET]);
        let good = sign(payload, SECRET, NOW);
        // As many entries as allowed, the good one last, under the second key.
        let header = format!(
            "t={NOW}{},v1={good},v0={}",
            junk_entries(MAX_V1_SIGNATURES - 1),
            "0".repeat(64)
        );
        assert!(header.len() <= MAX_SIGNATURE_HEADER_BYTES);
        assert_eq!(hmacs_for(payload, &header, &keys), (Ok(()), 2));
        let forged = format!("t={NOW}{}", junk_entries(MAX_V1_SIGNATURES));
        assert_eq!(
            hmacs_for(payload, &forged, &keys),
            (Err(SignatureError::Mismatch), 2)
        );
        // The first secret that verifies ends the search.
        let under_first = format!("t={NOW},v1={}", sign(payload, "whsec_old", NOW));
        assert_eq!(hmacs_for(payload, &under_first, &keys), (Ok(()), 1));
    }
}
