//! Async front of the argon2id pool: what the auth server calls.

use std::num::NonZeroUsize;
use std::thread;

use argon2::password_hash::Error as PhcError;
use argon2::Params;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::password::engine::{self, OUTPUT_LEN};
use crate::password::normalize::{exceeds_precheck, normalize};
use crate::password::policy::{Password, PasswordPolicy};
use crate::password::pool::{Job, Pool};

/// argon2id parameters and pool sizing. `Default` is the OWASP Password
/// Storage Cheat Sheet minimum (m=19456 KiB, t=2, p=1); lower is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HasherConfig {
    /// Memory cost in KiB (>= 19456).
    pub memory_kib: u32,
    /// Time cost / passes (>= 2).
    pub iterations: u32,
    /// Lanes (>= 1). The argon2 crate computes lanes sequentially.
    pub parallelism: u32,
    /// Worker threads; `None` = `std::thread::available_parallelism()`.
    pub workers: Option<usize>,
    /// Jobs that may wait for a worker; beyond that calls get `Busy`.
    pub queue_capacity: usize,
}

impl HasherConfig {
    pub const MIN_MEMORY_KIB: u32 = 19_456;
    pub const MIN_ITERATIONS: u32 = 2;
    pub const MIN_PARALLELISM: u32 = 1;
}

impl Default for HasherConfig {
    fn default() -> Self {
        Self {
            memory_kib: Self::MIN_MEMORY_KIB,
            iterations: Self::MIN_ITERATIONS,
            parallelism: Self::MIN_PARALLELISM,
            workers: None,
            queue_capacity: 32,
        }
    }
}

/// Refused [`HasherConfig`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("argon2 memory cost {got} KiB is below the minimum of {min} KiB")]
    MemoryTooLow { got: u32, min: u32 },
    #[error("argon2 iterations {got} is below the minimum of {min}")]
    IterationsTooLow { got: u32, min: u32 },
    #[error("argon2 parallelism {got} is below the minimum of {min}")]
    ParallelismTooLow { got: u32, min: u32 },
    #[error("argon2 rejected the parameters: {0}")]
    Params(argon2::Error),
    #[error("the hashing pool needs at least one worker")]
    NoWorkers,
    #[error("the hashing queue capacity must be at least 1")]
    NoQueue,
    #[error("could not start a hashing worker thread: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("could not prepare the dummy hash: {0}")]
    Dummy(#[source] HashError),
}

