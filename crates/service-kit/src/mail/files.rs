use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::Message;
use tokio::io::AsyncWriteExt;

use super::error::MailError;
use super::links::extract_links;
use super::message::OutgoingMail;

/// Development transport: each message becomes an `.eml` file in `dir`
/// (created on demand), and the file path plus every http(s) link of the text
/// body is logged at `info` so verification links show up on the console.
///
/// Never use it in production: it writes and logs single-use tokens.
#[derive(Debug, Clone)]
pub struct FileTransport {
    dir: PathBuf,
}

/// What [`FileTransport::write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDelivery {
    pub path: PathBuf,
    pub links: Vec<String>,
}

impl FileTransport {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `message` (built from `mail`) to a new `.eml` file and logs it.
    pub async fn write(
        &self,
        mail: &OutgoingMail,
        message: &Message,
    ) -> Result<FileDelivery, MailError> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let path = self.dir.join(file_name());
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        file.write_all(&message.formatted()).await?;
        file.flush().await?;

        let links = extract_links(mail.text());
        tracing::info!(
            path = %path.display(),
            to = %mail.to(),
            links = links.len(),
            "mail written to file (development transport)"
        );
        for link in &links {
            tracing::info!(%link, "mail link (development transport)");
        }
        Ok(FileDelivery { path, links })
    }
}

/// `<unix-millis>-<pid>-<counter>.eml`: sorts by time, unique per process.
fn file_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{millis:013}-{}-{n:04}.eml", std::process::id())
}
