use std::time::Duration;

use lettre::address::AddressError;

/// Everything that can go wrong in the mail module.
///
/// No variant carries a message subject or body.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The recipient is not a valid e-mail address.
    #[error("invalid recipient address: {0}")]
    InvalidRecipient(#[source] AddressError),

    /// Configuration is missing or malformed (`SMTP_URL`, `MAIL_FROM`, `MAIL_DIR`).
    #[error("mail configuration error: {0}")]
    Config(String),

    /// The message could not be assembled.
    #[error("could not build message: {0}")]
    Build(#[from] lettre::error::Error),

    /// The SMTP exchange failed.
    #[error("smtp error: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),

    /// Writing an `.eml` file failed (development transport).
    #[error("mail file i/o error: {0}")]
    Io(#[from] std::io::Error),

    /// The queue is at capacity; the mail was not accepted.
    #[error("mail queue is full")]
    QueueFull,

    /// The queue is shutting down or its worker has stopped.
    #[error("mail queue is closed")]
    QueueClosed,

    /// `shutdown` gave up before the queue was drained.
    #[error("mail queue shutdown timed out after {waited:?} with {pending} mail(s) undelivered")]
    ShutdownTimedOut { waited: Duration, pending: usize },
}

impl MailError {
    /// Whether trying the same send again later may succeed.
    ///
    /// Permanent SMTP rejections (5xx) and malformed input are not retried;
    /// connection problems, timeouts, 4xx replies and I/O errors are.
    pub fn is_retryable(&self) -> bool {
        match self {
            MailError::Smtp(e) => !e.is_permanent(),
            MailError::Io(_) => true,
            _ => false,
        }
    }
}
