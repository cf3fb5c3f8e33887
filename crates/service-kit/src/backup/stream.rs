//! Encrypting a dump into a backup file and back, a chunk at a time, so a
//! dump of any size passes through a fixed amount of memory.
//!
//! XChaCha20-Poly1305 under the STREAM construction (`aead::stream`,
//! big-endian 32-bit counter, random 19-byte nonce prefix): each chunk of
//! [`CHUNK`] plaintext bytes is sealed with its position in the nonce, and
//! the last chunk (shorter than [`CHUNK`], possibly empty) with a "last"
//! flag. A reordered, dropped or altered chunk fails to open, and so does a
//! file cut short (its last chunk is then missing or not flagged last). The
//! header is every chunk's associated data.
use std::io::{Read, Write};

use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;

use super::error::FormatError;
use super::header::{Envelope, Header, CHUNK, NONCE_PREFIX, SALT};
use super::key;
use crate::secret::Secret;

const TAG: usize = 16;

/// Writes `src` to `dst` as a backup file under the key of `ring` the
/// header names. Returns the plaintext bytes.
pub fn seal(
    header: Header,
    ring: &[(String, Secret)],
    src: &mut impl Read,
    dst: &mut impl Write,
) -> Result<u64, FormatError> {
    let id = header.master_key_id.clone();
    let master = key::master(ring, &id)?;
    let salt = crate::secret::random_bytes(SALT).map_err(|_| FormatError::Random)?;
    let nonce: [u8; NONCE_PREFIX] = crate::secret::random_bytes(NONCE_PREFIX)
        .map_err(|_| FormatError::Random)?
        .try_into()
        .map_err(|_| FormatError::Random)?;
    let keys = key::derive(&id, master, &salt)?;
    let envelope = Envelope::new(header, salt, nonce, keys.check.to_vec())?;
    dst.write_all(&envelope.prefix).map_err(FormatError::Io)?;
    let aead = XChaCha20Poly1305::new(&keys.encryption);
    let mut encryptor = EncryptorBE32::from_aead(aead, nonce.as_slice().into());
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = read_full(src, &mut buf)?;
        total += n as u64;
        let payload = Payload {
            msg: &buf[..n],
            aad: &envelope.prefix,
        };
        if n == CHUNK {
            // Fails only past 2³² chunks (256 TiB).
            let sealed = encryptor
                .encrypt_next(payload)
                .map_err(|_| FormatError::TooLarge)?;
            dst.write_all(&sealed).map_err(FormatError::Io)?;
        } else {
            let sealed = encryptor
                .encrypt_last(payload)
                .map_err(|_| FormatError::TooLarge)?;
            dst.write_all(&sealed).map_err(FormatError::Io)?;
            dst.flush().map_err(FormatError::Io)?;
            return Ok(total);
        }
    }
}

/// Checks that `ring` holds the key `envelope` was sealed under, before
/// anything is decrypted.
pub fn check_key(envelope: &Envelope, ring: &[(String, Secret)]) -> Result<(), FormatError> {
    file_keys(envelope, ring).map(|_| ())
}

fn file_keys(envelope: &Envelope, ring: &[(String, Secret)]) -> Result<key::FileKeys, FormatError> {
    let id = &envelope.header.master_key_id;
    let keys = key::derive(id, key::master(ring, id)?, &envelope.salt)?;
    if key::matches(&keys, &envelope.key_check) {
        Ok(keys)
    } else {
        Err(FormatError::WrongKey(id.clone()))
    }
}

/// Decrypts the chunks after `envelope` (already read from `src`) into
/// `dst`. Bytes reach `dst` before the end is authenticated: write them
/// somewhere disposable and use them only when this returns `Ok`.
pub fn open(
    envelope: &Envelope,
    ring: &[(String, Secret)],
    src: &mut impl Read,
    dst: &mut impl Write,
) -> Result<u64, FormatError> {
    let keys = file_keys(envelope, ring)?;
    let aead = XChaCha20Poly1305::new(&keys.encryption);
    let mut decryptor = DecryptorBE32::from_aead(aead, envelope.nonce.as_slice().into());
    let mut buf = vec![0u8; CHUNK + TAG];
    let mut total = 0u64;
    loop {
        let n = read_full(src, &mut buf)?;
        let payload = Payload {
            msg: &buf[..n],
            aad: &envelope.prefix,
        };
        if n == CHUNK + TAG {
            let plain = decryptor
                .decrypt_next(payload)
                .map_err(|_| FormatError::Tampered)?;
            total += plain.len() as u64;
            dst.write_all(&plain).map_err(FormatError::Io)?;
        } else if n < TAG {
            // Not even a tag: the last chunk was cut off.
            return Err(FormatError::Truncated);
        } else {
            let plain = decryptor
                .decrypt_last(payload)
                .map_err(|_| FormatError::Tampered)?;
            total += plain.len() as u64;
            dst.write_all(&plain).map_err(FormatError::Io)?;
            dst.flush().map_err(FormatError::Io)?;
            return Ok(total);
        }
    }
}

