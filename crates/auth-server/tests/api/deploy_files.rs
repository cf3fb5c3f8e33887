//! Every shipped file that configures the auth server behind a proxy sets
//! `AUTH_TRUSTED_PROXIES`, and its value parses with the server's own parser
//! (otherwise per-IP lockout and rate limits count every client as the proxy).
//! The Grafana dashboard (`deploy/grafana/connectauth.json`) queries only
//! metrics, and labels, that the services export.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use auth_server::config::TrustedProxies;
use serde_yaml::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn repo_file(path: &str) -> String {
    let full = repo_root().join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// The value parses as addresses and CIDR ranges and trusts someone.
fn assert_trusts_proxies(file: &str, value: &str) {
    let trusted = TrustedProxies::parse(value)
        .unwrap_or_else(|problems| panic!("{file}: AUTH_TRUSTED_PROXIES={value}: {problems:?}"));
    assert!(
        !trusted.is_empty(),
        "{file}: AUTH_TRUSTED_PROXIES is empty, so clients would share the proxy's address"
    );
}

fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("valid YAML"))
        .collect()
}

#[test]
fn the_kubernetes_deployment_trusts_the_cluster_networks() {
    let text = repo_file("deploy/kubernetes/auth.yaml");
    let deployment = yaml_documents(&text)
        .into_iter()
        .find(|doc| doc["kind"] == "Deployment" && doc["metadata"]["name"] == "auth")
        .expect("Deployment auth");
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .expect("containers");
    let auth = containers
        .iter()
        .find(|c| c["name"] == "auth")
        .expect("container auth");
    let value = auth["env"]
        .as_sequence()
        .expect("env")
        .iter()
        .find(|e| e["name"] == "AUTH_TRUSTED_PROXIES")
        .and_then(|e| e["value"].as_str())
        .expect("AUTH_TRUSTED_PROXIES set by value");
    assert_trusts_proxies("deploy/kubernetes/auth.yaml", value);
}

#[test]
fn docker_compose_trusts_the_compose_networks() {
    let text = repo_file("docker-compose.yml");
    let compose: Value = serde_yaml::from_str(&text).expect("valid YAML");
    let value = compose["services"]["auth"]["environment"]["AUTH_TRUSTED_PROXIES"]
        .as_str()
        .expect("AUTH_TRUSTED_PROXIES in services.auth.environment");
    // `${AUTH_TRUSTED_PROXIES:-default}`: the default is what ships.
    let default = value
        .strip_prefix("${AUTH_TRUSTED_PROXIES:-")
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or(value);
    assert_trusts_proxies("docker-compose.yml", default);
}

#[test]
fn the_systemd_unit_trusts_caddy_on_the_host() {
    let text = repo_file("deploy/systemd/connectauth-auth.service");
    let values: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Environment="))
        .filter_map(|l| l.trim_matches('"').strip_prefix("AUTH_TRUSTED_PROXIES="))
        .collect();
    assert_eq!(values.len(), 1, "one Environment=AUTH_TRUSTED_PROXIES=…");
    assert_trusts_proxies("deploy/systemd/connectauth-auth.service", values[0]);
}

#[test]
fn the_caddyfile_names_values_that_parse() {
    let text = repo_file("deploy/caddy/Caddyfile");
    let values: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once("AUTH_TRUSTED_PROXIES=").map(|(_, v)| v.trim()))
        .collect();
    assert!(values.len() >= 2, "the host and the network setups");
    for value in values {
        assert_trusts_proxies("deploy/caddy/Caddyfile", value);
    }
}

#[test]
fn env_example_documents_the_variable() {
    let text = repo_file(".env.example");
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("AUTH_TRUSTED_PROXIES="))
        .expect("AUTH_TRUSTED_PROXIES in .env.example");
    // The development default (trust nobody) may be empty, but must parse.
    TrustedProxies::parse(value).expect(".env.example value parses");
}

