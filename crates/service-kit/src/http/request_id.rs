//! A request id on every request: taken from a well-formed incoming
//! `X-Request-Id` (so a proxy's id carries through) or freshly made, put in
//! the tracing span of everything the request logs, and echoed in the response.
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::telemetry::traces;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, readable from request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

pub async fn trace(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    // The path only: query strings may carry codes or tokens.
    let method = req.method().clone();
    let path = req.path().to_owned();
    // The span carries the id alone: every line the request logs can be
    // matched to it, and the method and path are on the finishing line.
    // Each field of a span is formatted when it opens, on every request; the
    // empty ones are the exported span's, recorded only when traces are
    // exported, once the answer is known.
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
    let exported = traces::enabled().then(|| span.clone());
    let started = Instant::now();
    let is_probe = matches!(path.as_str(), "/healthz" | "/readyz");
    // Handlers and extractors turn their errors into responses, and the inner
    // middleware never fails, so `?` only passes on actix's own rare errors.
    let mut res = next.call(req).instrument(span).await?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    let status = res.status().as_u16();
    if let Some(span) = exported {
        record_answer(&span, &method, &res, status);
    }
    let latency_ms = started.elapsed().as_millis() as u64;
    // One line per request, carrying its own fields rather than the span's:
    // formatting a span's fields again for every line costs more than the
    // rest of a cached request.
    if is_probe {
        // Probes arrive every few seconds from the orchestrator: keep them out of info.
        tracing::debug!(request_id = %id, method = %method, path = %path, status, latency_ms, "request finished");
    } else {
        tracing::info!(request_id = %id, method = %method, path = %path, status, latency_ms, "request finished");
    }
    Ok(res)
}

/// The exported span's HTTP attributes (OpenTelemetry's semantic
/// conventions): named `METHOD route-template`, the template rather than the
/// path, so spans group by route and no id or token in a path is exported.
fn record_answer(span: &Span, method: &Method, res: &ServiceResponse<BoxBody>, status: u16) {
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    span.record("otel.name", format!("{method} {route}"));
    span.record("otel.kind", "server");
    span.record("http.request.method", method.as_str());
    span.record("http.route", route);
    span.record("http.response.status_code", u64::from(status));
    if status >= 500 {
        span.record("otel.status_code", "error");
    }
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn incoming_ids_are_accepted_only_when_tame() {
        assert!(acceptable("3f0c7c8e-1a2b-4c3d-9e8f-0a1b2c3d4e5f"));
        assert!(!acceptable(""));
        assert!(!acceptable("has space"));
        assert!(!acceptable("line\nbreak"));
        assert!(!acceptable(&"a".repeat(65)));
    }
}
