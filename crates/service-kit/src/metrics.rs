//! Prometheus metrics: one recorder per process, installed only when a
//! service is given a metrics address, and served on that address alone
//! (never on the public listener). Without a recorder the `metrics` macros
//! record nothing.
//!
//! Every service's requests are counted by the HTTP baseline
//! ([`record_request`]): `http_requests_total{method, route, status}` and
//! `http_request_duration_seconds{method, route, status}`, where `route` is
//! the route's template (`/t/{slug}/token`), never the raw path, so the
//! number of series stays bounded (routes × methods × the few statuses each
//! route answers).
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, App, HttpResponse, HttpServer};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Request latency buckets, in seconds: 1 ms to 10 s.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed at the first call (`None` when another
/// recorder was installed first, which is logged).
pub fn recorder() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets(&LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Whether a recorder is installed (a metrics address was given): callers
/// on hot paths skip building labels nobody records.
pub fn enabled() -> bool {
    matches!(RECORDER.get(), Some(Some(_)))
}

/// Counts the request and its latency by route template and status.
pub async fn record_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // No recorder (no metrics address): nothing to count, nothing to build.
    if !enabled() {
        return next.call(req).await;
    }
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status.clone()
    )
    .increment(1);
    // The status too, so a slow error (a timed-out upstream answering 502)
    // is not averaged into the fast successes of the same route.
    metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "status" => status
    )
    .record(started.elapsed().as_secs_f64());
    Ok(res)
}

/// Serves `GET /metrics` (Prometheus text format) on `listener`; `sample`
/// runs before each scrape to set gauges read at that moment (pool sizes,
/// queue depths).
pub fn serve_metrics<S>(listener: TcpListener, sample: S) -> std::io::Result<Server>
where
    S: Fn() + Send + Sync + Clone + 'static,
{
    let handle = recorder().cloned();
    let server = HttpServer::new(move || {
        let handle = handle.clone();
        let sample = sample.clone();
        App::new().route(
            "/metrics",
            web::get().to(move || {
                let handle = handle.clone();
                let sample = sample.clone();
                async move {
                    sample();
                    match handle {
                        Some(h) => HttpResponse::Ok()
                            .insert_header((
                                header::CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8",
                            ))
                            .body(h.render()),
                        None => HttpResponse::ServiceUnavailable()
                            .body("metrics recorder not installed\n"),
                    }
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)?
    .disable_signals()
    .run();
    Ok(server)
}

/// Binds `addr` and serves the metrics there, with the database pool's
/// gauges (`db_pool_connections{state="open"|"idle"}`) and whatever `more`
/// sets sampled at each scrape. Returns the bound port and the server, which
/// the caller runs and stops with its service.
pub fn serve_with_pool<S>(
    addr: std::net::SocketAddr,
    pool: sqlx::AnyPool,
    more: S,
) -> std::io::Result<(u16, Server)>
where
    S: Fn() + Send + Sync + Clone + 'static,
{
    let listener = TcpListener::bind(addr)?;
    let port = listener.local_addr()?.port();
    let server = serve_metrics(listener, move || {
        let open = f64::from(pool.size());
        let idle = u32::try_from(pool.num_idle()).map_or(0.0, f64::from);
        metrics::gauge!("db_pool_connections", "state" => "open").set(open);
        metrics::gauge!("db_pool_connections", "state" => "idle").set(idle);
        more();
    })?;
    tracing::info!(%addr, port, "metrics served");
    Ok((port, server))
}

/// Runs `service` with the metrics server (if any) beside it, and stops the
/// metrics server once the service has stopped.
pub async fn run_beside<T>(
    metrics: Option<Server>,
    service: impl std::future::Future<Output = T>,
) -> T {
    let handle = metrics.map(|server| {
        let handle = server.handle();
        tokio::spawn(server);
        handle
    });
    let served = service.await;
    if let Some(handle) = handle {
        handle.stop(false).await;
    }
    served
}
