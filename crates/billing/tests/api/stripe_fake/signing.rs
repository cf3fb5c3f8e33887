//! Stripe's webhook signature, made here independently of
//! `billing::stripe::webhook`.
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `t=<t>,v1=<hex HMAC-SHA256 of "{t}.{payload}" under the whole secret text>`.
pub fn sign_payload(payload: &[u8], secret: &str, t: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

#[test]
fn matches_a_vector_computed_with_python() {
    // python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test_secret',
    //   b'1700000000.{\"id\":\"evt_1\"}', hashlib.sha256).hexdigest())"
    assert_eq!(
        sign_payload(br#"{"id":"evt_1"}"#, "whsec_test_secret", 1_700_000_000),
        "t=1700000000,v1=248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a"
    );
}
