use std::time::Duration;

use lettre::Address;

use super::error::MailError;
use super::message::OutgoingMail;

/// The part of an address after `@` — the only recipient detail that send
/// logs carry.
pub fn recipient_domain(addr: &Address) -> &str {
    addr.domain()
}

/// Logs a failed delivery attempt: mail id, recipient *domain*, attempt
/// counters and the error. Never the subject, body or full address.
///
/// `retry_in = Some(_)` logs at `warn` (another attempt is scheduled);
/// `None` logs at `error` (the mail is dropped).
pub fn log_send_failure(
    mail_id: u64,
    mail: &OutgoingMail,
    attempt: u32,
    max_attempts: u32,
    error: &MailError,
    retry_in: Option<Duration>,
) {
    let domain = recipient_domain(mail.to());
    match retry_in {
        Some(delay) => tracing::warn!(
            mail_id,
            recipient_domain = domain,
            attempt,
            max_attempts,
            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error = %error,
            "mail send failed, will retry"
        ),
        None => tracing::error!(
            mail_id,
            recipient_domain = domain,
            attempt,
            max_attempts,
            retryable = error.is_retryable(),
            error = %error,
            "mail send failed permanently, dropping mail"
        ),
    }
}
