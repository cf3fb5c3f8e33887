use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::Address;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tracing::instrument::WithSubscriber;

use super::error::MailError;
use super::message::OutgoingMail;
use super::transport::MailTransport;

mod worker;

/// Queue tuning. `Default`: capacity 1024, 5 attempts, backoff 2 s doubling
/// up to 5 min, from [`super::DEFAULT_FROM`].
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Sender mailbox for every queued mail (`MAIL_FROM`).
    pub from: Mailbox,
    /// Mails waiting for their first attempt; `enqueue` fails beyond this.
    pub capacity: usize,
    /// Attempts per mail, the first one included (0 is treated as 1).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubles after each further one.
    pub base_backoff: Duration,
    /// Upper bound for the wait between attempts.
    pub max_backoff: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            from: Mailbox::new(
                Some("ConnectAuth".to_owned()),
                Address::new_dangerous("no-reply", "localhost"),
            ),
            capacity: 1024,
            max_attempts: 5,
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
        }
    }
}

impl QueueConfig {
    /// Wait before the next attempt after `failed_attempts` failures (≥ 1):
    /// `base_backoff * 2^(failed_attempts - 1)`, capped at `max_backoff`.
    pub fn backoff(&self, failed_attempts: u32) -> Duration {
        let exp = failed_attempts.saturating_sub(1).min(31);
        self.base_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff)
    }
}

/// Background mail sender. Cheap to clone; all clones share one worker task.
///
/// [`enqueue`](Self::enqueue) only touches an in-memory channel; the worker
/// task does the network I/O, retrying retryable failures with exponential
/// backoff. A retry waiting for its backoff does not hold up other mails.
/// Mails are sent one at a time. Nothing is persisted: mail still queued when
/// the process dies is lost, and de-duplication is the caller's business.
///
/// Every attempt is counted in `mail_sends_total{outcome="sent"|"failed"}`
/// and every mail given up in `mail_dropped_total` (recorded only when the
/// service serves metrics); [`pending`](Self::pending) is the depth gauge.
#[derive(Debug, Clone)]
pub struct MailQueue {
    shared: Arc<Shared>,
    tx: mpsc::Sender<worker::Job>,
}

