//! Structured logs: JSON in production (one object per line, for the log
//! shipper), human-readable in development. Filter with `RUST_LOG`. Logs go
//! to stderr; stdout is left to what commands print for people. Spans are
//! also exported over OTLP when an endpoint is configured ([`traces`]).
mod batched_writer;
mod json_lines;
pub mod traces;

use tracing::Subscriber;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

pub use batched_writer::{BatchedGuard, BatchedWriter};
pub use json_lines::JsonLines;
pub use traces::{TraceSettings, Traces};

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

/// Keeps the JSON log writer and the trace exporter running: lines still
/// buffered are written, and spans still buffered are sent, when it is
/// dropped, so hold it until the process ends.
#[must_use = "dropping the guard stops the log writer and the trace export"]
pub struct LogGuard {
    traces: Option<Traces>,
    _writer: Option<BatchedGuard>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        // Before the writer stops, so a failed flush is still logged.
        if let Some(traces) = self.traces.take() {
            traces.shutdown();
        }
    }
}

/// Installs the global subscriber once; later calls are no-ops (tests call it repeatedly).
///
/// JSON lines (production) are written in batches by a thread of their own
/// ([`BatchedWriter`]), so a request neither waits for a write nor wakes a
/// thread; when the writing falls behind, logging waits rather than dropping
/// lines. Each line is written straight from the event by [`JsonLines`].
pub fn init(format: LogFormat, default_filter: &str) -> LogGuard {
    init_with_traces(format, default_filter, None)
}

/// [`init`], and spans exported by `traces` (which the guard flushes and
/// stops when dropped). The filter applies to both: what is not logged is
/// not exported either.
pub fn init_with_traces(
    format: LogFormat,
    default_filter: &str,
    traces: Option<Traces>,
) -> LogGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => {
            match BatchedWriter::new(std::io::stderr()) {
                Ok((writer, guard)) => {
                    let installed = registry
                        .with(JsonLines::new(writer))
                        .with(otel_layer(traces.as_ref()))
                        .try_init();
                    guard_for(installed.is_ok(), traces, Some(guard))
                }
                // No thread for the writer: write each line from its own thread.
                Err(_) => {
                    let installed = registry
                        .with(JsonLines::new(std::io::stderr))
                        .with(otel_layer(traces.as_ref()))
                        .try_init();
                    guard_for(installed.is_ok(), traces, None)
                }
            }
        }
        LogFormat::Pretty => {
            let installed = registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(std::io::stderr)
                        .compact(),
                )
                .with(otel_layer(traces.as_ref()))
                .try_init();
            guard_for(installed.is_ok(), traces, None)
        }
    }
}

/// The guard of what was installed; when another subscriber was there first
/// (tests), nothing of this call's is kept and its exporter is stopped.
fn guard_for(installed: bool, traces: Option<Traces>, writer: Option<BatchedGuard>) -> LogGuard {
    if installed {
        return LogGuard {
            traces,
            _writer: writer,
        };
    }
    if let Some(traces) = traces {
        traces.shutdown();
    }
    LogGuard {
        traces: None,
        _writer: None,
    }
}

/// The layer turning spans into OpenTelemetry spans, when export is on.
fn otel_layer<S>(
    traces: Option<&Traces>,
) -> Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    // Without context activation a span is built when it closes, so what
    // the request middleware records once the answer is known (name, route,
    // status) is all there; nothing here reads OpenTelemetry's own context.
    traces.map(|t| {
        tracing_opentelemetry::layer()
            .with_tracer(t.tracer())
            .with_context_activation(false)
            .with_tracked_inactivity(false)
    })
}
