//! Synchronous argon2id engine owning a reusable memory buffer. Each pool
//! worker thread owns one, so steady-state hashing allocates nothing: the
//! argon2 crate's default path allocates (and frees) ~19 MiB per call.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Error as PhcError, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::password::hasher::{HashError, Verification};

/// Output length written into new PHC strings (bytes).
pub(crate) const OUTPUT_LEN: usize = 32;
/// Random salt length for new hashes (bytes).
pub(crate) const SALT_LEN: usize = 16;

/// Stored hashes may carry params above the current config (raised earlier,
/// then lowered), but never absurd ones: cap what a stored string can make a
/// worker allocate or spin on.
const MAX_STORED_M_KIB: u32 = 1024 * 1024;
const MAX_STORED_T: u32 = 64;
const MAX_STORED_P: u32 = 64;
/// The highest bcrypt cost an imported hash may have (2^14 rounds, about a
/// second): above it, one login attempt would hold a worker too long.
pub const MAX_BCRYPT_COST: u32 = 14;

/// Whether `stored` is a bcrypt hash (`$2a$`, `$2b$`, `$2y$`), as imported
/// from another system.
pub fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| stored.starts_with(p))
}

/// The cost of a bcrypt hash in the modular crypt form, if it is one.
fn bcrypt_cost(stored: &str) -> Option<u32> {
    let shaped = is_bcrypt(stored)
        && stored.len() == 60
        && stored.is_char_boundary(6)
        && stored.get(6..7) == Some("$")
        && stored[7..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
    shaped.then(|| stored[4..6].parse::<u32>().ok()).flatten()
}

/// Why a password hash brought from another system cannot be kept, if it
/// cannot: an argon2 PHC string within the stored bounds, or a bcrypt hash
/// of cost 4 to [`MAX_BCRYPT_COST`], is accepted (and re-hashed with the
/// current argon2id parameters at the user's first login).
pub fn importable_hash(stored: &str) -> Result<(), &'static str> {
    if is_bcrypt(stored) {
        return match bcrypt_cost(stored) {
            None => Err("not a bcrypt hash in the $2b$ form"),
            Some(cost) if !(4..=MAX_BCRYPT_COST).contains(&cost) => {
                Err("bcrypt cost must be 4 to 14")
            }
            Some(_) => Ok(()),
        };
    }
    let parsed = PasswordHash::new(stored).map_err(|_| "not an argon2 or bcrypt hash")?;
    Algorithm::try_from(parsed.algorithm).map_err(|_| "not an argon2 or bcrypt hash")?;
    let params = Params::try_from(&parsed).map_err(|_| "argon2 parameters unreadable")?;
    if params.m_cost() > MAX_STORED_M_KIB
        || params.t_cost() > MAX_STORED_T
        || params.p_cost() > MAX_STORED_P
    {
        return Err("argon2 parameters too large");
    }
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err("argon2 hash without salt or output");
    }
    Ok(())
}

/// An argon2id hasher with its own memory buffer. Not `Sync`: one per thread.
/// Public for benchmarks and offline tools; it does not enforce the OWASP
/// floor — servers use [`crate::password::PasswordHasher`], which does.
pub struct HashEngine {
    params: Params,
    blocks: Vec<Block>,
}

impl HashEngine {
    /// Frees the reusable buffer; the next hash allocates it again.
    pub fn release_memory(&mut self) {
        self.blocks = Vec::new();
    }

    /// `params` are the current target parameters for new hashes.
    /// The buffer is allocated on first use and then kept.
    pub fn new(params: Params) -> Self {
        Self {
            params,
            blocks: Vec::new(),
        }
    }

