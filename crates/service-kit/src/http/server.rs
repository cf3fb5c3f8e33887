//! One way to run a service: the baseline middleware around the service's own
//! routes, on a listener the caller chose (port 0 in tests).
use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use sqlx::AnyPool;

use super::health::{self, Readiness};
use super::{body_limit, extract_errors, method_not_allowed, request_id, security_headers};
use crate::config::HttpSettings;

/// Binds the configured address.
pub fn bind(settings: &HttpSettings) -> std::io::Result<TcpListener> {
    TcpListener::bind(settings.bind)
}

/// A started server: its port, a handle to stop it gracefully, and the
/// metrics listener that runs and stops with it, when the service has one.
pub struct RunningServer {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
}

impl RunningServer {
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The port metrics are served on, when the service's
    /// `*_METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// This server with the metrics listener of
    /// [`crate::metrics::serve_with_pool`] beside it.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Option<(u16, Server)>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Serves until stopped; the metrics listener stops with it.
    pub async fn run(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| server);
        crate::metrics::run_beside(metrics, self.server).await
    }
}

/// Seconds in-flight requests get to finish after a stop is asked for.
pub const SHUTDOWN_GRACE_SECS: u64 = 30;

/// Serves `configure`'s routes plus `/healthz` and `/readyz` on `listener`.
///
/// Signals are not handled here: the caller owns shutdown (one signal stops
/// every service of `connectauth dev` together) and calls `handle().stop(true)`.
pub fn serve<F>(
    listener: TcpListener,
    settings: HttpSettings,
    pool: AnyPool,
    configure: F,
) -> std::io::Result<RunningServer>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let port = listener.local_addr()?.port();
    let limit = settings.body_limit;
    let settings = web::Data::new(settings);
    let readiness = web::Data::new(Readiness {
        pool,
        timeout: Duration::from_secs(2),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(settings.clone())
            .app_data(readiness.clone())
            .app_data(extract_errors::json_config(limit))
            .app_data(extract_errors::form_config(limit))
            .app_data(web::PayloadConfig::new(limit))
            .app_data(extract_errors::query_config())
            .app_data(extract_errors::path_config())
            // Last wrap runs first: metrics → request id → security headers
            // → body limit → 405 → routes.
            .wrap(from_fn(method_not_allowed::render))
            .wrap(from_fn(body_limit::enforce))
            .wrap(from_fn(security_headers::apply))
            .wrap(from_fn(request_id::trace))
            .wrap(from_fn(crate::metrics::record_request))
            .service(web::resource("/healthz").get(health::healthz))
            .service(web::resource("/readyz").get(health::readyz))
            .configure(configure.clone())
            .default_service(web::to(health::not_found))
    })
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .run();
    Ok(RunningServer {
        port,
        server,
        metrics: None,
    })
}
