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

use std::collections::BTreeMap;
use std::process::Child;
use std::time::{Duration, Instant};

use common::{free_port, parse_env, repo_file, run, stderr, stdout, terminate};
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

// ---- systemd -------------------------------------------------------------

/// A unit's `Environment=` pairs, `EnvironmentFile=` path and `ExecStart=`
/// arguments (without the binary).
struct Unit {
    environment: EnvMap,
    environment_file: String,
    args: Vec<String>,
}

fn unit(name: &str) -> Unit {
    let text = repo_file(&format!("deploy/systemd/{name}"));
    let mut environment = EnvMap::new();
    let mut environment_file = None;
    let mut exec = None;
    for line in text.lines().map(str::trim) {
        if let Some(pairs) = line.strip_prefix("Environment=") {
            for pair in pairs.split_whitespace() {
                let (k, v) = pair.split_once('=').expect("KEY=value");
                environment.insert(k.to_owned(), v.to_owned());
            }
        } else if let Some(path) = line.strip_prefix("EnvironmentFile=") {
            environment_file = Some(path.trim_start_matches('-').to_owned());
        } else if let Some(cmd) = line.strip_prefix("ExecStart=") {
            exec = Some(cmd.to_owned());
        }
    }
    let exec = exec.expect("ExecStart");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/connectauth"));
    Unit {
        environment,
        environment_file: environment_file.expect("EnvironmentFile"),
        args: words.map(str::to_owned).collect(),
    }
}

#[tokio::test]
async fn the_systemd_units_start_with_the_generated_environment_file() {
    let stack = Stack::new().await;
    // systemd removes the quotes of an EnvironmentFile's values.
    let generated = stack.generate("systemd");
    let file: EnvMap = parse_env(&generated).into_iter().collect();
    // One host needs no Redis: the block only shows the line, commented.
    assert!(!file.contains_key("REDIS_URL"));
    assert!(
        generated.lines().any(|l| l
            .trim_start_matches(['#', ' '])
            .starts_with("REDIS_URL=redis://127.0.0.1:")),
        "the systemd block documents REDIS_URL on loopback"
    );
    let render = |name: &str, service: &str| {
        let u = unit(name);
        assert_eq!(u.environment_file, "/etc/connectauth/connectauth.env");
        // The file's settings override the unit's Environment=.
        let mut env = u.environment;
        env.extend(file.clone());
        stack.localize(service, &mut env);
        (u.args, env)
    };
    let (args, env) = render("connectauth-migrate.service", "auth");
    assert_eq!(args, ["migrate"]);
    stack.run_step(&args, &env);
    let services = SERVICES
        .iter()
        .map(|service| {
            let (args, env) = render(&format!("connectauth-{service}.service"), service);
            assert_eq!(args, ["serve", *service]);
            Rendered {
                service: (*service).to_owned(),
                args,
                env,
                ready_path: "/readyz".to_owned(),
            }
        })
        .collect();
    stack.start_all(services).await;
}

// ---- docker compose ------------------------------------------------------

/// Compose's variable interpolation: `${NAME}`, `${NAME:-default}`,
/// `${NAME-default}`, `${NAME:?error}`, `${NAME?error}` and `$$`.
fn interpolate(text: &str, vars: &EnvMap) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let inner = rest.strip_prefix('{').expect("only ${…} is used");
        let end = inner.find('}').expect("closing brace");
        let expr = &inner[..end];
        rest = &inner[end + 1..];
        let name_end = expr
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(expr.len());
        let (name, op) = expr.split_at(name_end);
        let value = vars.get(name);
        let empty_unset = op.starts_with(':');
        let missing = value.is_none() || (empty_unset && value.is_some_and(String::is_empty));
        let op = op.trim_start_matches(':');
        match (op.chars().next(), missing) {
            (None, _) => out.push_str(value.map(String::as_str).unwrap_or("")),
            (Some('-'), true) => out.push_str(&op[1..]),
            (Some('?'), true) => panic!("compose refuses to start: {name}: {}", &op[1..]),
            (Some('-' | '?'), false) => out.push_str(value.map(String::as_str).unwrap_or("")),
            (Some(other), _) => panic!("unsupported interpolation `{other}` in {expr}"),
        }
    }
    out.push_str(rest);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