/// No shipped file runs the auth server without being checked above.
#[test]
fn every_file_configuring_the_auth_server_is_checked() {
    let checked = [
        "deploy/kubernetes/auth.yaml",
        "docker-compose.yml",
        "deploy/systemd/connectauth-auth.service",
    ];
    let root = repo_root();
    let mut found = Vec::new();
    let mut dirs = vec![root.join("deploy")];
    let mut files = vec![root.join("docker-compose.yml")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("deploy/ lists") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let runs_auth = text.contains("serve auth") || text.contains("serve\", \"auth");
        let is_doc = path.extension().is_some_and(|e| e == "md");
        if runs_auth && !is_doc {
            let relative = path
                .strip_prefix(&root)
                .expect("under the repository")
                .to_string_lossy()
                .replace('\\', "/");
            found.push(relative);
        }
    }
    found.sort();
    let mut expected: Vec<String> = checked.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(found, expected);
}

// ---- Grafana dashboard ---------------------------------------------------

const DASHBOARD: &str = "deploy/grafana/connectauth.json";

/// How a metric is recorded, and so which series Prometheus sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// A metric recorded somewhere in `crates/*/src`: its kind and the label
/// names of every call.
#[derive(Debug)]
struct Recorded {
    kind: Kind,
    labels: BTreeSet<String>,
}

/// The string literal at the start of `text` (after blanks), if any.
fn leading_literal(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

/// The text of a macro call's parentheses, from just after `!(`.
fn call_body(text: &str) -> &str {
    let mut depth = 1;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    text
}

/// Every `counter!`/`gauge!`/`histogram!` call of the services' sources:
/// the metric name (a literal), its kind, and the `"label" =>` names.
fn recorded_metrics() -> BTreeMap<String, Recorded> {
    let mut found: BTreeMap<String, Recorded> = BTreeMap::new();
    let mut dirs = vec![];
    for entry in std::fs::read_dir(repo_root().join("crates")).expect("crates/") {
        let src = entry.expect("entry").path().join("src");
        if src.is_dir() {
            dirs.push(src);
        }
    }
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for (mac, kind) in [
                ("counter!(", Kind::Counter),
                ("gauge!(", Kind::Gauge),
                ("histogram!(", Kind::Histogram),
            ] {
                for (at, _) in text.match_indices(mac) {
                    let body = call_body(&text[at + mac.len()..]);
                    let Some(name) = leading_literal(body) else {
                        continue;
                    };
                    let labels = body
                        .match_indices("=>")
                        .filter_map(|(arrow, _)| {
                            let before = body[..arrow].trim_end().strip_suffix('"')?;
                            let open = before.rfind('"')?;
                            Some(before[open + 1..].to_owned())
                        })
                        .collect::<BTreeSet<_>>();
                    let entry = found.entry(name.to_owned()).or_insert(Recorded {
                        kind,
                        labels: BTreeSet::new(),
                    });
                    assert_eq!(entry.kind, kind, "{name} recorded as two kinds");
                    entry.labels.extend(labels);
                }
            }
        }
    }
    found
}

/// The series names Prometheus sees for the recorded metrics, each with the
/// labels it may be queried by (`le` on buckets; `job` and `instance` are
/// added by the scrape).
fn exported_series(recorded: &BTreeMap<String, Recorded>) -> BTreeMap<String, BTreeSet<String>> {
    let mut series = BTreeMap::new();
    for (name, r) in recorded {
        let mut labels = r.labels.clone();
        labels.extend(["job".to_owned(), "instance".to_owned()]);
        match r.kind {
            Kind::Counter | Kind::Gauge => {
                series.insert(name.clone(), labels);
            }
            Kind::Histogram => {
                for suffix in ["_sum", "_count"] {
                    series.insert(format!("{name}{suffix}"), labels.clone());
                }
                labels.insert("le".to_owned());
                series.insert(format!("{name}_bucket"), labels);
            }
        }
    }
    series
}

/// PromQL words that are neither functions nor metric names.
const PROMQL_KEYWORDS: [&str; 11] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
];

