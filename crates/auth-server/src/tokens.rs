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

/// The stored form of a secret. A fast hash is right here: the input already
/// has 256 bits of entropy, so there is nothing to brute-force.
pub fn digest(plain: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(plain.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
