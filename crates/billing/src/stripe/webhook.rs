//! Stripe webhooks without I/O: the `Stripe-Signature` check, the event
//! envelope, and typed readers of the objects billing reacts to. Readers
//! accept the shapes of older and newer API versions (an endpoint receives
//! events in its own API version, not async-stripe's).
use hmac::{Hmac, Mac};
use serde_json::Value;
use service_kit::secret::Secret;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use super::object;
pub use super::subscriptions::SubscriptionSnapshot;

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

/// Why an event or one of its objects cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event payload is not JSON: {0}")]
    Json(String),
    #[error("missing or empty field `{0}`")]
    Missing(&'static str),
}

/// A Stripe event envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_…`: deliveries may repeat, dedupe on it.
    pub id: String,
    /// `type`, e.g. `invoice.paid`.
    pub kind: String,
    pub created: i64,
    pub livemode: bool,
    /// The API version the object is rendered in, when given.
    pub api_version: Option<String>,
    /// `data.object`.
    pub object: Value,
}

/// Reads an event (`id`, `type` and `data.object` required; `created`
/// defaults to 0 and `livemode` to false).
pub fn parse_event(payload: &[u8]) -> Result<Event, EventError> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| EventError::Json(e.to_string()))?;
    let object = object::at(&value, &["data", "object"])
        .filter(|o| o.is_object())
        .cloned()
        .ok_or(EventError::Missing("data.object"))?;
    Ok(Event {
        id: object::string(&value, &["id"]).ok_or(EventError::Missing("id"))?,
        kind: object::string(&value, &["type"]).ok_or(EventError::Missing("type"))?,
        created: object::int(&value, &["created"]).unwrap_or(0),
        livemode: value
            .get("livemode")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        api_version: object::string(&value, &["api_version"]),
        object,
    })
}

/// `checkout.session.completed` (and `.expired`, `.async_payment_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutCompleted {
    /// `cs_…`
    pub id: String,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub client_reference_id: Option<String>,
    /// `metadata[tenant_id]`.
    pub tenant_id: Option<String>,
    /// `metadata[plan]`.
    pub plan: Option<String>,
    /// `open`, `complete` or `expired`.
    pub status: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: Option<String>,
    pub mode: Option<String>,
}

impl CheckoutCompleted {
    pub fn from_object(session: &Value) -> Result<Self, EventError> {
        Ok(Self {
            id: object::string(session, &["id"]).ok_or(EventError::Missing("id"))?,
            customer_id: object::id(session, &["customer"]),
            subscription_id: object::id(session, &["subscription"]),
            client_reference_id: object::string(session, &["client_reference_id"]),
            tenant_id: object::string(session, &["metadata", "tenant_id"]),
            plan: object::string(session, &["metadata", "plan"]),
            status: object::string(session, &["status"]),
            payment_status: object::string(session, &["payment_status"]),
            mode: object::string(session, &["mode"]),
        })
    }

    /// The tenant: `client_reference_id`, else `metadata[tenant_id]`.
    pub fn tenant(&self) -> Option<&str> {
        self.client_reference_id
            .as_deref()
            .or(self.tenant_id.as_deref())
    }
}

/// `customer.subscription.*`: the subscription object (id, customer,
/// `metadata[tenant_id]`, status, price, period end in either place).
pub type SubscriptionRef = SubscriptionSnapshot;

/// `invoice.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceFacts {
    /// `in_…`
    pub id: String,
    pub customer_id: Option<String>,
    /// `subscription` before API 2025-03-31.basil,
    /// `parent.subscription_details.subscription` since.
    pub subscription_id: Option<String>,
    /// The subscription's `metadata[tenant_id]` as copied onto the invoice
    /// (`parent.subscription_details.metadata` or `subscription_details.metadata`).
    pub tenant_id: Option<String>,
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub status: Option<String>,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub currency: Option<String>,
    pub hosted_invoice_url: Option<String>,
    pub created: Option<i64>,
    /// The invoice's `period_end`. For subscription invoices Stripe sets it
    /// to the *start* of the billed period; see `service_period_end`.
    pub period_end: Option<i64>,
    /// The latest end among the line items' periods (the end of the service
    /// billed), when lines are included.
    pub service_period_end: Option<i64>,
}