/// The metric names an expression selects, and the label names it uses (in
/// matchers and in `by`/`without`/`on`/`ignoring` lists), found by a small
/// PromQL scan: strings, `[range]`s and `$variables` are skipped, a word
/// followed by `(` (or by `by (…)`) is a function, a word after `by` & co.
/// opens a label list.
fn promql_names(expr: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let chars: Vec<char> = expr.chars().collect();
    let mut metrics = BTreeSet::new();
    let mut labels = BTreeSet::new();
    let mut i = 0;
    let mut label_list = false;
    let mut in_matchers = false;
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '[' {
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
            i += 1;
        } else if c == '$' {
            i += 1;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
        } else if c == '{' {
            in_matchers = true;
            i += 1;
        } else if c == '}' {
            in_matchers = false;
            i += 1;
        } else if c == ')' {
            label_list = false;
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let after: String = chars[i..].iter().collect();
            let after = after.trim_start();
            let next = after.chars().next();
            // `sum by (…) (…)`: an aggregation whose grouping comes first.
            let grouped_first = ["by", "without"].iter().any(|k| {
                after
                    .strip_prefix(k)
                    .is_some_and(|r| r.trim_start().starts_with('('))
            });
            if in_matchers || label_list {
                labels.insert(word);
            } else if PROMQL_KEYWORDS.contains(&word.as_str()) {
                label_list = matches!(
                    word.as_str(),
                    "by" | "without" | "on" | "ignoring" | "group_left" | "group_right"
                ) && next == Some('(');
            } else if next != Some('(') && !grouped_first {
                metrics.insert(word);
            }
        } else {
            i += 1;
        }
    }
    (metrics, labels)
}

/// The label names of a sample line's `{name="value",…}` (values may hold
/// braces and escaped quotes: `route="/t/{slug}/token"`).
fn sample_labels(after_name: &str) -> Vec<String> {
    let Some(mut rest) = after_name.strip_prefix('{') else {
        return Vec::new();
    };
    let mut names = Vec::new();
    while let Some((name, value)) = rest.split_once("=\"") {
        names.push(name.trim_start_matches(',').to_owned());
        let mut end = 0;
        let bytes = value.as_bytes();
        while bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        rest = &value[end + 1..];
        if rest.starts_with('}') {
            break;
        }
    }
    names
}

/// Every panel of the dashboard, rows' nested panels included.
fn dashboard_panels(dashboard: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut stack: Vec<serde_json::Value> = dashboard["panels"].as_array().expect("panels").clone();
    while let Some(panel) = stack.pop() {
        if let Some(nested) = panel["panels"].as_array() {
            stack.extend(nested.iter().cloned());
        }
        out.push(panel);
    }
    out
}

#[test]
fn sample_labels_read_values_with_braces() {
    assert_eq!(
        sample_labels(r#"{method="POST",route="/t/{slug}/token",status="200"} 1"#),
        ["method", "route", "status"]
    );
    assert_eq!(sample_labels(r#"{a="x\"}",b="y"} 1"#), ["a", "b"]);
    assert!(sample_labels(" 3").is_empty());
}

#[test]
fn promql_scan_finds_metrics_and_labels() {
    let (metrics, labels) = promql_names(
        r#"histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{job=~"$job",status=~"5.."}[$__rate_interval]))) / ignoring(route) group_left sum(up)"#,
    );
    assert_eq!(
        metrics.into_iter().collect::<Vec<_>>(),
        ["http_request_duration_seconds_bucket", "up"]
    );
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        ["job", "le", "route", "status"]
    );
    let (metrics, labels) =
        promql_names(r#"topk(10, sum by (tenant) (rate(tokens_total{grant!="x"}[5m])))"#);
    assert_eq!(metrics.into_iter().collect::<Vec<_>>(), ["tokens_total"]);
    assert_eq!(labels.into_iter().collect::<Vec<_>>(), ["grant", "tenant"]);
}

#[test]
fn the_grafana_dashboard_queries_only_exported_metrics() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&repo_file(DASHBOARD)).expect("valid JSON");
    // Grafana 10's schema, imported or provisioned with a Prometheus
    // data source picked in the `DS_PROMETHEUS` variable.
    assert!(
        dashboard["schemaVersion"].as_u64().expect("schemaVersion") >= 36,
        "Grafana 10+ schema"
    );
    assert_eq!(dashboard["uid"], "connectauth");
    let variables = dashboard["templating"]["list"]
        .as_array()
        .expect("variables");
    assert!(
        variables.iter().any(|v| v["name"] == "DS_PROMETHEUS"
            && v["type"] == "datasource"
            && v["query"] == "prometheus"),
        "a Prometheus data source variable DS_PROMETHEUS"
    );

    let series = exported_series(&recorded_metrics());
    let mut queried = BTreeSet::new();
    let mut titles = BTreeSet::new();
    for panel in dashboard_panels(&dashboard) {
        let title = panel["title"].as_str().expect("title").to_owned();
        if panel["type"] == "row" {
            continue;
        }
        assert!(titles.insert(title.clone()), "two panels named {title}");
        assert_eq!(panel["datasource"]["uid"], "${DS_PROMETHEUS}", "{title}");
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}: no query");
        for target in targets {
            assert_eq!(target["datasource"]["uid"], "${DS_PROMETHEUS}", "{title}");
            let expr = target["expr"].as_str().expect("expr");
            let (metrics, labels) = promql_names(expr);
            assert!(!metrics.is_empty(), "{title}: no metric in {expr}");
            let mut allowed = BTreeSet::new();
            for metric in metrics {
                let metric_labels = series.get(&metric).unwrap_or_else(|| {
                    panic!(
                        "{title}: `{metric}` is not exported (exported: {:?})",
                        series.keys().collect::<Vec<_>>()
                    )
                });
                allowed.extend(metric_labels.iter().cloned());
                queried.insert(metric);
            }
            for label in labels {
                assert!(
                    allowed.contains(&label),
                    "{title}: label `{label}` is on none of the metrics of {expr}"
                );
            }
        }
    }
    // What docs/operations.md promises the dashboard shows.
    for metric in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "connectauth_tokens_issued_total",
        "connectauth_auth_events_total",
        "password_hash_jobs",
        "db_pool_connections",
        "mail_queue_depth",
        "mail_sends_total",
        "mail_dropped_total",
        "connectauth_webhook_attempts_total",
        "connectauth_billing_usage_events_total",
        "connectauth_billing_webhooks_total",
        "connectauth_rate_limit_fallbacks_total",
        "connectauth_cleanup_deleted_total",
    ] {
        assert!(queried.contains(metric), "no panel shows {metric}");
    }
}

