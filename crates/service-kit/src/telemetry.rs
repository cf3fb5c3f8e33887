//! Structured logs: JSON in production (one object per line, for the log
//! shipper), human-readable in development. Filter with `RUST_LOG`. Logs go
//! to stderr; stdout is left to what commands print for people.
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

/// Installs the global subscriber once; later calls are no-ops (tests call it repeatedly).
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .compact(),
            )
            .try_init(),
    };
}
