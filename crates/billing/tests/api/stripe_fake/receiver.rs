//! A tiny webhook endpoint for tests: records every delivery and answers
//! 200 when `billing::stripe::webhook::verify_signature` accepts it under
//! its secrets, 400 otherwise.
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use billing::stripe::webhook::verify_signature;
use service_kit::secret::Secret;

#[derive(Debug, Clone)]
pub struct Delivery {
    pub signature: Option<String>,
    pub body: Vec<u8>,
    pub accepted: bool,
}

struct Inner {
    secrets: Vec<Secret>,
    deliveries: Mutex<Vec<Delivery>>,
}

pub struct WebhookReceiver {
    url: String,
    inner: Arc<Inner>,
    server: actix_web::dev::ServerHandle,
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let server = self.server.clone();
            runtime.spawn(async move { server.stop(false).await });
        }
    }
}

impl WebhookReceiver {
    pub async fn start(secrets: &[&str]) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/webhooks/stripe",
            listener.local_addr().expect("addr")
        );
        let inner = Arc::new(Inner {
            secrets: secrets.iter().map(|s| Secret::new(*s)).collect(),
            deliveries: Mutex::new(Vec::new()),
        });
        let data = web::Data::from(inner.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            inner,
            server: handle,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries.lock().expect("lock").clone()
    }

    /// Waits up to `secs` for at least `n` deliveries.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Delivery> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= n || std::time::Instant::now() > deadline {
                return deliveries;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

async fn receive(request: HttpRequest, body: web::Bytes, inner: web::Data<Inner>) -> HttpResponse {
    let signature = request
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let accepted = verify_signature(
        &body,
        signature.as_deref().unwrap_or(""),
        &inner.secrets,
        now,
        300,
    )
    .is_ok();
    inner.deliveries.lock().expect("lock").push(Delivery {
        signature,
        body: body.to_vec(),
        accepted,
    });
    if accepted {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::BadRequest().finish()
    }
}