/// The scan of the sources above agrees with a real auth server's metrics
/// listener: every family it serves after a token request and a failed
/// login is recorded in the sources under the same name and kind (so a
/// histogram really has `_bucket` series), with the same label names.
#[tokio::test]
async fn the_sources_scan_matches_what_the_auth_server_serves() {
    use serde_json::json;
    use service_kit::db::Engine;

    let port = crate::billing_service::free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = crate::helpers::spawn_app_with(Engine::Sqlite, &[("AUTH_METRICS_ADDR", &addr)]).await;
    let tenant = app.tenant("acme", json!({})).await;
    let client = crate::oidc::create_client(
        &app,
        &tenant.id.to_string(),
        json!({"grant_types": ["client_credentials"]}),
    )
    .await;
    let token = app
        .client
        .post(app.url("/t/acme/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    assert_eq!(token.status(), 200);
    let web = app.web();
    web.get("/t/acme/login").await;
    let login = web
        .post(
            "/t/acme/login",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password 123"),
            ],
        )
        .await;
    assert_eq!(login.status, 401);

    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("scraped")
        .text()
        .await
        .expect("text");
    let recorded = recorded_metrics();
    let series = exported_series(&recorded);
    let mut families = 0;
    for line in text.lines() {
        if let Some(typed) = line.strip_prefix("# TYPE ") {
            let (name, kind) = typed.split_once(' ').expect("# TYPE name kind");
            let r = recorded
                .get(name)
                .unwrap_or_else(|| panic!("served `{name}` is not found in the sources"));
            let expected = match r.kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
                Kind::Histogram => "histogram",
            };
            assert_eq!(kind, expected, "{name}");
            families += 1;
        } else if !line.starts_with('#') && !line.is_empty() {
            let name_end = line.find(['{', ' ']).expect("a sample");
            let name = &line[..name_end];
            let allowed = series.get(name).unwrap_or_else(|| {
                panic!("served series `{name}` is not derived from the sources")
            });
            for label in sample_labels(&line[name_end..]) {
                assert!(
                    allowed.contains(&label),
                    "{name}: label {label} not in the sources"
                );
            }
        }
    }
    // Requests, its latency histogram, tokens, sign-in events, both pools,
    // the mail queue.
    assert!(families >= 7, "{families} families served:\n{text}");
}
