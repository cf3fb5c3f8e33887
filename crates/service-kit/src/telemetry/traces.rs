//! Trace export over OTLP/HTTP (protobuf), on when an endpoint is configured
//! with the standard variables, off otherwise (no exporter, no thread, and
//! the request span records nothing more than the request id).
//!
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is the full URL of the traces
//! endpoint; else `OTEL_EXPORTER_OTLP_ENDPOINT` is the collector's base URL,
//! to which `/v1/traces` is appended (the OTLP exporter specification).
//! `OTEL_SERVICE_NAME` names the service (default: the service's own name).
//! Spans leave in batches from a thread of their own (`OTEL_BSP_*` tune it),
//! so a request never waits for the collector; what is still buffered at a
//! graceful stop is sent when the [`LogGuard`](super::LogGuard) is dropped.
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use opentelemetry_sdk::Resource;

use crate::config::Env;

/// Set once an exporter is installed: the request middleware records the
/// span's HTTP attributes only then.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported (an endpoint was configured and the exporter
/// installed).
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Where traces go and under which service name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSettings {
    /// The traces endpoint, `/v1/traces` included.
    pub endpoint: String,
    pub service_name: String,
}

impl TraceSettings {
    /// The settings `env` describes, `None` when no endpoint is set (export
    /// off). A value that is not an http(s) URL is an error, as any invalid
    /// setting is.
    pub fn from_env(env: &Env, default_service_name: &str) -> Result<Option<Self>, String> {
        let value = |key: &str| env.raw(key).map(str::trim).filter(|v| !v.is_empty());
        let endpoint = match (
            value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            value("OTEL_EXPORTER_OTLP_ENDPOINT"),
        ) {
            (Some(full), _) => checked_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", full)?,
            (None, Some(base)) => {
                let base = checked_url("OTEL_EXPORTER_OTLP_ENDPOINT", base)?;
                format!("{}/v1/traces", base.trim_end_matches('/'))
            }
            (None, None) => return Ok(None),
        };
        if let Some(protocol) = value("OTEL_EXPORTER_OTLP_PROTOCOL") {
            if protocol != "http/protobuf" {
                return Err(format!(
                    "OTEL_EXPORTER_OTLP_PROTOCOL: `{protocol}` is not supported, only http/protobuf"
                ));
            }
        }
        let service_name = value("OTEL_SERVICE_NAME")
            .unwrap_or(default_service_name)
            .to_owned();
        Ok(Some(Self {
            endpoint,
            service_name,
        }))
    }
}

fn checked_url(key: &str, value: &str) -> Result<String, String> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(value.to_owned())
        }
        Ok(_) => Err(format!("{key}: `{value}` is not an http(s) URL")),
        Err(e) => Err(format!("{key}: `{value}` is not a URL ({e})")),
    }
}

/// The exporter `env` configures, started; `None` when no endpoint is set.
pub fn from_env(env: &Env, default_service_name: &str) -> Result<Option<Traces>, String> {
    TraceSettings::from_env(env, default_service_name)?
        .map(|settings| Traces::start(&settings))
        .transpose()
}

/// An installed exporter: the provider whose batch processor sends the
/// spans, flushed and stopped by [`Traces::shutdown`].
pub struct Traces {
    provider: SdkTracerProvider,
}

impl std::fmt::Debug for Traces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Traces").finish_non_exhaustive()
    }
}

impl Traces {
    /// Builds the exporter and its batch processor (nothing is sent yet).
    pub fn start(settings: &TraceSettings) -> Result<Self, String> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(settings.endpoint.clone())
            .build()
            .map_err(|e| format!("OTLP trace exporter: {e}"))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name(settings.service_name.clone())
                    .build(),
            )
            .build();
        Ok(Self { provider })
    }

    /// The tracer the subscriber's OpenTelemetry layer writes to; marks
    /// export as on.
    pub(super) fn tracer(&self) -> Tracer {
        ENABLED.store(true, Ordering::Relaxed);
        self.provider.tracer("connectauth")
    }

    /// Sends what is buffered and stops the batch thread.
    pub fn shutdown(&self) {
        ENABLED.store(false, Ordering::Relaxed);
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "trace export did not flush");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Option<TraceSettings>, String> {
        TraceSettings::from_env(&Env::from_pairs(pairs.iter().copied()), "connectauth-auth")
    }

    #[test]
    fn no_endpoint_means_no_export() {
        assert_eq!(settings(&[]), Ok(None));
        assert_eq!(settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]), Ok(None));
        assert_eq!(settings(&[("OTEL_SERVICE_NAME", "x")]), Ok(None));
    }

    #[test]
    fn the_base_endpoint_gets_the_traces_path_and_the_service_its_name() {
        let s = settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")])
            .expect("valid")
            .expect("on");
        assert_eq!(s.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(s.service_name, "connectauth-auth");
        let s = settings(&[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://otel.example.com/prefix",
            ),
            ("OTEL_SERVICE_NAME", "auth-eu"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!(s.endpoint, "https://otel.example.com/prefix/v1/traces");
        assert_eq!(s.service_name, "auth-eu");
    }

    #[test]
    fn the_traces_endpoint_is_taken_as_it_is_and_wins() {
        let s = settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:4318/custom"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!(s.endpoint, "http://b:4318/custom");
    }

    #[test]
    fn bad_values_are_refused_with_their_name() {
        for (key, value) in [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url"),
        ] {
            let err = settings(&[(key, value)]).expect_err(value);
            assert!(err.starts_with(key), "{err}");
        }
        let err = settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .expect_err("grpc");
        assert!(err.contains("http/protobuf"), "{err}");
    }
}