#[tokio::test]
async fn the_compose_services_start_with_the_generated_env_file() {
    let stack = Stack::new().await;
    // `docker compose --env-file` removes quotes, like systemd.
    let vars: EnvMap = parse_env(&stack.generate("compose")).into_iter().collect();
    let mut compose: Value =
        serde_yaml::from_str(&repo_file("docker-compose.yml")).expect("valid YAML");
    compose.apply_merge().expect("merge keys");
    let services = SERVICES
        .iter()
        .map(|service| {
            let s = &compose["services"][*service];
            let args: Vec<String> = s["command"]
                .as_sequence()
                .expect("command")
                .iter()
                .map(scalar)
                .collect();
            assert_eq!(args, ["serve", service, "--migrate"]);
            let mut env: EnvMap = s["environment"]
                .as_mapping()
                .expect("environment")
                .iter()
                .map(|(k, v)| (scalar(k), interpolate(&scalar(v), &vars)))
                .collect();
            if *service == "auth" {
                assert_compose_redis(&compose, &env);
            }
            stack.localize(service, &mut env);
            Rendered {
                service: (*service).to_owned(),
                args,
                env,
                ready_path: "/readyz".to_owned(),
            }
        })
        .collect();
    stack.start_all(services).await;
}

/// The auth service's `REDIS_URL` names the compose service `redis`, which
/// runs the official image at a pinned tag, has a healthcheck, keeps
/// nothing on disk and is published on no host port.
fn assert_compose_redis(compose: &Value, auth_env: &EnvMap) {
    let url = auth_env.get("REDIS_URL").expect("auth has REDIS_URL");
    let host = url
        .strip_prefix("redis://")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("REDIS_URL={url}"));
    assert_eq!(url, &format!("redis://{REDIS_HOST}"));
    let redis = &compose["services"][host];
    assert!(
        redis.is_mapping(),
        "REDIS_URL names service `{host}`, not defined"
    );
    let image = scalar(&redis["image"]);
    let tag = image.strip_prefix("redis:").expect("the official image");
    assert!(
        tag.starts_with(|c: char| c.is_ascii_digit()),
        "pinned tag: {image}"
    );
    assert!(
        redis["ports"].is_null(),
        "Redis is not published on the host"
    );
    assert!(!redis["healthcheck"]["test"].is_null(), "a healthcheck");
    let command: Vec<String> = redis["command"]
        .as_sequence()
        .expect("command")
        .iter()
        .map(scalar)
        .collect();
    assert!(
        command.windows(2).any(|w| w == ["--save", ""]),
        "no snapshots: {command:?}"
    );
    assert!(
        !compose["services"]["auth"]["depends_on"][host].is_null(),
        "auth starts after Redis"
    );
}

// ---- Kubernetes ----------------------------------------------------------

