//! Bounded pool of dedicated OS threads running argon2. Jobs arrive over a
//! bounded queue; a full queue is reported to the caller at once instead of
//! growing without limit. Results go back over tokio oneshot channels.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use argon2::Params;
use flume::{Receiver, RecvTimeoutError, Sender, TrySendError};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::password::engine::HashEngine;
use crate::password::hasher::{ConfigError, HashError, Verification};

/// Suggested wait when the queue is full. The queue drains in tens of
/// milliseconds per worker, and Retry-After has one-second resolution.
const RETRY_AFTER_SECS: u64 = 1;

pub(crate) enum Job {
    Hash {
        password: Zeroizing<String>,
        reply: oneshot::Sender<Result<String, HashError>>,
    },
    Verify {
        candidate: Zeroizing<String>,
        phc: String,
        reply: oneshot::Sender<Result<Verification, HashError>>,
    },
}

pub(crate) struct Pool {
    tx: Sender<Job>,
    /// Jobs accepted and not finished (queued or running).
    in_pool: Arc<AtomicUsize>,
}

impl Pool {
    /// Start `workers` threads, each owning a [`HashEngine`] for `params`.
    /// Threads exit once the pool (its sender) is dropped and the queue drains.
    pub(crate) fn start(
        params: &Params,
        workers: usize,
        queue: usize,
    ) -> Result<Self, ConfigError> {
        let (tx, rx) = flume::bounded::<Job>(queue);
        let in_pool = Arc::new(AtomicUsize::new(0));
        for i in 0..workers {
            let rx = rx.clone();
            let done = Arc::clone(&in_pool);
            let engine = HashEngine::new(params.clone());
            thread::Builder::new()
                .name(format!("pw-hash-{i}"))
                .spawn(move || worker(engine, &rx, &done))
                .map_err(ConfigError::Spawn)?;
        }
        Ok(Self { tx, in_pool })
    }

    /// Jobs accepted and not finished: a shared counter, for metrics.
    pub(crate) fn in_pool(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.in_pool)
    }

    /// Enqueue without waiting: `Busy` when the queue is full.
    pub(crate) fn submit(&self, job: Job) -> Result<(), HashError> {
        self.in_pool.fetch_add(1, Ordering::Relaxed);
        self.tx.try_send(job).map_err(|e| {
            self.in_pool.fetch_sub(1, Ordering::Relaxed);
            match e {
                TrySendError::Full(_) => HashError::Busy {
                    retry_after_secs: RETRY_AFTER_SECS,
                },
                TrySendError::Disconnected(_) => HashError::WorkerFailed,
            }
        })
    }
}

/// After this long without work a worker frees its argon2 buffer (19 MiB at
/// the OWASP floor), so an idle server does not hold one per core.
const IDLE_RELEASE: std::time::Duration = std::time::Duration::from_secs(30);

fn worker(mut engine: HashEngine, rx: &Receiver<Job>, in_pool: &AtomicUsize) {
    loop {
        // Each worker waits on the queue on its own, so each frees its
        // buffer 30 s after its own last job (workers waiting their turn on
        // a shared lock used to free theirs one period after another).
        let job = match rx.recv_timeout(IDLE_RELEASE) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                engine.release_memory();
                // Nothing more to free: sleep until work or shutdown.
                match rx.recv() {
                    Ok(job) => job,
                    Err(flume::RecvError::Disconnected) => return,
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // A panic drops the job's reply sender (the caller sees WorkerFailed)
        // but keeps this worker alive; the buffer is scratch memory only.
        let _ = catch_unwind(AssertUnwindSafe(|| run(&mut engine, job)));
        in_pool.fetch_sub(1, Ordering::Relaxed);
    }
}

fn run(engine: &mut HashEngine, job: Job) {
    match job {
        Job::Hash { password, reply } => {
            // Skip work nobody waits for (client went away).
            if !reply.is_closed() {
                let _ = reply.send(engine.hash(password.as_bytes()));
            }
        }
        Job::Verify {
            candidate,
            phc,
            reply,
        } => {
            if !reply.is_closed() {
                let _ = reply.send(engine.verify(candidate.as_bytes(), &phc));
            }
        }
    }
}
