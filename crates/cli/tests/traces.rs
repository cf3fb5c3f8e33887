//! Trace export: the real `connectauth serve auth`, configured with the
//! standard `OTEL_EXPORTER_OTLP_ENDPOINT`, sends its request spans over
//! OTLP/HTTP (protobuf) to a collector on a loopback port inside the test,
//! which decodes them as a real collector would. Each request span carries
//! the request id the server assigned (here the one the client sent), the
//! method, the route's template and the status; a graceful stop sends what
//! is still buffered; an endpoint that is not a URL stops the start. Billing
//! and the People API export theirs the same way.
mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::{parse_env, run, spawn, stderr, stdout, terminate};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use service_kit::db::Engine;
use service_kit::testing::TestDb;

/// A span as the collector received it.
#[derive(Debug, Clone)]
struct Received {
    service: Option<String>,
    name: String,
    kind: i32,
    attributes: BTreeMap<String, String>,
}

fn text(value: Option<&AnyValue>) -> String {
    match value {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, String> {
    list.iter()
        .map(|kv| {
            let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
            (kv.key.clone(), text(value))
        })
        .collect()
}

/// An OTLP/HTTP collector on a loopback port: `POST /v1/traces` with a
/// protobuf `ExportTraceServiceRequest`, answered as the protocol says.
struct Collector {
    port: u16,
    spans: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Collector {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("collector port");
        let port = listener.local_addr().expect("address").port();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&spans);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(Arc::clone(&kept)))
                .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                .route("/v1/traces", web::post().to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("collector listens")
        .disable_signals()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            port,
            spans,
            handle,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn spans(&self) -> Vec<Received> {
        self.spans.lock().expect("spans").clone()
    }

    /// The request span carrying `request_id`, polled for up to 20 s.
    async fn request_span(&self, request_id: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(span) = self.find(request_id) {
                return span;
            }
            assert!(
                Instant::now() < deadline,
                "no span with request_id {request_id}; received: {:#?}",
                self.spans()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn find(&self, request_id: &str) -> Option<Received> {
        self.spans()
            .into_iter()
            .find(|s| s.attributes.get("request_id").map(String::as_str) == Some(request_id))
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    spans: web::Data<Arc<Mutex<Vec<Received>>>>,
) -> HttpResponse {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type != "application/x-protobuf" {
        return HttpResponse::UnsupportedMediaType().finish();
    }
    let Ok(export) = ExportTraceServiceRequest::decode(body) else {
        return HttpResponse::BadRequest().finish();
    };
    let mut kept = spans.lock().expect("spans");
    for resource_spans in export.resource_spans {
        let resource = resource_spans
            .resource
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                kept.push(Received {
                    service: resource.get("service.name").cloned(),
                    name: span.name,
                    kind: span.kind,
                    attributes: attributes(&span.attributes),
                });
            }
        }
    }
    HttpResponse::Ok()
        .content_type("application/x-protobuf")
        .body(ExportTraceServiceResponse::default().encode_to_vec())
}

/// `connectauth serve SERVICE --migrate` in production mode with fresh
/// secrets, on a fresh SQLite database, with `extra` in its environment.
fn serve(
    service: &str,
    dir: &std::path::Path,
    db: &TestDb,
    port: u16,
    extra: &[(&str, &str)],
) -> Command {
    let generated = stdout(&run(
        dir,
        &["secrets", "generate", "--target", "systemd"],
        &[],
    ));
    let mut cmd = common::bin();
    cmd.current_dir(dir).args(["serve", service, "--migrate"]);
    for (k, v) in parse_env(&generated) {
        cmd.env(k, v);
    }
    let prefix = service.to_uppercase();
    cmd.env(format!("{prefix}_DATABASE_URL"), &db.url)
        .env(format!("{prefix}_BIND"), format!("127.0.0.1:{port}"));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// `serve SERVICE` with `extra`, started and ready (up to 60 s), and its
/// base URL. The port is picked free just before the start, so another test
/// may take it meanwhile: a server that could not bind is started again on
/// another; any other exit fails the test with the server's output.
async fn start(
    service: &str,
    dir: &std::path::Path,
    db: &TestDb,
    extra: &[(&str, &str)],
) -> (Child, String) {
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let port = common::free_port();
        let mut child = spawn(serve(service, dir, db, port, extra));
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("child status") {
                let out = child.wait_with_output().expect("output");
                let err = stderr(&out);
                assert!(
                    err.contains("in use"),
                    "the server exited ({status}): {err}"
                );
                break;
            }
            if let Ok(resp) = client.get(format!("{base}/readyz")).send().await {
                if resp.status().as_u16() == 200 {
                    return (child, base);
                }
            }
            assert!(Instant::now() < deadline, "{base}/readyz never answered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("no free port in three tries")
}

async fn get_with_id(url: &str, request_id: &str) -> u16 {
    let resp = reqwest::Client::new()
        .get(url)
        .header("x-request-id", request_id)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.headers()["x-request-id"], request_id);
    resp.status().as_u16()
}

#[tokio::test]
async fn request_spans_reach_the_collector_with_the_request_id() {
    let collector = Collector::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(Engine::Sqlite).await;
    let endpoint = collector.endpoint();
    let (child, base) = start(
        "auth",
        dir.path(),
        &db,
        // A short batch delay so the test need not wait the default 5 s.
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;

    let id = format!("otlp-{}", uuid::Uuid::new_v4());
    let status = get_with_id(&format!("{base}/manage/v1/tenants"), &id).await;
    assert_eq!(status, 401, "no operator token");
    let unknown = format!("otlp-{}", uuid::Uuid::new_v4());
    let unknown_status = get_with_id(
        &format!("{base}/t/no-such-tenant/.well-known/openid-configuration"),
        &unknown,
    )
    .await;

    let span = collector.request_span(&id).await;
    assert_eq!(span.service.as_deref(), Some("connectauth-auth"));
    assert_eq!(span.name, "GET /manage/v1/tenants");
    assert_eq!(span.kind, SpanKind::Server as i32);
    let attr = |k: &str| span.attributes.get(k).map(String::as_str);
    assert_eq!(attr("http.request.method"), Some("GET"));
    assert_eq!(attr("http.route"), Some("/manage/v1/tenants"));
    assert_eq!(attr("http.response.status_code"), Some("401"));

    // The route's template, never the path: no tenant slug in the span.
    let span = collector.request_span(&unknown).await;
    assert_eq!(
        span.attributes.get("http.route").map(String::as_str),
        Some("/t/{slug}/.well-known/openid-configuration")
    );
    assert_eq!(
        span.attributes.get("http.response.status_code"),
        Some(&unknown_status.to_string())
    );
    assert!(
        collector
            .spans()
            .iter()
            .all(|s| !format!("{s:?}").contains("no-such-tenant")),
        "{:#?}",
        collector.spans()
    );

    let out = terminate(child);
    assert!(out.status.success(), "{}", stderr(&out));
    collector.handle.stop(false).await;
}

#[tokio::test]
async fn a_graceful_stop_sends_the_spans_still_buffered() {
    let collector = Collector::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(Engine::Sqlite).await;
    let endpoint = collector.endpoint();
    let (child, base) = start(
        "auth",
        dir.path(),
        &db,
        // A batch delay no test waits for: only the stop's flush sends it.
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_SERVICE_NAME", "auth-under-test"),
            ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
        ],
    )
    .await;
    let id = format!("otlp-{}", uuid::Uuid::new_v4());
    assert_eq!(
        get_with_id(&format!("{base}/manage/v1/tenants"), &id).await,
        401
    );
    assert!(collector.find(&id).is_none(), "sent before the stop");

    let out = terminate(child);
    assert!(out.status.success(), "{}", stderr(&out));
    // The process has exited: what it flushed has arrived.
    let span = collector.find(&id).unwrap_or_else(|| {
        panic!(
            "the stop did not send the span; received {:#?}\n{}",
            collector.spans(),
            stderr(&out)
        )
    });
    assert_eq!(span.service.as_deref(), Some("auth-under-test"));
    assert_eq!(span.name, "GET /manage/v1/tenants");
    collector.handle.stop(false).await;
}

#[tokio::test]
async fn an_endpoint_that_is_not_a_url_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(Engine::Sqlite).await;
    let port = common::free_port();
    let mut cmd = serve(
        "auth",
        dir.path(),
        &db,
        port,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
            ("AUTH_ADMIN_TOKEN", "short"),
        ],
    );
    let out = cmd.output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("  - OTEL_EXPORTER_OTLP_ENDPOINT: `collector:4318` is not an http(s) URL"),
        "named with the other configuration problems: {err}"
    );
    assert!(
        err.contains("  - AUTH_ADMIN_TOKEN:"),
        "every problem at once: {err}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens"
    );
}

#[tokio::test]
async fn billing_and_the_people_api_export_their_spans_too() {
    let collector = Collector::start();
    let endpoint = collector.endpoint();
    for (service, name) in [
        ("billing", "connectauth-billing"),
        ("people", "connectauth-people"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = TestDb::new(Engine::Sqlite).await;
        let (child, base) = start(
            service,
            dir.path(),
            &db,
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ],
        )
        .await;
        let id = format!("otlp-{}", uuid::Uuid::new_v4());
        assert_eq!(get_with_id(&format!("{base}/healthz"), &id).await, 200);
        let span = collector.request_span(&id).await;
        assert_eq!(span.service.as_deref(), Some(name));
        assert_eq!(span.name, "GET /healthz");
        assert_eq!(
            span.attributes
                .get("http.response.status_code")
                .map(String::as_str),
            Some("200")
        );
        let out = terminate(child);
        assert!(out.status.success(), "{service}: {}", stderr(&out));
    }
    collector.handle.stop(false).await;
}