/// `kubectl create secret generic --from-env-file`: `KEY=value` lines,
/// comments and blank lines skipped, the value kept as written (quotes too).
fn kubectl_secret(text: &str) -> EnvMap {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// The one container of the first document (Deployment or Job) of `file`.
fn container(file: &str) -> Value {
    let text = repo_file(&format!("deploy/kubernetes/{file}"));
    let first = text.split("\n---").next().expect("a document");
    let doc: Value = serde_yaml::from_str(first).expect("valid YAML");
    let containers = doc["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .expect("containers");
    assert_eq!(containers.len(), 1, "{file}");
    containers[0].clone()
}

/// The container's environment as the kubelet builds it: a missing Secret
/// key that is not `optional` stops the pod (CreateContainerConfigError).
fn pod_env(file: &str, c: &Value, secret: &EnvMap) -> EnvMap {
    let mut env = EnvMap::new();
    for entry in c["env"].as_sequence().expect("env") {
        let name = scalar(&entry["name"]);
        if let Some(value) = entry.get("value") {
            env.insert(name, scalar(value));
            continue;
        }
        let key_ref = &entry["valueFrom"]["secretKeyRef"];
        assert_eq!(
            key_ref["name"],
            Value::from("connectauth"),
            "{file}: {name}"
        );
        let key = scalar(&key_ref["key"]);
        let optional = key_ref["optional"].as_bool().unwrap_or(false);
        match secret.get(&key) {
            Some(v) => {
                env.insert(name, v.clone());
            }
            None => assert!(
                optional,
                "{file}: {name} needs Secret key {key}, which the generated block lacks"
            ),
        }
    }
    env
}

#[tokio::test]
async fn the_kubernetes_manifests_start_with_the_generated_secret() {
    let stack = Stack::new().await;
    let secret = kubectl_secret(&stack.generate("kubernetes"));
    let job = container("migrate-job.yaml");
    let mut env = pod_env("migrate-job.yaml", &job, &secret);
    stack.localize("auth", &mut env);
    let args: Vec<String> = job["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(scalar)
        .collect();
    assert_eq!(args, ["migrate"]);
    stack.run_step(&args, &env);
    let services = SERVICES
        .iter()
        .map(|service| {
            let file = format!("{service}.yaml");
            let c = container(&file);
            let args: Vec<String> = c["args"]
                .as_sequence()
                .expect("args")
                .iter()
                .map(scalar)
                .collect();
            assert_eq!(args, ["serve", service], "{file}");
            let mut env = pod_env(&file, &c, &secret);
            // The bind's port is the container port the probes use.
            let port = c["ports"][0]["containerPort"].as_u64().expect("port");
            let bind_key = format!("{}_BIND", service.to_uppercase());
            assert_eq!(
                env.get(&bind_key),
                Some(&format!("0.0.0.0:{port}")),
                "{file}"
            );
            assert_eq!(c["readinessProbe"]["httpGet"]["port"], Value::from("http"));
            if *service == "auth" {
                assert_eq!(
                    env.get("REDIS_URL"),
                    Some(&format!("redis://{REDIS_HOST}")),
                    "auth.yaml: REDIS_URL names the Service of redis.yaml"
                );
            }
            stack.localize(service, &mut env);
            Rendered {
                service: (*service).to_owned(),
                args,
                env,
                ready_path: scalar(&c["readinessProbe"]["httpGet"]["path"]),
            }
        })
        .collect();
    stack.start_all(services).await;
}

#[test]
fn compose_interpolation_follows_composes_rules() {
    let vars: EnvMap = [("SET", "v"), ("EMPTY", "")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(interpolate("a${SET}b", &vars), "avb");
    assert_eq!(interpolate("${EMPTY:-d}", &vars), "d");
    assert_eq!(interpolate("${EMPTY-d}", &vars), "");
    assert_eq!(interpolate("${UNSET-d}", &vars), "d");
    assert_eq!(interpolate("${SET:?no}$$", &vars), "v$");
    let refused = std::panic::catch_unwind(|| interpolate("${EMPTY:?set EMPTY}", &vars));
    assert!(refused.is_err());
}

/// Every YAML document of `deploy/kubernetes/{file}`.
fn documents(file: &str) -> Vec<Value> {
    repo_file(&format!("deploy/kubernetes/{file}"))
        .split("\n---")
        .map(|doc| serde_yaml::from_str(doc).expect("valid YAML"))
        .filter(|doc: &Value| !doc.is_null())
        .collect()
}

/// Whether a NetworkPolicy's pod selector picks the pods of `service`.
fn selects(policy: &Value, service: &str) -> bool {
    let selector = &policy["spec"]["podSelector"];
    if selector["matchLabels"]["app.kubernetes.io/name"] == service {
        return true;
    }
    selector["matchExpressions"]
        .as_sequence()
        .into_iter()
        .flatten()
        .any(|e| {
            e["key"] == "app.kubernetes.io/name"
                && e["operator"] == "In"
                && e["values"]
                    .as_sequence()
                    .is_some_and(|v| v.iter().any(|x| x == service))
        })
}

#[test]
fn the_kubernetes_autoscalers_and_network_policies_fit_the_deployments() {
    let autoscalers = documents("autoscaling.yaml");
    assert_eq!(autoscalers.len(), SERVICES.len());
    for service in SERVICES {
        let hpa = autoscalers
            .iter()
            .find(|d| d["spec"]["scaleTargetRef"]["name"] == service)
            .unwrap_or_else(|| panic!("no autoscaler for {service}"));
        assert_eq!(hpa["kind"], Value::from("HorizontalPodAutoscaler"));
        assert_eq!(hpa["metadata"]["namespace"], Value::from("connectauth"));
        assert_eq!(
            hpa["spec"]["scaleTargetRef"]["kind"],
            Value::from("Deployment")
        );
        let min = hpa["spec"]["minReplicas"].as_u64().expect("minReplicas");
        let max = hpa["spec"]["maxReplicas"].as_u64().expect("maxReplicas");
        // The PodDisruptionBudget keeps one pod: two keep a drain serving.
        assert!(min >= 2 && max >= min, "{service}: {min}..{max}");
        // A CPU utilization target needs a CPU request on the container.
        let c = container(&format!("{service}.yaml"));
        assert!(
            !scalar(&c["resources"]["requests"]["cpu"]).is_empty(),
            "{service} requests no CPU"
        );
    }

    let policies = documents("network-policies.yaml");
    assert!(
        policies.iter().any(|p| {
            p["spec"]["podSelector"]
                .as_mapping()
                .is_some_and(|m| m.is_empty())
                && p["spec"]["policyTypes"] == Value::from(vec!["Ingress"])
                && p["spec"]["ingress"].is_null()
        }),
        "a default deny of ingress for the whole namespace"
    );
    for service in SERVICES {
        // The port the policies open is the container's named port.
        let c = container(&format!("{service}.yaml"));
        assert_eq!(c["ports"][0]["name"], Value::from("http"), "{service}");
        assert!(
            policies.iter().any(|p| selects(p, service)
                && p["spec"]["ingress"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|rule| rule["ports"][0]["port"] == "http")),
            "{service} is reachable from the proxy on its http port"
        );
    }
    // The auth server reports usage to billing in-cluster.
    assert!(policies.iter().any(|p| selects(p, "billing")
        && p["spec"]["ingress"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|rule| rule["from"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|f| f["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "auth"))));
}

/// The ingress rules of every policy that selects `service`'s pods.
fn ingress_rules<'a>(policies: &'a [Value], service: &str) -> Vec<&'a Value> {
    policies
        .iter()
        .filter(|p| selects(p, service))
        .flat_map(|p| p["spec"]["ingress"].as_sequence().into_iter().flatten())
        .collect()
}

#[test]
fn the_kubernetes_redis_serves_only_the_auth_pods() {
    let docs = documents("redis.yaml");
    let deployment = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment");
    assert_eq!(deployment["metadata"]["name"], Value::from("redis"));
    assert_eq!(
        deployment["metadata"]["namespace"],
        Value::from("connectauth")
    );
    let pod = &deployment["spec"]["template"];
    assert_eq!(
        pod["metadata"]["labels"]["app.kubernetes.io/name"],
        Value::from("redis")
    );
    assert_eq!(
        pod["spec"]["securityContext"]["runAsNonRoot"],
        Value::from(true)
    );
    let c = container("redis.yaml");
    let image = scalar(&c["image"]);
    let tag = image.strip_prefix("redis:").expect("the official image");
    assert!(
        tag.starts_with(|ch: char| ch.is_ascii_digit()),
        "pinned tag: {image}"
    );
    assert_eq!(c["ports"][0]["containerPort"], Value::from(6379));
    assert!(!c["readinessProbe"].is_null() && !c["livenessProbe"].is_null());
    assert!(!scalar(&c["resources"]["requests"]["cpu"]).is_empty());
    assert!(!scalar(&c["resources"]["limits"]["memory"]).is_empty());
    let args: Vec<String> = c["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(scalar)
        .collect();
    assert!(args.windows(2).any(|w| w == ["--save", ""]), "{args:?}");

    // The Service auth.yaml's REDIS_URL names.
    let service = docs
        .iter()
        .find(|d| d["kind"] == "Service")
        .expect("a Service");
    let (name, port) = REDIS_HOST.split_once(':').expect("host:port");
    assert_eq!(service["metadata"]["name"], Value::from(name));
    assert_eq!(
        service["spec"]["selector"]["app.kubernetes.io/name"],
        Value::from("redis")
    );
    assert_eq!(
        service["spec"]["ports"][0]["port"],
        Value::from(port.parse::<u64>().expect("port"))
    );

    // Behind the default deny, only the auth pods reach it, on 6379 only.
    let policies = documents("network-policies.yaml");
    let rules = ingress_rules(&policies, "redis");
    assert!(!rules.is_empty(), "a policy opens Redis to the auth pods");
    for rule in rules {
        let from = rule["from"].as_sequence().expect("`from` names the peers");
        assert!(!from.is_empty());
        for peer in from {
            assert_eq!(
                peer["podSelector"]["matchLabels"],
                serde_yaml::from_str::<Value>("app.kubernetes.io/name: auth").expect("YAML"),
                "only the auth pods: {peer:?}"
            );
            assert!(peer["namespaceSelector"].is_null() && peer["ipBlock"].is_null());
        }
        let ports = rule["ports"].as_sequence().expect("ports");
        assert!(ports
            .iter()
            .all(|p| p["port"] == 6379 || p["port"] == "redis"));
    }
}