/// Fills `buf` unless the input ends first; the number of bytes read.
fn read_full(src: &mut impl Read, buf: &mut [u8]) -> Result<usize, FormatError> {
    let mut filled = 0;
    while filled < buf.len() {
        match src.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FormatError::Io(e)),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Engine;

    fn ring(id: &str) -> Vec<(String, Secret)> {
        vec![(
            id.to_owned(),
            Secret::new(crate::secret::generate().expect("csprng")),
        )]
    }

    fn header() -> Header {
        Header {
            service: "auth".into(),
            engine: Engine::Postgres,
            master_key_id: "k1".into(),
            created_at: 1_800_000_000,
        }
    }

    /// Plaintext spanning several chunks, ending mid-chunk.
    fn dump() -> Vec<u8> {
        (0..(3 * CHUNK + 1234)).map(|i| (i % 251) as u8).collect()
    }

    fn sealed(ring: &[(String, Secret)], plain: &[u8]) -> Vec<u8> {
        let mut file = Vec::new();
        seal(header(), ring, &mut &plain[..], &mut file).expect("sealed");
        file
    }

    fn opened(ring: &[(String, Secret)], file: &[u8]) -> Result<Vec<u8>, FormatError> {
        let mut src = file;
        let envelope = Envelope::read(&mut src)?;
        let mut out = Vec::new();
        open(&envelope, ring, &mut src, &mut out)?;
        Ok(out)
    }

    fn header_len(file: &[u8]) -> usize {
        Envelope::read(&mut &file[..]).expect("header").prefix.len()
    }

    #[test]
    fn a_dump_round_trips_and_is_not_readable_in_the_file() {
        let ring = ring("k1");
        for plain in [dump(), Vec::new(), vec![1u8; CHUNK]] {
            let file = sealed(&ring, &plain);
            assert_eq!(opened(&ring, &file).expect("opens"), plain);
        }
        let plain = dump();
        let file = sealed(&ring, &plain);
        let envelope = Envelope::read(&mut &file[..]).expect("header");
        assert_eq!(envelope.header.master_key_id, "k1");
        assert_eq!(envelope.header.service, "auth");
        assert!(!file.windows(64).any(|w| w == &plain[..64]));
        // Two backups of the same dump share neither salt nor nonce.
        assert_ne!(file, sealed(&ring, &plain));
    }

    #[test]
    fn a_changed_header_refuses_to_open() {
        let ring = ring("k1");
        let file = sealed(&ring, &dump());
        let header = &file[..header_len(&file)];
        let find = |needle: &[u8]| header.windows(needle.len()).position(|w| w == needle);
        let at = find(b"\"auth\"").expect("service in the header");
        let mut tampered = file.clone();
        // Same length, another service: the header parses, the chunks do not open.
        tampered[at + 1..at + 5].copy_from_slice(b"bill");
        assert!(matches!(
            opened(&ring, &tampered),
            Err(FormatError::Tampered)
        ));
        let at = find(b"1800000000").expect("created_at");
        let mut tampered = file;
        tampered[at] = b'2';
        assert!(matches!(
            opened(&ring, &tampered),
            Err(FormatError::Tampered)
        ));
    }

    #[test]
    fn a_changed_byte_anywhere_in_the_chunks_refuses_to_open() {
        let ring = ring("k1");
        let file = sealed(&ring, &dump());
        let start = header_len(&file);
        for at in [start, start + CHUNK + TAG + 5, file.len() - 1] {
            let mut tampered = file.clone();
            tampered[at] ^= 0x01;
            assert!(
                matches!(opened(&ring, &tampered), Err(FormatError::Tampered)),
                "byte {at}"
            );
        }
    }

    #[test]
    fn reordered_or_dropped_chunks_refuse_to_open() {
        let ring = ring("k1");
        let file = sealed(&ring, &dump());
        let start = header_len(&file);
        let size = CHUNK + TAG;
        let chunk = |i: usize| &file[start + i * size..start + (i + 1) * size];
        let mut swapped = file[..start].to_vec();
        for i in [1, 0, 2] {
            swapped.extend_from_slice(chunk(i));
        }
        swapped.extend_from_slice(&file[start + 3 * size..]);
        assert!(matches!(
            opened(&ring, &swapped),
            Err(FormatError::Tampered)
        ));
        let mut dropped = file[..start].to_vec();
        dropped.extend_from_slice(chunk(0));
        dropped.extend_from_slice(&file[start + 2 * size..]);
        assert!(matches!(
            opened(&ring, &dropped),
            Err(FormatError::Tampered)
        ));
    }

    #[test]
    fn a_file_cut_short_refuses_to_open() {
        let ring = ring("k1");
        let file = sealed(&ring, &dump());
        let start = header_len(&file);
        // At a chunk boundary: the chunks present open, the last is missing.
        let at_boundary = &file[..start + 3 * (CHUNK + TAG)];
        assert!(matches!(
            opened(&ring, at_boundary),
            Err(FormatError::Truncated)
        ));
        // Inside a chunk, and inside the last one.
        for cut in [start + CHUNK, file.len() - 1, file.len() - 20] {
            assert!(
                matches!(
                    opened(&ring, &file[..cut]),
                    Err(FormatError::Tampered | FormatError::Truncated)
                ),
                "cut at {cut}"
            );
        }
        let mut extended = file.clone();
        extended.extend_from_slice(&[0u8; 40]);
        assert!(opened(&ring, &extended).is_err(), "bytes after the end");
    }

    #[test]
    fn another_master_key_is_named_before_anything_is_decrypted() {
        let file = sealed(&ring("k1"), &dump());
        assert!(matches!(
            opened(&ring("k1"), &file),
            Err(FormatError::WrongKey(id)) if id == "k1"
        ));
        assert!(matches!(
            opened(&ring("k2"), &file),
            Err(FormatError::UnknownKey(id)) if id == "k1"
        ));
        assert!(matches!(
            seal(header(), &ring("k2"), &mut &b""[..], &mut Vec::new()),
            Err(FormatError::UnknownKey(id)) if id == "k1"
        ));
    }

    #[test]
    fn a_retired_master_key_later_in_the_ring_still_opens_its_backups() {
        let old = ring("k1");
        let file = sealed(&old, &dump());
        let mut rotated = ring("k2");
        rotated.extend(old);
        assert_eq!(opened(&rotated, &file).expect("opens"), dump());
    }
}
