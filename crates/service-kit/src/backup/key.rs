//! The keys of one backup file, derived from a master key with HKDF-SHA256
//! and the file's random salt: one to encrypt, one to tell a wrong master
//! key (same id, another secret) from a damaged file before anything is
//! decrypted. Neither reveals the master key, and no two files share a key.
use chacha20poly1305::Key;
use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::error::FormatError;
use crate::secret::Secret;

const ENCRYPTION_INFO: &[u8] = b"connectauth backup v1 encryption";
const CHECK_INFO: &[u8] = b"connectauth backup v1 key check";

pub(super) struct FileKeys {
    pub encryption: Key,
    pub check: [u8; 32],
}

/// The master key `id` of `ring` (`AUTH_MASTER_KEYS` as id/secret pairs).
pub(super) fn master<'a>(
    ring: &'a [(String, Secret)],
    id: &str,
) -> Result<&'a Secret, FormatError> {
    ring.iter()
        .find(|(k, _)| k == id)
        .map(|(_, secret)| secret)
        .ok_or_else(|| FormatError::UnknownKey(id.to_owned()))
}

pub(super) fn derive(id: &str, master: &Secret, salt: &[u8]) -> Result<FileKeys, FormatError> {
    let ikm = master
        .decoded()
        .ok_or_else(|| FormatError::BadKey(id.to_owned()))?;
    let hkdf = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut encryption = [0u8; 32];
    let mut check = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit (255 × 32): expand cannot fail.
    hkdf.expand(ENCRYPTION_INFO, &mut encryption)
        .map_err(|_| FormatError::BadKey(id.to_owned()))?;
    hkdf.expand(CHECK_INFO, &mut check)
        .map_err(|_| FormatError::BadKey(id.to_owned()))?;
    Ok(FileKeys {
        encryption: Key::from(encryption),
        check,
    })
}

/// Whether `expected` (from the file's header) is this key's check value.
pub(super) fn matches(keys: &FileKeys, expected: &[u8]) -> bool {
    keys.check.ct_eq(expected).into()
}