    /// Hash `password` (already normalised) with a fresh 16-byte salt from
    /// the OS RNG; returns a PHC string `$argon2id$v=19$m=..,t=..,p=..$salt$hash`.
    pub fn hash(&mut self, password: &[u8]) -> Result<String, HashError> {
        let mut salt = [0u8; SALT_LEN];
        OsRng
            .try_fill_bytes(&mut salt)
            .map_err(|_| HashError::Rng)?;
        let salt_string = SaltString::encode_b64(&salt).map_err(HashError::Phc)?;

        let mut out = [0u8; OUTPUT_LEN];
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone());
        let blocks = buffer(&mut self.blocks, self.params.block_count());
        argon2
            .hash_password_into_with_memory(password, &salt, &mut out, blocks)
            .map_err(HashError::Argon2)?;

        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(HashError::Phc)?,
            salt: Some(salt_string.as_salt()),
            hash: Some(Output::new(&out).map_err(HashError::Phc)?),
        };
        Ok(phc.to_string())
    }

    /// Verify `candidate` (already normalised) against a stored PHC string.
    /// The output comparison is constant-time (`Output`'s `PartialEq` uses
    /// `subtle`). `needs_rehash` is only set on a match.
    pub fn verify(&mut self, candidate: &[u8], phc: &str) -> Result<Verification, HashError> {
        if is_bcrypt(phc) {
            // An imported hash: checked once, then re-hashed with argon2id
            // (the login replaces it when `needs_rehash`).
            match bcrypt_cost(phc) {
                None => return Err(HashError::MalformedHash(PhcError::PhcStringField)),
                Some(cost) if !(4..=MAX_BCRYPT_COST).contains(&cost) => {
                    return Err(HashError::StoredParamsOutOfRange)
                }
                Some(_) => {}
            }
            let matches = bcrypt::verify(candidate, phc).unwrap_or(false);
            return Ok(Verification {
                matches,
                needs_rehash: matches,
            });
        }
        let parsed = PasswordHash::new(phc).map_err(HashError::MalformedHash)?;
        let algorithm = Algorithm::try_from(parsed.algorithm).map_err(HashError::MalformedHash)?;
        // Same default as the argon2 crate's own verify path when `v=` is absent.
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|e| HashError::MalformedHash(e.into()))?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(HashError::MalformedHash)?;
        if params.m_cost() > MAX_STORED_M_KIB.max(self.params.m_cost())
            || params.t_cost() > MAX_STORED_T.max(self.params.t_cost())
            || params.p_cost() > MAX_STORED_P.max(self.params.p_cost())
        {
            return Err(HashError::StoredParamsOutOfRange);
        }
        let missing = || HashError::MalformedHash(PhcError::PhcStringField);
        let salt = parsed.salt.ok_or_else(missing)?;
        let expected = parsed.hash.ok_or_else(missing)?;

        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt
            .decode_b64(&mut salt_buf)
            .map_err(HashError::MalformedHash)?;

        let mut out = [0u8; Output::MAX_LENGTH];
        let out = &mut out[..expected.len()];
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let blocks = buffer(&mut self.blocks, params.block_count());
        argon2
            .hash_password_into_with_memory(candidate, salt_bytes, out, blocks)
            .map_err(HashError::Argon2)?;
        let computed = Output::new(out).map_err(HashError::Phc)?;

        let matches = computed == expected;
        let stale = algorithm != Algorithm::Argon2id
            || version != Version::V0x13
            || params.m_cost() < self.params.m_cost()
            || params.t_cost() < self.params.t_cost()
            || params.p_cost() < self.params.p_cost()
            || expected.len() < OUTPUT_LEN
            || salt_bytes.len() < SALT_LEN;
        Ok(Verification {
            matches,
            needs_rehash: matches && stale,
        })
    }
}

/// The first `count` blocks of the reusable buffer, growing it if needed.
fn buffer(blocks: &mut Vec<Block>, count: usize) -> &mut [Block] {
    if blocks.len() < count {
        blocks.resize(count, Block::default());
    }
    &mut blocks[..count]
}

