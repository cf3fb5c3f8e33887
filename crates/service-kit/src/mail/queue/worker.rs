use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lettre::Message;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use super::super::message::OutgoingMail;
use super::super::redact::{log_send_failure, recipient_domain};
use super::super::transport::MailTransport;
use super::QueueConfig;

/// One accepted mail. The message is built once, so retries resend the same
/// bytes (same Message-ID).
#[derive(Debug)]
pub(super) struct Job {
    id: u64,
    mail: OutgoingMail,
    message: Message,
    attempts: u32,
}

impl Job {
    pub(super) fn new(id: u64, mail: OutgoingMail, message: Message) -> Self {
        Self {
            id,
            mail,
            message,
            attempts: 0,
        }
    }
}

pub(super) struct Worker {
    transport: MailTransport,
    config: QueueConfig,
    pending: Arc<AtomicUsize>,
    /// Retries keyed by (due time, mail id).
    retries: BTreeMap<(Instant, u64), Job>,
}

impl Worker {
    pub(super) fn new(
        transport: MailTransport,
        config: QueueConfig,
        pending: Arc<AtomicUsize>,
    ) -> Self {
        Self {
            transport,
            config,
            pending,
            retries: BTreeMap::new(),
        }
    }

    /// Runs until the channel is closed (shutdown, or every sender dropped)
    /// and drained, and no retry is left.
    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<Job>, shutdown: Arc<Notify>) {
        let mut rx_open = true;
        let mut draining = false;
        while rx_open || !self.retries.is_empty() {
            let next_retry = self.retries.keys().next().map(|(due, _)| *due);
            tokio::select! {
                biased;
                () = shutdown.notified(), if !draining => {
                    draining = true;
                    rx.close();
                    tracing::info!(pending = self.pending.load(Ordering::Acquire), "mail queue draining");
                }
                () = tokio::time::sleep_until(next_retry.unwrap_or_else(Instant::now)),
                    if next_retry.is_some() =>
                {
                    if let Some((_, job)) = self.retries.pop_first() {
                        self.attempt(job).await;
                    }
                }
                job = rx.recv(), if rx_open => match job {
                    Some(job) => self.attempt(job).await,
                    None => rx_open = false,
                },
            }
        }
        tracing::debug!("mail queue worker stopped");
    }

    async fn attempt(&mut self, mut job: Job) {
        job.attempts += 1;
        let max_attempts = self.config.max_attempts.max(1);
        match self.transport.deliver(&job.mail, &job.message).await {
            Ok(()) => {
                tracing::info!(
                    mail_id = job.id,
                    recipient_domain = recipient_domain(job.mail.to()),
                    attempt = job.attempts,
                    transport = self.transport.kind(),
                    "mail sent"
                );
                metrics::counter!("mail_sends_total", "outcome" => "sent").increment(1);
                self.pending.fetch_sub(1, Ordering::AcqRel);
            }
            Err(err) => {
                metrics::counter!("mail_sends_total", "outcome" => "failed").increment(1);
                let retry_in = (err.is_retryable() && job.attempts < max_attempts)
                    .then(|| self.config.backoff(job.attempts));
                log_send_failure(
                    job.id,
                    &job.mail,
                    job.attempts,
                    max_attempts,
                    &err,
                    retry_in,
                );
                match retry_in {
                    Some(delay) => {
                        self.retries.insert((Instant::now() + delay, job.id), job);
                    }
                    None => {
                        // Given up: the mail is lost (the user asks again).
                        metrics::counter!("mail_dropped_total").increment(1);
                        self.pending.fetch_sub(1, Ordering::AcqRel);
                    }
                }
            }
        }
    }
}