impl InvoiceFacts {
    pub fn from_object(invoice: &Value) -> Result<Self, EventError> {
        let subscription_id =
            object::id(invoice, &["parent", "subscription_details", "subscription"])
                .or_else(|| object::id(invoice, &["subscription"]));
        let tenant_id = object::string(
            invoice,
            &["parent", "subscription_details", "metadata", "tenant_id"],
        )
        .or_else(|| object::string(invoice, &["subscription_details", "metadata", "tenant_id"]));
        let service_period_end = object::at(invoice, &["lines", "data"])
            .and_then(Value::as_array)
            .and_then(|lines| {
                lines
                    .iter()
                    .filter_map(|l| object::int(l, &["period", "end"]))
                    .max()
            });
        Ok(Self {
            id: object::string(invoice, &["id"]).ok_or(EventError::Missing("id"))?,
            customer_id: object::id(invoice, &["customer"]),
            subscription_id,
            tenant_id,
            number: object::string(invoice, &["number"]),
            status: object::string(invoice, &["status"]),
            amount_due: object::int(invoice, &["amount_due"]).unwrap_or(0),
            amount_paid: object::int(invoice, &["amount_paid"]).unwrap_or(0),
            currency: object::string(invoice, &["currency"]),
            hosted_invoice_url: object::string(invoice, &["hosted_invoice_url"]),
            created: object::int(invoice, &["created"]),
            period_end: object::int(invoice, &["period_end"]),
            service_period_end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn events_are_parsed() {
        let payload = json!({
            "id": "evt_1", "object": "event", "type": "invoice.paid", "created": 5,
            "livemode": true, "api_version": "2025-03-31.basil",
            "data": {"object": {"id": "in_1", "object": "invoice"}}
        });
        let event = parse_event(payload.to_string().as_bytes()).expect("parses");
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.kind, "invoice.paid");
        assert_eq!(event.created, 5);
        assert!(event.livemode);
        assert_eq!(event.api_version.as_deref(), Some("2025-03-31.basil"));
        assert_eq!(event.object["id"], "in_1");
    }

    #[test]
    fn broken_events_are_refused() {
        assert!(matches!(
            parse_event(b"{not json"),
            Err(EventError::Json(_))
        ));
        assert_eq!(
            parse_event(br#"{"type":"x","data":{"object":{}}}"#),
            Err(EventError::Missing("id"))
        );
        assert_eq!(
            parse_event(br#"{"id":"evt_1","data":{"object":{}}}"#),
            Err(EventError::Missing("type"))
        );
        assert_eq!(
            parse_event(br#"{"id":"evt_1","type":"x","data":{}}"#),
            Err(EventError::Missing("data.object"))
        );
        assert_eq!(
            parse_event(br#"{"id":"evt_1","type":"x","data":{"object":"in_1"}}"#),
            Err(EventError::Missing("data.object"))
        );
    }

    #[test]
    fn checkout_sessions_are_read() {
        let session = json!({
            "id": "cs_test_1", "object": "checkout.session", "customer": "cus_1",
            "subscription": {"id": "sub_1"}, "client_reference_id": "t1",
            "metadata": {"tenant_id": "t1", "plan": "pro"}, "status": "complete",
            "payment_status": "paid", "mode": "subscription"
        });
        let facts = CheckoutCompleted::from_object(&session).expect("reads");
        assert_eq!(facts.customer_id.as_deref(), Some("cus_1"));
        assert_eq!(facts.subscription_id.as_deref(), Some("sub_1"));
        assert_eq!(facts.tenant(), Some("t1"));
        assert_eq!(facts.plan.as_deref(), Some("pro"));
        let bare =
            CheckoutCompleted::from_object(&json!({"id": "cs_2", "metadata": {"tenant_id": "t2"}}))
                .expect("reads");
        assert_eq!(bare.tenant(), Some("t2"));
        assert_eq!(bare.subscription_id, None);
        assert_eq!(
            CheckoutCompleted::from_object(&json!({})),
            Err(EventError::Missing("id"))
        );
    }

    #[test]
    fn invoices_are_read_in_old_and_new_shapes() {
        let new = json!({
            "id": "in_1", "customer": "cus_1", "number": "A-1", "status": "paid",
            "amount_due": 900, "amount_paid": 900, "currency": "eur",
            "hosted_invoice_url": "https://invoice.stripe.com/i/x", "created": 10, "period_end": 10,
            "parent": {"type": "subscription_details",
                       "subscription_details": {"subscription": "sub_1", "metadata": {"tenant_id": "t1"}}},
            "lines": {"data": [{"period": {"start": 10, "end": 20}}, {"period": {"start": 10, "end": 30}}]}
        });
        let facts = InvoiceFacts::from_object(&new).expect("reads");
        assert_eq!(facts.subscription_id.as_deref(), Some("sub_1"));
        assert_eq!(facts.tenant_id.as_deref(), Some("t1"));
        assert_eq!((facts.amount_due, facts.amount_paid), (900, 900));
        assert_eq!(facts.service_period_end, Some(30));
        assert_eq!(
            facts.hosted_invoice_url.as_deref(),
            Some("https://invoice.stripe.com/i/x")
        );

        let old = json!({
            "id": "in_2", "customer": {"id": "cus_2"}, "subscription": "sub_2",
            "subscription_details": {"metadata": {"tenant_id": "t2"}}, "status": "open",
            "amount_due": 2900, "amount_paid": 0, "currency": "eur"
        });
        let facts = InvoiceFacts::from_object(&old).expect("reads");
        assert_eq!(facts.customer_id.as_deref(), Some("cus_2"));
        assert_eq!(facts.subscription_id.as_deref(), Some("sub_2"));
        assert_eq!(facts.tenant_id.as_deref(), Some("t2"));
        assert_eq!(facts.service_period_end, None);
        assert_eq!(
            InvoiceFacts::from_object(&json!({"status": "paid"})),
            Err(EventError::Missing("id"))
        );
    }
}
