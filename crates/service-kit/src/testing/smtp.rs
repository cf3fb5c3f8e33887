//! [`TestSmtpServer`]: a small real SMTP server on `127.0.0.1:0` for tests.
//!
//! Speaks enough RFC 5321 for lettre's client: 220 greeting, EHLO/HELO
//! (advertising only `8BITMIME`; no STARTTLS, no AUTH), MAIL FROM, RCPT TO,
//! DATA (dot-unstuffing, `.` terminator), RSET, NOOP, VRFY, QUIT. Received
//! messages are parsed with `mail-parser`, so any transfer encoding lettre
//! picks (7bit, quoted-printable, base64) is decoded in
//! [`ReceivedMail::text`] / [`ReceivedMail::html`].

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use mail_parser::MessageParser;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

mod session;

/// One message accepted by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// Envelope sender (`MAIL FROM`), without angle brackets.
    pub mail_from: String,
    /// Envelope recipients (`RCPT TO`), without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The DATA payload after dot-unstuffing (CRLF line ends), lossily UTF-8.
    pub raw: String,
    /// Decoded `Subject` header.
    pub subject: Option<String>,
    /// Decoded first `text/plain` body part.
    pub text: Option<String>,
    /// Decoded first `text/html` body part (None for text-only mail).
    pub html: Option<String>,
}

impl ReceivedMail {
    fn parse(mail_from: String, rcpt_to: Vec<String>, data: &[u8]) -> Self {
        let parsed = MessageParser::default().parse(data);
        let part_text = |html: bool| {
            let parsed = parsed.as_ref()?;
            let part = if html {
                parsed.html_part(0)
            } else {
                parsed.text_part(0)
            }?;
            (part.is_text_html() == html)
                .then(|| part.text_contents().map(str::to_owned))
                .flatten()
        };
        Self {
            subject: parsed.as_ref().and_then(|m| m.subject()).map(str::to_owned),
            text: part_text(false),
            html: part_text(true),
            raw: String::from_utf8_lossy(data).into_owned(),
            mail_from,
            rcpt_to,
        }
    }

    /// Whether `addr` is among the envelope recipients (case-insensitive).
    pub fn is_for(&self, addr: &str) -> bool {
        self.rcpt_to
            .iter()
            .any(|r| r.eq_ignore_ascii_case(addr.trim()))
    }

    /// http(s) links in the text body, in order (simple whitespace split,
    /// surrounding `<>()"'` and trailing `.,;:!?` trimmed).
    pub fn links(&self) -> Vec<String> {
        let text = self.text.as_deref().unwrap_or_default();
        text.split_whitespace()
            .map(|w| w.trim_matches(|c| matches!(c, '<' | '>' | '(' | ')' | '"' | '\'')))
            .map(|w| w.trim_end_matches(['.', ',', ';', ':', '!', '?']))
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(str::to_owned)
            .collect()
    }
}

#[derive(Debug, Default)]
struct Store {
    /// Accepted mail, with a flag set once `wait_for` has handed it out.
    messages: Vec<(ReceivedMail, bool)>,
    /// Completed DATA transactions, failed ones included.
    deliveries: usize,
    fail_next: usize,
    fail_code: u16,
}

#[derive(Debug)]
struct State {
    store: Mutex<Store>,
    /// Bumped on every accepted message.
    changed: watch::Sender<u64>,
}

impl State {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// End of DATA: store the message or fail it per the knob. Returns the reply.
    fn finish_data(&self, mail_from: String, rcpt_to: Vec<String>, data: &[u8]) -> String {
        let mut store = self.store();
        store.deliveries += 1;
        if store.fail_next > 0 {
            store.fail_next -= 1;
            let code = store.fail_code;
            let enhanced = if code >= 500 { "5.3.0" } else { "4.3.0" };
            return format!("{code} {enhanced} Delivery failed (test knob)");
        }
        store
            .messages
            .push((ReceivedMail::parse(mail_from, rcpt_to, data), false));
        drop(store);
        self.changed.send_modify(|n| *n += 1);
        "250 2.0.0 OK: queued".to_owned()
    }
}

/// A running test SMTP server; stops (with its connections) on drop.
#[derive(Debug)]
pub struct TestSmtpServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl TestSmtpServer {
    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            store: Mutex::new(Store {
                fail_code: 451,
                ..Store::default()
            }),
            changed: watch::Sender::new(0),
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        Ok(Self { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:<port>` (plain, no auth), for lettre's `from_url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every accepted message so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.state
            .store()
            .messages
            .iter()
            .map(|(m, _)| m.clone())
            .collect()
    }

    /// Completed DATA transactions, including ones failed by the knob.
    pub fn delivery_attempts(&self) -> usize {
        self.state.store().deliveries
    }

    /// Answer the next `n` DATA transactions with `451` (transient) and drop them.
    pub fn fail_next(&self, n: usize) {
        self.fail_next_with(n, 451);
    }

    /// Like [`fail_next`](Self::fail_next) with any 4xx/5xx `code`
    /// (e.g. 550 for a permanent failure).
    pub fn fail_next_with(&self, n: usize, code: u16) {
        let mut store = self.state.store();
        store.fail_next = n;
        store.fail_code = code;
    }

    /// Waits up to `timeout` for a message to `to` that no earlier `wait_for`
    /// returned, and returns the oldest such one. Successive calls thus yield
    /// successive messages to the same recipient.
    pub async fn wait_for(&self, to: &str, timeout: Duration) -> Option<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.state.changed.subscribe();
        loop {
            changed.borrow_and_update();
            {
                let mut store = self.state.store();
                let found = store
                    .messages
                    .iter_mut()
                    .find(|(m, taken)| !*taken && m.is_for(to));
                if let Some((mail, taken)) = found {
                    *taken = true;
                    return Some(mail.clone());
                }
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }
}

impl Drop for TestSmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    // Dropping the set (when this task is aborted) aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(session::serve(stream, Arc::clone(&state)));
                }
                Err(e) => tracing::debug!(error = %e, "test smtp: accept failed"),
            },
            Some(_) = connections.join_next() => {}
        }
    }
}
