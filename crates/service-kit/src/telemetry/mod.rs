//! Structured logs: JSON in production (one object per line, for the log
//! shipper), human-readable in development. Filter with `RUST_LOG`. Logs go
//! to stderr; stdout is left to what commands print for people.
mod batched_writer;
mod json_lines;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

pub use batched_writer::{BatchedGuard, BatchedWriter};
pub use json_lines::JsonLines;

use crate::config::{Env, RunMode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl LogFormat {
    /// `CONNECTAUTH_LOG_FORMAT` if set, else JSON in production and pretty in development.
    pub fn from_env(env: &Env, mode: RunMode) -> Self {
        match env.raw("CONNECTAUTH_LOG_FORMAT").map(str::trim) {
            Some("json") => LogFormat::Json,
            Some("pretty") | Some("text") => LogFormat::Pretty,
            _ if mode.is_production() => LogFormat::Json,
            _ => LogFormat::Pretty,
        }
    }
}

/// Keeps the JSON log writer running: lines still buffered are written
/// when it is dropped, so hold it until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<BatchedGuard>,
}

/// Installs the global subscriber once; later calls are no-ops (tests call it repeatedly).
///
/// JSON lines (production) are written in batches by a thread of their own
/// ([`BatchedWriter`]), so a request neither waits for a write nor wakes a
/// thread; when the writing falls behind, logging waits rather than dropping
/// lines. Each line is written straight from the event by [`JsonLines`].
pub fn init(format: LogFormat, default_filter: &str) -> LogGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => {
            match BatchedWriter::new(std::io::stderr()) {
                Ok((writer, guard)) => {
                    let installed = registry.with(JsonLines::new(writer)).try_init();
                    LogGuard {
                        _writer: installed.ok().map(|()| guard),
                    }
                }
                // No thread for the writer: write each line from its own thread.
                Err(_) => {
                    let _ = registry.with(JsonLines::new(std::io::stderr)).try_init();
                    LogGuard { _writer: None }
                }
            }
        }
        LogFormat::Pretty => {
            let _ = registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(std::io::stderr)
                        .compact(),
                )
                .try_init();
            LogGuard { _writer: None }
        }
    }
}
