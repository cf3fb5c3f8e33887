//! The log of one request: its span (carrying the request id) and the line
//! that ends it, as `http::request_id` writes them, into a sink that keeps
//! nothing. Production's [`JsonLines`] layer against `tracing-subscriber`'s
//! JSON formatter with the current span (what production used before), both
//! in the same run; `off` is the span and event with no layer writing lines.
//! `json_lines_trace_fields` is the span as it is declared since trace
//! export exists (its empty fields unrecorded: export off), and
//! `json_lines_otel` the same with OpenTelemetry's layer and the fields
//! recorded (export on, spans built and handed to a provider that sends
//! nowhere).
//!
//! `cargo bench -p service-kit --bench request_log`
use criterion::{criterion_group, criterion_main, Criterion};
use service_kit::telemetry::JsonLines;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

fn one_request() {
    let id = "3f0c7c8e-1a2b-4c3d-9e8f-0a1b2c3d4e5f";
    let span = tracing::info_span!("request", request_id = %id);
    let _entered = span.enter();
    let (method, path, status, latency_ms) =
        ("POST", "/t/connect-people/oauth2/token", 200u16, 1u64);
    tracing::info!(request_id = %id, method = %method, path = %path, status, latency_ms, "request finished");
}

/// [`one_request`] with the span `http::request_id` declares since trace
/// export exists; `exported` records its fields as the middleware does when
/// export is on.
fn one_request_traced(exported: bool) {
    use tracing::field::Empty;
    let id = "3f0c7c8e-1a2b-4c3d-9e8f-0a1b2c3d4e5f";
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        otel.name = Empty,
        otel.kind = Empty,
        otel.status_code = Empty,
        http.request.method = Empty,
        http.route = Empty,
        http.response.status_code = Empty,
    );
    let (method, path, status, latency_ms) =
        ("POST", "/t/connect-people/oauth2/token", 200u16, 1u64);
    {
        let _entered = span.enter();
    }
    if exported {
        let route = "/t/{slug}/oauth2/token";
        span.record("otel.name", format!("{method} {route}"));
        span.record("otel.kind", "server");
        span.record("http.request.method", method);
        span.record("http.route", route);
        span.record("http.response.status_code", u64::from(status));
    }
    tracing::info!(request_id = %id, method = %method, path = %path, status, latency_ms, "request finished");
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("request_log");
    let dispatchers = [
        (
            "json_lines",
            Dispatch::new(tracing_subscriber::registry().with(JsonLines::new(std::io::sink))),
        ),
        (
            "fmt_json_current_span",
            Dispatch::new(
                tracing_subscriber::registry().with(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .with_current_span(true)
                        .with_span_list(false)
                        .with_writer(std::io::sink),
                ),
            ),
        ),
        ("off", Dispatch::new(tracing_subscriber::registry())),
    ];
    for (name, dispatch) in dispatchers {
        tracing::dispatcher::with_default(&dispatch, || {
            group.bench_function(name, |b| b.iter(one_request));
        });
    }
    let plain = Dispatch::new(tracing_subscriber::registry().with(JsonLines::new(std::io::sink)));
    tracing::dispatcher::with_default(&plain, || {
        group.bench_function("json_lines_trace_fields", |b| {
            b.iter(|| one_request_traced(false))
        });
    });
    // A provider with no exporter: spans are built and ended, sent nowhere.
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let otel = Dispatch::new(
        tracing_subscriber::registry()
            .with(JsonLines::new(std::io::sink))
            .with(
                tracing_opentelemetry::layer()
                    .with_tracer(opentelemetry::trace::TracerProvider::tracer(
                        &provider, "bench",
                    ))
                    .with_context_activation(false)
                    .with_tracked_inactivity(false),
            ),
    );
    tracing::dispatcher::with_default(&otel, || {
        group.bench_function("json_lines_otel", |b| b.iter(|| one_request_traced(true)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
