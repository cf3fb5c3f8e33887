//! Test harness: a fresh, migrated-on-demand database per test on either engine.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (a server URL whose user may
//! create databases), else `postgres://postgres@127.0.0.1:5432/postgres`.
//! Each test gets its own database, dropped when the `TestDb` is.
pub mod issuer;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod port;
pub mod smtp;

pub use port::free_port;

use sqlx::{Connection, Executor, PgConnection};

use crate::db::Engine;

pub struct TestDb {
    pub engine: Engine,
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// Every `.rs` file under `dir`, depth first: for tests that hold a
/// crate's sources to a layering rule (which module may name which).
pub fn rust_sources(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            found.extend(rust_sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The files among the `.rs` sources under `root` (at least `at_least` of
/// them, so a moved folder cannot pass by holding nothing) that name one of
/// `needles`, as displayed paths. Whitespace is dropped before matching, so
/// `crate :: store` or a path split over lines is caught too; write the
/// needles without any.
pub fn files_naming(root: &std::path::Path, needles: &[&str], at_least: usize) -> Vec<String> {
    let files = rust_sources(root);
    assert!(
        files.len() >= at_least,
        "found {} files under {root:?}, expected at least {at_least}",
        files.len()
    );
    files
        .iter()
        .filter(|path| {
            let text: String = std::fs::read_to_string(path)
                .expect("readable source")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            needles.iter().any(|n| text.contains(n))
        })
        .map(|path| path.display().to_string())
        .collect()
}

/// The layering rule of every service: no file under `<manifest>/src/http`
/// (at least `at_least` of them) names the stores; handlers parse, call a
/// use case and render, and only use cases reach a store.
pub fn assert_http_names_no_store(manifest_dir: &str, at_least: usize) {
    // Spelt in halves so this file does not name what it looks for.
    let needles = [concat!("crate::", "store"), concat!("store", "::")];
    let root = std::path::Path::new(manifest_dir).join("src/http");
    let offenders = files_naming(&root, &needles, at_least);
    assert!(offenders.is_empty(), "a store is named in {offenders:?}");
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDb {
    pub async fn new(engine: Engine) -> Self {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory for SQLite");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Self {
                    engine,
                    url,
                    postgres: None,
                    _dir: Some(dir),
                }
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("ca_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL for tests is unreachable at {admin} ({e}); run scripts/test or set TEST_DATABASE_URL")
                });
                conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Self {
                    engine,
                    url: url.to_string(),
                    postgres: Some((admin, name)),
                    _dir: None,
                }
            }
        }
    }

    /// Drops the database under a running service (PostgreSQL only), to test
    /// what happens when it goes away.
    pub async fn drop_database(&self) {
        if let Some((admin, name)) = &self.postgres {
            drop_pg(admin, name).await;
        }
    }
}

async fn drop_pg(admin: &str, name: &str) {
    if let Ok(mut conn) = PgConnection::connect(admin).await {
        let _ = conn
            .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
            .await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop is synchronous and may run inside a runtime: use a thread of our own.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_pg(&admin, &name));
            }
        })
        .join();
    }
}

/// Runs one async test body on both engines: `both_engines!(name, body_fn);`
/// makes `name::postgres` and `name::sqlite`.
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:ident) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn postgres() {
                $body($crate::db::Engine::Postgres).await
            }

            #[tokio::test]
            async fn sqlite() {
                $body($crate::db::Engine::Sqlite).await
            }
        }
    };
}

/// `/healthz` answers 200 and `/readyz` answers `ready_status`, both with the
/// baseline headers.
pub async fn assert_probes(address: &str, ready_status: u16) {
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{address}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    assert_baseline_headers(health.headers());
    let ready = client
        .get(format!("{address}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), ready_status);
    assert_baseline_headers(ready.headers());
    if ready_status == 503 {
        assert_eq!(
            ready.headers()["content-type"],
            crate::problem::PROBLEM_JSON
        );
    }
}

/// An unknown route is a 404 problem+json.
pub async fn assert_baseline_404(address: &str) {
    let resp = reqwest::get(format!("{address}/no/such/route"))
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(resp.headers()["content-type"], crate::problem::PROBLEM_JSON);
    assert_baseline_headers(resp.headers());
}

/// `method` on the known `path` is not served: 405 problem+json whose
/// `Allow` names exactly `allowed` (in any order).
pub async fn assert_method_not_allowed(address: &str, method: &str, path: &str, allowed: &[&str]) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let resp = reqwest::Client::new()
        .request(method.clone(), format!("{address}{path}"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 405, "{method} {path}");
    assert_eq!(resp.headers()["content-type"], crate::problem::PROBLEM_JSON);
    assert_baseline_headers(resp.headers());
    let mut allow: Vec<String> = resp.headers()["allow"]
        .to_str()
        .expect("ascii")
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect();
    allow.sort();
    let mut expected: Vec<String> = allowed.iter().map(|m| (*m).to_owned()).collect();
    expected.sort();
    assert_eq!(allow, expected, "Allow of {path}");
    let body: serde_json::Value = resp.json().await.expect("problem body");
    assert_eq!(body["code"], "method-not-allowed");
}

/// The metrics listener at `metrics_addr` (`host:port`) serves a scrape
/// holding every one of `needles`, and the public listener at `address`
/// serves no `/metrics`.
pub async fn assert_metrics_served_apart(metrics_addr: &str, address: &str, needles: &[&str]) {
    let client = reqwest::Client::new();
    let scraped = client
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .expect("scraped");
    assert_eq!(scraped.status().as_u16(), 200);
    let text = scraped.text().await.expect("text");
    for needle in needles {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let public = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        public.status().as_u16(),
        404,
        "no metrics on the public listener"
    );
}

pub fn assert_baseline_headers(h: &reqwest::header::HeaderMap) {
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h["content-security-policy"]
        .to_str()
        .is_ok_and(|v| v.contains("frame-ancestors 'none'")));
    assert!(h.contains_key("x-request-id"));
}
