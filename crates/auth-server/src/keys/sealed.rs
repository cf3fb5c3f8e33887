//! Secrets at rest (signing keys, TOTP seeds, upstream and webhook secrets) sealed with
//! XChaCha20-Poly1305 under the master keyring `AUTH_MASTER_KEYS`.
//!
//! Format: `v1.<key id>.<base64url(nonce ‖ ciphertext)>`. The key id lets the
//! master key rotate: new seals use the first key, old ones open with theirs.
//! Associated data binds a sealed value to its owner (e.g. `totp:<tenant>:<user>`)
//! so a ciphertext copied to another row does not open.
use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use service_kit::secret::Secret;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the master keyring is empty")]
    NoKeys,
    #[error("master key `{0}` is not base64url")]
    BadKey(String),
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed with unknown master key `{0}`")]
    UnknownKey(String),
    #[error("sealed value does not open (tampered, or another owner's)")]
    Open,
    #[error("the random source failed")]
    Random,
}

pub struct MasterKeys {
    current: String,
    keys: HashMap<String, XChaCha20Poly1305>,
}

impl MasterKeys {
    /// The first entry seals; all of them open.
    pub fn new(ring: &[(String, Secret)]) -> Result<Self, SealError> {
        let (current, _) = ring.first().ok_or(SealError::NoKeys)?;
        let mut keys = HashMap::new();
        for (id, secret) in ring {
            let bytes = secret
                .decoded()
                .ok_or_else(|| SealError::BadKey(id.clone()))?;
            // Production keys are ≥ 256 random bits; hashing fixes the length at 32.
            let key = Key::from(<[u8; 32]>::from(Sha256::digest(&bytes)));
            keys.insert(id.clone(), XChaCha20Poly1305::new(&key));
        }
        Ok(Self {
            current: current.clone(),
            keys,
        })
    }

    /// The id of the key that seals (the ring's first).
    pub fn current_id(&self) -> &str {
        &self.current
    }

    pub fn seal(&self, plaintext: &[u8], owner: &str) -> Result<String, SealError> {
        let cipher = self.keys.get(&self.current).ok_or(SealError::NoKeys)?;
        let nonce_bytes = service_kit::secret::random_bytes(24).map_err(|_| SealError::Random)?;
        let nonce = XNonce::from_slice(&nonce_bytes);
        let ct = cipher
            .encrypt(
                nonce,
                Payload {
                    msg: plaintext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)?;
        let mut blob = nonce_bytes;
        blob.extend_from_slice(&ct);
        Ok(format!(
            "v1.{}.{}",
            self.current,
            URL_SAFE_NO_PAD.encode(blob)
        ))
    }

    pub fn open(&self, sealed: &str, owner: &str) -> Result<Vec<u8>, SealError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SealError::Malformed);
        };
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
        let blob = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Malformed)?;
        if blob.len() < 24 + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ct) = blob.split_at(24);
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[&str]) -> Vec<(String, Secret)> {
        ids.iter()
            .map(|id| {
                (
                    (*id).to_owned(),
                    Secret::new(service_kit::secret::generate().expect("csprng")),
                )
            })
            .collect()
    }

    #[test]
    fn seal_and_open_round_trip() {
        let keys = MasterKeys::new(&ring(&["k1"])).expect("keys");
        let sealed = keys.seal(b"seed", "totp:t:u").expect("sealed");
        assert!(sealed.starts_with("v1.k1."));
        assert!(!sealed.contains("seed"));
        assert_eq!(keys.open(&sealed, "totp:t:u").expect("opens"), b"seed");
    }

    #[test]
    fn another_owner_or_tampering_does_not_open() {
        let keys = MasterKeys::new(&ring(&["k1"])).expect("keys");
        let sealed = keys.seal(b"seed", "totp:t:alice").expect("sealed");
        assert_eq!(keys.open(&sealed, "totp:t:bob"), Err(SealError::Open));
        let mut tampered = sealed.clone();
        let last = tampered.pop().expect("non-empty");
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(keys.open(&tampered, "totp:t:alice").is_err());
        assert_eq!(keys.open("v2.k1.xx", "o"), Err(SealError::Malformed));
    }

    #[test]
    fn truncated_seals_are_malformed_and_an_empty_secret_round_trips() {
        let keys = MasterKeys::new(&ring(&["k1"])).expect("keys");
        // A nonce (24 bytes) and a tag (16) at the least; shorter is refused,
        // never sliced.
        for len in [0, 10, 24, 39] {
            let body = URL_SAFE_NO_PAD.encode(vec![0u8; len]);
            assert_eq!(
                keys.open(&format!("v1.k1.{body}"), "o"),
                Err(SealError::Malformed),
                "{len} bytes"
            );
        }
        // Exactly a nonce and a tag: the seal of nothing.
        let empty = keys.seal(b"", "o").expect("sealed");
        assert_eq!(keys.open(&empty, "o").expect("opens"), b"");
    }

    #[test]
    fn rotation_keeps_old_seals_readable() {
        let old_ring = ring(&["k1"]);
        let old = MasterKeys::new(&old_ring).expect("keys");
        let sealed = old.seal(b"seed", "o").expect("sealed");
        let mut new_ring = ring(&["k2"]);
        new_ring.extend(old_ring);
        let new = MasterKeys::new(&new_ring).expect("keys");
        assert_eq!(new.open(&sealed, "o").expect("old seal opens"), b"seed");
        assert!(new.seal(b"x", "o").expect("sealed").starts_with("v1.k2."));
        // The ring's first key seals, and is the one reported as current
        // (what `connectauth keys` prints after a rotation).
        assert_eq!((old.current_id(), new.current_id()), ("k1", "k2"));
        let only_new = MasterKeys::new(&ring(&["k3"])).expect("keys");
        assert_eq!(
            only_new.open(&sealed, "o"),
            Err(SealError::UnknownKey("k1".into()))
        );
    }
}
