//! Random bearer secrets (session cookies, one-time links, recovery codes):
//! 256 bits from the OS CSPRNG, shown once, stored only as a SHA-256 digest.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A fresh secret and the digest to store.
pub fn new_secret() -> Result<(String, String), getrandom::Error> {
    let bytes = service_kit::secret::random_bytes(32)?;
    let plain = URL_SAFE_NO_PAD.encode(bytes);
    let digest = digest(&plain);
    Ok((plain, digest))
}

/// A six-digit code to type from a mail (about 20 bits: it is only safe with
/// a short lifetime and a few tries), uniform over 000000–999999.
pub fn new_code() -> Result<String, getrandom::Error> {
    // Rejection sampling: 4,294,000,000 is the largest multiple of 10^6
    // below 2^32, so every code is equally likely.
    const LIMIT: u32 = 4_294_000_000;
    loop {
        let bytes = service_kit::secret::random_bytes(4)?;
        let n = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if n < LIMIT {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// The stored form of a secret. A fast hash is right here: the input already
/// has 256 bits of entropy, so there is nothing to brute-force.
pub fn digest(plain: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(plain.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| new_code().expect("csprng")).collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert!(distinct.len() > 45, "codes repeat: {codes:?}");
    }

    #[test]
    fn secrets_are_random_and_digests_stable() {
        let (a, da) = new_secret().expect("csprng");
        let (b, _) = new_secret().expect("csprng");
        assert_ne!(a, b);
        assert_eq!(digest(&a), da);
        assert_ne!(a, da);
        assert_eq!(a.len(), 43);
    }
}