/// A syntactically valid PHC string with the given params, a random salt and
/// a random "hash" that no password produces. Verifying against it costs
/// exactly what verifying a real current-params hash costs.
pub(crate) fn dummy_phc(params: &Params) -> Result<String, HashError> {
    let mut salt = [0u8; SALT_LEN];
    let mut fake = [0u8; OUTPUT_LEN];
    OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|_| HashError::Rng)?;
    OsRng
        .try_fill_bytes(&mut fake)
        .map_err(|_| HashError::Rng)?;
    let salt_string = SaltString::encode_b64(&salt).map_err(HashError::Phc)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(HashError::Phc)?,
        salt: Some(salt_string.as_salt()),
        hash: Some(Output::new(&fake).map_err(HashError::Phc)?),
    };
    Ok(phc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    fn owasp() -> Params {
        Params::new(19_456, 2, 1, None).unwrap()
    }

    #[test]
    fn released_memory_is_allocated_again_on_demand() {
        let mut engine = HashEngine::new(owasp());
        let phc = engine.hash(b"correct horse battery").unwrap();
        engine.release_memory();
        assert_eq!(engine.blocks.capacity(), 0);
        assert!(
            engine
                .verify(b"correct horse battery", &phc)
                .unwrap()
                .matches
        );
        assert!(engine.blocks.capacity() > 0);
    }

    #[test]
    fn interoperates_with_the_argon2_crate_both_ways() {
        let mut engine = HashEngine::new(owasp());
        let ours = engine.hash(b"interop password").unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, owasp());
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2.verify_password(b"interop password", &parsed).is_ok());

        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = argon2
            .hash_password(b"interop password", &salt)
            .unwrap()
            .to_string();
        let v = engine.verify(b"interop password", &theirs).unwrap();
        assert_eq!(
            v,
            Verification {
                matches: true,
                needs_rehash: false
            }
        );
    }

    #[test]
    fn imported_bcrypt_hashes_verify_once_and_need_an_argon2id_rehash() {
        let mut engine = HashEngine::new(owasp());
        let imported = bcrypt::hash("imported password", 4).unwrap();
        assert_eq!(importable_hash(&imported), Ok(()), "{imported}");
        assert_eq!(
            engine.verify(b"imported password", &imported).unwrap(),
            Verification {
                matches: true,
                needs_rehash: true
            }
        );
        assert_eq!(
            engine.verify(b"wrong password", &imported).unwrap(),
            Verification {
                matches: false,
                needs_rehash: false
            }
        );
        // Too costly to check at login, or not a bcrypt hash at all.
        let costly = format!("$2b$15${}", &imported[7..]);
        assert!(importable_hash(&costly).is_err());
        assert!(matches!(
            engine.verify(b"imported password", &costly),
            Err(HashError::StoredParamsOutOfRange)
        ));
        for bad in [
            "$2b$04$short",
            "$2x$04$..........................................",
            "",
        ] {
            assert!(importable_hash(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn old_variant_verifies_and_needs_rehash() {
        let params = Params::new(19_456, 2, 1, None).unwrap();
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let phc = argon2i.hash_password(b"legacy", &salt).unwrap().to_string();
        let v = HashEngine::new(owasp()).verify(b"legacy", &phc).unwrap();
        assert_eq!(
            v,
            Verification {
                matches: true,
                needs_rehash: true
            }
        );
    }

    #[test]
    fn rejects_garbage_and_absurd_params() {
        let mut engine = HashEngine::new(owasp());
        assert!(matches!(
            engine.verify(b"x", "not a phc string"),
            Err(HashError::MalformedHash(_))
        ));
        assert!(matches!(
            engine.verify(b"x", "$2b$12$abcdefghijklmnopqrstuu"),
            Err(HashError::MalformedHash(_))
        ));
        let huge = "$argon2id$v=19$m=4000000000,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$\
                    AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(matches!(
            engine.verify(b"x", huge),
            Err(HashError::StoredParamsOutOfRange)
        ));
    }

    #[test]
    fn dummy_never_matches() {
        let mut engine = HashEngine::new(owasp());
        let dummy = dummy_phc(&owasp()).unwrap();
        assert!(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!engine.verify(b"", &dummy).unwrap().matches);
    }
}
