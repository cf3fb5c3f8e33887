use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use super::error::MailError;

/// One e-mail to send. The recipient is validated on construction.
///
/// `Debug` deliberately omits the subject and bodies (they carry single-use
/// tokens) and shows only the recipient's domain.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    to: Address,
    subject: String,
    text: String,
    html: Option<String>,
}

impl OutgoingMail {
    /// A plain-text mail. Fails with [`MailError::InvalidRecipient`] when `to`
    /// does not parse as an address (`user@domain`, no display name).
    pub fn new(
        to: &str,
        subject: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<Self, MailError> {
        let to: Address = to.trim().parse().map_err(MailError::InvalidRecipient)?;
        Ok(Self {
            to,
            subject: subject.into(),
            text: text.into(),
            html: None,
        })
    }

    /// Adds an HTML alternative; the mail becomes `multipart/alternative`.
    pub fn with_html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(html.into());
        self
    }

    pub fn to(&self) -> &Address {
        &self.to
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn html(&self) -> Option<&str> {
        self.html.as_deref()
    }

    /// Assembles the RFC 5322 message. Pure CPU work, no I/O.
    ///
    /// Bodies get lettre's automatic transfer encoding (7bit, quoted-printable
    /// or base64, whichever is valid and shortest).
    pub fn to_message(&self, from: &Mailbox) -> Result<Message, MailError> {
        let builder = Message::builder()
            .from(from.clone())
            .to(Mailbox::new(None, self.to.clone()))
            .subject(self.subject.as_str())
            .message_id(Some(new_message_id(from.email.domain())));
        let message = match &self.html {
            None => builder.singlepart(SinglePart::plain(self.text.clone()))?,
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                html.clone(),
            ))?,
        };
        Ok(message)
    }
}

impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("to_domain", &self.to.domain())
            .field("subject", &"<redacted>")
            .field("text_len", &self.text.len())
            .field("html_len", &self.html.as_ref().map(String::len))
            .finish()
    }
}

/// `<time.counter.pid@domain>` — unique, stable across retries of one message
/// (the message is built once at enqueue time).
fn new_message_id(domain: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("<{nanos:x}.{n:x}.{:x}@{domain}>", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_invalid_recipient() {
        let err = OutgoingMail::new("not an address", "s", "t").unwrap_err();
        assert!(matches!(err, MailError::InvalidRecipient(_)));
        assert!(OutgoingMail::new("Bob <bob@example.com>", "s", "t").is_err());
    }

    #[test]
    fn debug_redacts_contents() {
        let mail = OutgoingMail::new("bob@example.com", "secret-subject", "secret-token")
            .unwrap()
            .with_html("<b>secret-html</b>");
        let dbg = format!("{mail:?}");
        assert!(dbg.contains("example.com"));
        assert!(!dbg.contains("secret"));
        assert!(!dbg.contains("bob@"));
    }

    #[test]
    fn builds_message_with_unique_ids() {
        let from: Mailbox = "ConnectAuth <no-reply@auth.example>".parse().unwrap();
        let mail = OutgoingMail::new("bob@example.com", "Hi", "Body").unwrap();
        let a = String::from_utf8(mail.to_message(&from).unwrap().formatted()).unwrap();
        let b = String::from_utf8(mail.to_message(&from).unwrap().formatted()).unwrap();
        assert!(a.contains("Subject: Hi"));
        assert!(a.contains("@auth.example>"));
        let id = |s: &str| {
            s.lines()
                .find(|l| l.starts_with("Message-ID"))
                .map(str::to_owned)
        };
        assert_ne!(id(&a), id(&b));
    }
}
