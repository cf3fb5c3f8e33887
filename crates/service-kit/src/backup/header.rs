//! The clear-text header of a backup file: what it holds (service, engine),
//! when it was made, under which master key, and the parameters the
//! decryption needs. It is authenticated as the associated data of every
//! encrypted chunk, so a changed header makes the whole file refuse to open.
//!
//! Layout: `CABACKUP` (8 bytes), format version (1 byte), header length
//! (u32, big-endian), the header as JSON, then the chunks.
use std::io::Read;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::error::FormatError;
use crate::db::Engine;

pub const MAGIC: &[u8; 8] = b"CABACKUP";
pub const VERSION: u8 = 1;
/// Plaintext bytes per encrypted chunk (the last chunk holds fewer).
pub const CHUNK: usize = 64 * 1024;
/// The nonce prefix of XChaCha20-Poly1305 under STREAM-BE32 (24 − 5 bytes).
pub const NONCE_PREFIX: usize = 19;
pub const SALT: usize = 32;
const MAX_HEADER: u32 = 4096;

/// What a backup is of; readable without the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `auth`, `billing` or `people`.
    pub service: String,
    pub engine: Engine,
    /// The id of the `AUTH_MASTER_KEYS` entry the file is encrypted under.
    pub master_key_id: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A header as read from a file, with what decryption needs.
#[derive(Debug)]
pub struct Envelope {
    pub header: Header,
    pub(super) salt: Vec<u8>,
    pub(super) nonce: [u8; NONCE_PREFIX],
    pub(super) key_check: Vec<u8>,
    /// Every byte before the first chunk: the chunks' associated data.
    pub(super) prefix: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    service: String,
    engine: String,
    master_key_id: String,
    created_at: i64,
    chunk_size: u32,
    salt: String,
    nonce: String,
    key_check: String,
}

pub fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "postgres",
        Engine::Sqlite => "sqlite",
    }
}

fn engine_from(name: &str) -> Option<Engine> {
    match name {
        "postgres" => Some(Engine::Postgres),
        "sqlite" => Some(Engine::Sqlite),
        _ => None,
    }
}

impl Envelope {
    pub(super) fn new(
        header: Header,
        salt: Vec<u8>,
        nonce: [u8; NONCE_PREFIX],
        key_check: Vec<u8>,
    ) -> Result<Self, FormatError> {
        let wire = Wire {
            service: header.service.clone(),
            engine: engine_name(header.engine).to_owned(),
            master_key_id: header.master_key_id.clone(),
            created_at: header.created_at,
            chunk_size: CHUNK as u32,
            salt: URL_SAFE_NO_PAD.encode(&salt),
            nonce: URL_SAFE_NO_PAD.encode(nonce),
            key_check: URL_SAFE_NO_PAD.encode(&key_check),
        };
        let json = serde_json::to_vec(&wire).map_err(|_| FormatError::Header)?;
        let len = u32::try_from(json.len()).map_err(|_| FormatError::Header)?;
        let mut prefix = Vec::with_capacity(13 + json.len());
        prefix.extend_from_slice(MAGIC);
        prefix.push(VERSION);
        prefix.extend_from_slice(&len.to_be_bytes());
        prefix.extend_from_slice(&json);
        Ok(Self {
            header,
            salt,
            nonce,
            key_check,
            prefix,
        })
    }

    /// Reads the header at the start of `src`, leaving it at the first chunk.
    pub fn read(src: &mut impl Read) -> Result<Self, FormatError> {
        let mut fixed = [0u8; 13];
        read_exact_or(src, &mut fixed, FormatError::NotABackup)?;
        if &fixed[..8] != MAGIC {
            return Err(FormatError::NotABackup);
        }
        if fixed[8] != VERSION {
            return Err(FormatError::Version(fixed[8]));
        }
        let len = u32::from_be_bytes([fixed[9], fixed[10], fixed[11], fixed[12]]);
        if len > MAX_HEADER {
            return Err(FormatError::Header);
        }
        let mut json = vec![0u8; len as usize];
        read_exact_or(src, &mut json, FormatError::Truncated)?;
        let wire: Wire = serde_json::from_slice(&json).map_err(|_| FormatError::Header)?;
        let engine = engine_from(&wire.engine).ok_or(FormatError::Header)?;
        let decode = |text: &str| {
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| FormatError::Header)
        };
        let salt = decode(&wire.salt)?;
        let nonce: [u8; NONCE_PREFIX] = decode(&wire.nonce)?
            .try_into()
            .map_err(|_| FormatError::Header)?;
        let key_check = decode(&wire.key_check)?;
        if wire.chunk_size as usize != CHUNK || salt.len() != SALT || key_check.len() != 32 {
            return Err(FormatError::Header);
        }
        let mut prefix = fixed.to_vec();
        prefix.extend_from_slice(&json);
        Ok(Self {
            header: Header {
                service: wire.service,
                engine,
                master_key_id: wire.master_key_id,
                created_at: wire.created_at,
            },
            salt,
            nonce,
            key_check,
            prefix,
        })
    }
}

/// `read_exact`, with a file that ends too soon reported as `short`.
pub(super) fn read_exact_or(
    src: &mut impl Read,
    buf: &mut [u8],
    short: FormatError,
) -> Result<(), FormatError> {
    src.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => short,
        _ => FormatError::Io(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        let header = Header {
            service: "auth".into(),
            engine: Engine::Sqlite,
            master_key_id: "k1".into(),
            created_at: 1_800_000_000,
        };
        Envelope::new(header, vec![7; SALT], [9; NONCE_PREFIX], vec![3; 32]).expect("header")
    }

    #[test]
    fn a_header_reads_back_as_written() {
        let written = envelope();
        let read = Envelope::read(&mut written.prefix.as_slice()).expect("reads");
        assert_eq!(read.header, written.header);
        assert_eq!(read.prefix, written.prefix);
        assert_eq!((read.salt, read.nonce), (written.salt, written.nonce));
    }

    #[test]
    fn other_files_and_versions_are_refused() {
        let mut other = envelope().prefix;
        other[0] = b'X';
        assert!(matches!(
            Envelope::read(&mut other.as_slice()),
            Err(FormatError::NotABackup)
        ));
        assert!(matches!(
            Envelope::read(&mut &b"CAB"[..]),
            Err(FormatError::NotABackup)
        ));
        let mut newer = envelope().prefix;
        newer[8] = 2;
        assert!(matches!(
            Envelope::read(&mut newer.as_slice()),
            Err(FormatError::Version(2))
        ));
    }

    #[test]
    fn a_cut_or_garbled_header_is_refused() {
        let whole = envelope().prefix;
        assert!(matches!(
            Envelope::read(&mut &whole[..whole.len() - 1]),
            Err(FormatError::Truncated)
        ));
        let garbled: Vec<u8> = whole
            .iter()
            .map(|b| if *b == b'{' { b'[' } else { *b })
            .collect();
        assert!(matches!(
            Envelope::read(&mut garbled.as_slice()),
            Err(FormatError::Header)
        ));
        let mut huge = whole.clone();
        huge[9..13].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            Envelope::read(&mut huge.as_slice()),
            Err(FormatError::Header)
        ));
    }
}
