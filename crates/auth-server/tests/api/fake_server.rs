//! A loopback HTTP server for the tests' fakes (the AI analyst's chat
//! endpoint, the webhook receiver): every request goes to one handler with
//! the fake's shared state, and a test waits for what the fake received.
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

/// Serves `handler` on a free loopback port, `state` as its app data, with
/// `workers` workers; the port.
pub fn serve<S, F, Fut>(state: Arc<Mutex<S>>, workers: usize, handler: F) -> u16
where
    S: Send + 'static,
    F: Fn(HttpRequest, web::Bytes, web::Data<Arc<Mutex<S>>>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = HttpResponse> + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let shared = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .default_service(web::to(handler.clone()))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    port
}

/// Waits up to 10 s for `received` to hold `n` requests in all; what it
/// holds then.
pub async fn wait_for<R>(n: usize, received: impl Fn() -> Vec<R>) -> Vec<R> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = received();
        if got.len() >= n || tokio::time::Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
