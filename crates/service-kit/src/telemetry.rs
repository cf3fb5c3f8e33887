//! Structured logs: JSON in production (one object per line, for the log
//! shipper), human-readable in development. Filter with `RUST_LOG`. Logs go
//! to stderr; stdout is left to what commands print for people.
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

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
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber once; later calls are no-ops (tests call it repeatedly).
///
/// JSON lines (production) are written by a thread of their own, so a
/// request does not wait for the write; when that thread falls behind,
/// logging waits rather than dropping lines.
pub fn init(format: LogFormat, default_filter: &str) -> LogGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => {
            let (writer, guard) = NonBlockingBuilder::default()
                .lossy(false)
                .thread_name("log-writer")
                .finish(std::io::stderr());
            let installed = registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(writer)
                        .json()
                        .with_current_span(true)
                        .with_span_list(false),
                )
                .try_init();
            LogGuard {
                _writer: installed.ok().map(|()| guard),
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
