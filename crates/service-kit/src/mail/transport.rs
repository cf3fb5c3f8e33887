use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::config::{SmtpUrl, TransportConfig};
use super::error::MailError;
use super::files::FileTransport;
use super::message::OutgoingMail;

/// How mail leaves the process.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Production SMTP (plain, STARTTLS or implicit TLS via native-tls).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development `.eml` files, see [`FileTransport`].
    Files(FileTransport),
}

impl MailTransport {
    pub fn from_config(config: &TransportConfig) -> Result<Self, MailError> {
        match config {
            TransportConfig::Smtp(url) => Self::smtp(url),
            TransportConfig::Files { dir } => Ok(Self::Files(FileTransport::new(dir.clone()))),
        }
    }

    /// SMTP transport from a URL (no connection is made here).
    pub fn smtp(url: &SmtpUrl) -> Result<Self, MailError> {
        if url.sends_credentials_in_clear() {
            tracing::warn!(smtp_url = %url, "SMTP credentials configured without TLS");
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())?.build();
        Ok(Self::Smtp(transport))
    }

    /// Short name for logs: `"smtp"` or `"files"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "smtp",
            Self::Files(_) => "files",
        }
    }

    /// Builds and sends one mail right now, awaiting the network.
    /// Request handlers should use [`super::MailQueue::enqueue`] instead.
    pub async fn send(&self, mail: &OutgoingMail, from: &Mailbox) -> Result<(), MailError> {
        let message = mail.to_message(from)?;
        self.deliver(mail, &message).await
    }

    /// Sends an already built `message` (`mail` is what it was built from).
    pub(crate) async fn deliver(
        &self,
        mail: &OutgoingMail,
        message: &Message,
    ) -> Result<(), MailError> {
        match self {
            Self::Smtp(smtp) => {
                smtp.send_raw(message.envelope(), &message.formatted())
                    .await?;
                Ok(())
            }
            Self::Files(files) => files.write(mail, message).await.map(drop),
        }
    }
}
