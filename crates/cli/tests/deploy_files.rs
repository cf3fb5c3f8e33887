//! The shipped deployment files start as written: each one's environment is
//! rendered the way its tool renders it (systemd's `Environment=` and
//! `EnvironmentFile=`, compose's `${…}` interpolation of `--env-file`,
//! Kubernetes' `value`/`secretKeyRef` over a Secret made with
//! `kubectl create secret --from-env-file`), from the block
//! `connectauth secrets generate --target …` prints with only its
//! `*_PUBLIC_URL` lines edited. Then the real binary runs the file's
//! migration step and its three services in production mode on fresh
//! PostgreSQL databases, and each must answer its readiness probe.
//!
//! Substituted, and nothing else: the binds (free loopback ports), the
//! database URLs (the test databases), the billing URL's host and port
//! (billing's loopback port instead of the compose/Service name), and the
//! Redis URL's (the test machine's Redis, `TEST_REDIS_URL` or
//! 127.0.0.1:6379, instead of the compose/Service name `redis:6379`).
mod common;
#[path = "deploy_files/compose.rs"]
mod compose;
#[path = "deploy_files/kubernetes.rs"]
mod kubernetes;
#[path = "deploy_files/systemd.rs"]
mod systemd;

use std::collections::BTreeMap;
use std::process::Child;
use std::time::{Duration, Instant};

use common::{free_port, run, stderr, stdout, terminate};
use serde_yaml::Value;
use service_kit::db::Engine;
use service_kit::testing::TestDb;

type EnvMap = BTreeMap<String, String>;

const SERVICES: [&str; 3] = ["auth", "billing", "people"];

/// Where the deployment files' Redis is: the compose service and the
/// Kubernetes Service `redis`, port 6379.
const REDIS_HOST: &str = "redis:6379";

/// The test machine's Redis, as `host:port`.
fn local_redis() -> String {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// The databases, ports and public URLs of one test's three services.
struct Stack {
    dir: tempfile::TempDir,
    dbs: Vec<TestDb>,
    ports: Vec<u16>,
}

impl Stack {
    async fn new() -> Self {
        let mut dbs = Vec::new();
        for _ in SERVICES {
            dbs.push(TestDb::new(Engine::Postgres).await);
        }
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            dbs,
            ports: SERVICES.iter().map(|_| free_port()).collect(),
        }
    }

    fn port(&self, service: &str) -> u16 {
        self.ports[index(service)]
    }

    /// `secrets generate --target …` with its `*_PUBLIC_URL` lines edited,
    /// as the docs tell an operator to: https origins on loopback.
    fn generate(&self, target: &str) -> String {
        let out = run(
            self.dir.path(),
            &["secrets", "generate", "--target", target],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|line| {
                for service in SERVICES {
                    let key = format!("{}_PUBLIC_URL=", service.to_uppercase());
                    if line.starts_with(&key) {
                        return format!("{key}{}", self.public_url(service));
                    }
                }
                line.to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn public_url(&self, service: &str) -> String {
        format!("https://127.0.0.1:{}", self.port(service))
    }

    /// The substitutions every target gets (see the module comment).
    fn localize(&self, service: &str, env: &mut EnvMap) {
        for s in SERVICES {
            let prefix = s.to_uppercase();
            let db = format!("{prefix}_DATABASE_URL");
            if env.contains_key(&db) {
                env.insert(db, self.dbs[index(s)].url.clone());
            }
        }
        env.insert(
            format!("{}_BIND", service.to_uppercase()),
            format!("127.0.0.1:{}", self.port(service)),
        );
        if let Some(url) = env.get_mut("AUTH_BILLING_URL") {
            let billing = format!("127.0.0.1:{}", self.port("billing"));
            for internal in ["billing:8081", "127.0.0.1:8081"] {
                *url = url.replace(internal, &billing);
            }
        }
        if let Some(url) = env.get_mut("REDIS_URL") {
            *url = url.replace(REDIS_HOST, &local_redis());
        }
    }

    /// Runs a one-shot step (migrations) to success.
    fn run_step(&self, args: &[String], env: &EnvMap) {
        let mut cmd = common::bin();
        cmd.current_dir(self.dir.path()).args(args).envs(env);
        let out = cmd.output().expect("connectauth runs");
        assert!(out.status.success(), "{args:?} failed:\n{}", stderr(&out));
    }

    /// Starts every service with its rendered environment, waits for each
    /// one's readiness path, and stops them; the logs must show a clean
    /// start (no error, no unknown variable, metering on).
    async fn start_all(&self, services: Vec<Rendered>) {
        let auth = services
            .iter()
            .find(|r| r.service == "auth")
            .expect("auth rendered");
        assert_eq!(
            auth.env.get("AUTH_BILLING_URL").map(String::as_str),
            Some(format!("http://127.0.0.1:{}", self.port("billing")).as_str()),
            "the auth server meters through billing"
        );
        // A Redis URL the substitution missed would name a host that does
        // not resolve here, and the limits would quietly stay per process.
        if let Some(url) = auth.env.get("REDIS_URL") {
            assert_eq!(
                url,
                &format!("redis://{}", local_redis()),
                "the auth server shares its rate limits through the Redis of the file"
            );
        }
        for r in &services {
            for (key, value) in &r.env {
                assert!(
                    !value.contains("example.com/t/"),
                    "{}: {key} still names the default auth host: {value}",
                    r.service
                );
            }
        }
        let mut running = Vec::new();
        for r in services {
            let mut cmd = common::bin();
            cmd.current_dir(self.dir.path()).args(&r.args).envs(&r.env);
            let child = common::spawn(cmd);
            running.push((r, child));
        }
        for (r, child) in &mut running {
            let url = format!("http://127.0.0.1:{}{}", self.port(&r.service), r.ready_path);
            wait_ready(child, &url, &r.service).await;
        }
        for (r, child) in running {
            let out = terminate(child);
            let logs = stderr(&out);
            assert!(
                out.status.success(),
                "{}: exit on SIGTERM:\n{logs}",
                r.service
            );
            for bad in [
                "\"level\":\"ERROR\"",
                "unknown configuration variable",
                "usage is not metered",
            ] {
                assert!(
                    !logs.contains(bad),
                    "{}: `{bad}` in the logs:\n{logs}",
                    r.service
                );
            }
        }
    }
}

/// One service as a deployment file runs it.
struct Rendered {
    service: String,
    args: Vec<String>,
    env: EnvMap,
    ready_path: String,
}

fn index(service: &str) -> usize {
    SERVICES
        .iter()
        .position(|s| *s == service)
        .expect("a service")
}

/// Polls `url` until it answers 200; fails at once, with the logs, if the
/// process exits, and after 60 s otherwise.
async fn wait_ready(child: &mut Child, url: &str, service: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(resp) = client.get(url).send().await {
            if resp.status().as_u16() == 200 {
                return;
            }
        }
        if let Some(status) = child.try_wait().expect("child status") {
            let mut logs = String::new();
            if let Some(mut err) = child.stderr.take() {
                use std::io::Read;
                err.read_to_string(&mut logs).expect("stderr");
            }
            panic!("{service} exited ({status}) before {url} answered:\n{logs}");
        }
        assert!(
            Instant::now() < deadline,
            "{service}: {url} never answered 200"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A YAML scalar (string, number or boolean) as text.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}
