//! Every shipped file that configures the auth server behind a proxy sets
//! `AUTH_TRUSTED_PROXIES`, and its value parses with the server's own parser
//! (otherwise per-IP lockout and rate limits count every client as the proxy).
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