/// Hashing / verification failure. None of these mean "wrong password".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Queue full: answer 503 with `Retry-After: retry_after_secs`.
    #[error("password hashing is at capacity; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// The stored string is not a PHC string for an Argon2 variant.
    #[error("stored password hash is malformed: {0}")]
    MalformedHash(#[source] PhcError),
    /// The stored hash asks for more memory/time/lanes than we will spend.
    #[error("stored password hash has out-of-range parameters")]
    StoredParamsOutOfRange,
    #[error("could not encode the password hash: {0}")]
    Phc(#[source] PhcError),
    #[error("argon2 failed: {0}")]
    Argon2(#[source] argon2::Error),
    #[error("the operating system random number generator failed")]
    Rng,
    /// The worker pool is gone or a worker failed mid-job.
    #[error("password hashing worker failed")]
    WorkerFailed,
}

/// Result of [`PasswordHasher::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    /// Set on a match when the stored hash is weaker than the current config
    /// (older variant/version, lower m/t/p, short salt/output): store a fresh
    /// [`PasswordHasher::hash`] of the password the user just typed.
    pub needs_rehash: bool,
}

/// argon2id hasher backed by a bounded pool of OS threads. Cheap to share
/// behind an `Arc` (or `web::Data`); dropping it stops the workers.
pub struct PasswordHasher {
    pool: Pool,
    dummy_phc: String,
    workers: usize,
}

/// How busy the argon2 pool is, read at any time (for metrics).
#[derive(Clone)]
pub struct HasherLoad {
    in_pool: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    workers: usize,
}

impl HasherLoad {
    /// Jobs running (at most one per worker) and jobs waiting for one.
    pub fn running_and_waiting(&self) -> (usize, usize) {
        let all = self.in_pool.load(std::sync::atomic::Ordering::Relaxed);
        let running = all.min(self.workers);
        (running, all - running)
    }
}

impl PasswordHasher {
    /// A live view of the pool's load.
    pub fn load(&self) -> HasherLoad {
        HasherLoad {
            in_pool: self.pool.in_pool(),
            workers: self.workers,
        }
    }

    pub fn new(config: HasherConfig) -> Result<Self, ConfigError> {
        if config.memory_kib < HasherConfig::MIN_MEMORY_KIB {
            return Err(ConfigError::MemoryTooLow {
                got: config.memory_kib,
                min: HasherConfig::MIN_MEMORY_KIB,
            });
        }
        if config.iterations < HasherConfig::MIN_ITERATIONS {
            return Err(ConfigError::IterationsTooLow {
                got: config.iterations,
                min: HasherConfig::MIN_ITERATIONS,
            });
        }
        if config.parallelism < HasherConfig::MIN_PARALLELISM {
            return Err(ConfigError::ParallelismTooLow {
                got: config.parallelism,
                min: HasherConfig::MIN_PARALLELISM,
            });
        }
        let workers = match config.workers {
            Some(0) => return Err(ConfigError::NoWorkers),
            Some(n) => n,
            None => thread::available_parallelism().map_or(1, NonZeroUsize::get),
        };
        if config.queue_capacity == 0 {
            return Err(ConfigError::NoQueue);
        }
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            Some(OUTPUT_LEN),
        )
        .map_err(ConfigError::Params)?;
        let dummy_phc = engine::dummy_phc(&params).map_err(ConfigError::Dummy)?;
        let pool = Pool::start(&params, workers, config.queue_capacity)?;
        Ok(Self {
            pool,
            dummy_phc,
            workers,
        })
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Hash a policy-checked password into a PHC string.
    pub async fn hash(&self, pw: &Password) -> Result<String, HashError> {
        let (reply, rx) = oneshot::channel();
        let password = Zeroizing::new(pw.expose_secret().to_owned());
        self.pool.submit(Job::Hash { password, reply })?;
        rx.await.map_err(|_| HashError::WorkerFailed)?
    }

    /// Verify a login attempt against a stored PHC string. The candidate is
    /// NFKC-normalised like at registration but not policy-checked (old
    /// passwords must keep working).
    pub async fn verify(&self, candidate: &str, phc: &str) -> Result<Verification, HashError> {
        self.verify_inner(candidate, phc.to_owned()).await
    }

    /// For unknown users: costs the same as a `verify` of a current-params
    /// hash (same queue, same argon2 work), so response time does not reveal
    /// whether the account exists. Can still return `Busy`, as `verify` can.
    pub async fn verify_dummy(&self, candidate: &str) -> Result<(), HashError> {
        self.verify_inner(candidate, self.dummy_phc.clone())
            .await
            .map(|_| ())
    }

    async fn verify_inner(&self, candidate: &str, phc: String) -> Result<Verification, HashError> {
        // No stored password can be this long (the policy caps it far lower):
        // refuse without spending CPU. Depends only on the attacker's input.
        if exceeds_precheck(candidate, PasswordPolicy::MAX_CHARS) {
            return Ok(Verification {
                matches: false,
                needs_rehash: false,
            });
        }
        let (reply, rx) = oneshot::channel();
        let candidate = Zeroizing::new(normalize(candidate));
        self.pool.submit(Job::Verify {
            candidate,
            phc,
            reply,
        })?;
        rx.await.map_err(|_| HashError::WorkerFailed)?
    }
}

#[cfg(test)]
#[path = "hasher_tests.rs"]
mod tests;
