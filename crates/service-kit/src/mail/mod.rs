//! Outgoing mail: message model, transports, and the background send queue.
//!
//! The request path only ever calls [`MailQueue::enqueue`], which never awaits
//! network I/O. Delivery (with retries and exponential backoff) happens on a
//! background tokio task.
//!
//! Message bodies and subjects carry single-use tokens: nothing in this module
//! logs them, except the development-only [`FileTransport`], which logs the
//! links of the text body on purpose.

mod address;
mod config;
mod error;
mod files;
mod links;
mod message;
mod queue;
mod redact;
mod transport;

pub use address::{check_email, EmailError, EMAIL_MAX};
pub use config::{MailConfig, MailSettings, SmtpUrl, TransportConfig, DEFAULT_FROM};
pub use error::MailError;
pub use files::{FileDelivery, FileTransport};
pub use links::extract_links;
pub use message::OutgoingMail;
pub use queue::{MailQueue, QueueConfig};
pub use redact::{log_send_failure, recipient_domain};
pub use transport::MailTransport;