#[derive(Debug)]
struct Shared {
    from: Mailbox,
    next_id: AtomicU64,
    /// Accepted and neither delivered nor given up on.
    pending: Arc<AtomicUsize>,
    closing: AtomicBool,
    shutdown: Arc<Notify>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl MailQueue {
    /// Spawns the worker on the current tokio runtime.
    ///
    /// Errors with [`MailError::Config`] outside a runtime or when
    /// `capacity` is 0.
    pub fn start(transport: MailTransport, config: QueueConfig) -> Result<Self, MailError> {
        if config.capacity == 0 {
            return Err(MailError::Config("mail queue capacity must be > 0".into()));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| MailError::Config("MailQueue::start needs a tokio runtime".into()))?;
        let (tx, rx) = mpsc::channel(config.capacity);
        let pending = Arc::new(AtomicUsize::new(0));
        let shutdown = Arc::new(Notify::new());
        tracing::info!(
            transport = transport.kind(),
            capacity = config.capacity,
            max_attempts = config.max_attempts,
            "mail queue started"
        );
        let from = config.from.clone();
        let worker = worker::Worker::new(transport, config, Arc::clone(&pending));
        // Carry the caller's subscriber into the task (matters for scoped
        // subscribers, e.g. in tests; a no-op with a global subscriber).
        let task = worker
            .run(rx, Arc::clone(&shutdown))
            .with_current_subscriber();
        let handle = runtime.spawn(task);
        Ok(Self {
            shared: Arc::new(Shared {
                from,
                next_id: AtomicU64::new(1),
                pending,
                closing: AtomicBool::new(false),
                shutdown,
                worker: Mutex::new(Some(handle)),
            }),
            tx,
        })
    }

    /// Accepts `mail` for background delivery. Never waits: fails with
    /// [`MailError::QueueFull`] at capacity and [`MailError::QueueClosed`]
    /// after [`shutdown`](Self::shutdown). Building the message (pure CPU)
    /// happens here, so message errors surface to the caller.
    pub fn enqueue(&self, mail: OutgoingMail) -> Result<(), MailError> {
        if self.shared.closing.load(Ordering::Acquire) {
            return Err(MailError::QueueClosed);
        }
        let message = mail.to_message(&self.shared.from)?;
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let job = worker::Job::new(id, mail, message);
        // Count before sending so the worker can never decrement first.
        self.shared.pending.fetch_add(1, Ordering::AcqRel);
        match self.tx.try_send(job) {
            Ok(()) => {
                tracing::debug!(mail_id = id, "mail enqueued");
                Ok(())
            }
            Err(err) => {
                self.shared.pending.fetch_sub(1, Ordering::AcqRel);
                match err {
                    mpsc::error::TrySendError::Full(_) => {
                        tracing::warn!(mail_id = id, "mail queue full, mail rejected");
                        Err(MailError::QueueFull)
                    }
                    mpsc::error::TrySendError::Closed(_) => Err(MailError::QueueClosed),
                }
            }
        }
    }

    /// Mails accepted but not yet delivered or given up on (waiting, in
    /// flight, or waiting for a retry).
    pub fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::Acquire)
    }

    /// Stops accepting mail, then waits up to `deadline` for the worker to
    /// deliver (or give up on) everything already accepted, retries included.
    /// On timeout the worker is aborted and
    /// [`MailError::ShutdownTimedOut`] reports how many mails were lost.
    /// Calling it again (or from another clone) returns `Ok(())`.
    pub async fn shutdown(&self, deadline: Duration) -> Result<(), MailError> {
        self.shared.closing.store(true, Ordering::Release);
        self.shared.shutdown.notify_one();
        let handle = self
            .shared
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut handle) = handle else {
            return Ok(());
        };
        match tokio::time::timeout(deadline, &mut handle).await {
            Ok(Ok(())) => {
                tracing::info!("mail queue drained and stopped");
                Ok(())
            }
            Ok(Err(join_err)) => {
                tracing::error!(error = %join_err, "mail queue worker failed");
                Err(MailError::QueueClosed)
            }
            Err(_) => {
                handle.abort();
                let pending = self.pending();
                tracing::error!(pending, "mail queue shutdown deadline hit, dropping mail");
                Err(MailError::ShutdownTimedOut {
                    waited: deadline,
                    pending,
                })
            }
        }
    }
}

impl MailQueue {
    /// Starts the queue the auth server's settings describe (inside the runtime).
    pub fn from_settings(settings: &super::MailSettings, from: &str) -> Result<Self, MailError> {
        let config = super::config::MailConfig::from_settings(settings, from)?;
        let transport = super::transport::MailTransport::from_config(&config.transport)?;
        Self::start(
            transport,
            QueueConfig {
                from: config.from,
                ..QueueConfig::default()
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let c = QueueConfig {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..QueueConfig::default()
        };
        let got: Vec<u128> = (1..=5).map(|n| c.backoff(n).as_millis()).collect();
        assert_eq!(got, [100, 200, 400, 500, 500]);
        assert_eq!(c.backoff(u32::MAX), Duration::from_millis(500));
    }

    #[test]
    fn default_from_matches_constant() {
        let parsed: Mailbox = super::super::DEFAULT_FROM.parse().unwrap();
        assert_eq!(QueueConfig::default().from, parsed);
        assert_eq!(QueueConfig::default().max_attempts, 5);
    }

    #[test]
    fn start_outside_runtime_is_an_error() {
        let t = MailTransport::Files(super::super::FileTransport::new("/nonexistent"));
        let err = MailQueue::start(t, QueueConfig::default()).unwrap_err();
        assert!(matches!(err, MailError::Config(_)));
    }
}
