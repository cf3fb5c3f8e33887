//! docker-compose.yml and the Dockerfile, checked as text since no container
//! engine runs here.
mod common;

use std::collections::BTreeSet;

use common::{parse_env, repo_file};
use serde_yaml::Value;

fn compose() -> Value {
    let mut v: Value = serde_yaml::from_str(&repo_file("docker-compose.yml")).expect("valid YAML");
    v.apply_merge().expect("merge keys resolve");
    v
}

#[test]
fn compose_runs_postgres_redis_the_three_services_and_a_mail_catcher() {
    let c = compose();
    let services = c["services"].as_mapping().expect("services");
    let names: BTreeSet<&str> = services.keys().filter_map(Value::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["auth", "billing", "mail", "people", "postgres", "redis"])
    );
    for (svc, port) in [("auth", 8080), ("billing", 8081), ("people", 8082)] {
        let s = &c["services"][svc];
        assert_eq!(s["build"], Value::from("."), "{svc} builds the Dockerfile");
        let cmd: Vec<&str> = s["command"]
            .as_sequence()
            .expect("command")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(cmd, ["serve", svc, "--migrate"]);
        let env = s["environment"].as_mapping().expect("environment");
        assert_eq!(
            env[&Value::from("CONNECTAUTH_ENV")],
            Value::from("production")
        );
        let prefix = svc.to_uppercase();
        assert_eq!(
            env[&Value::from(format!("{prefix}_BIND"))],
            Value::from(format!("0.0.0.0:{port}"))
        );
        assert_eq!(
            s["depends_on"]["postgres"]["condition"],
            Value::from("service_healthy")
        );
    }
    assert!(c["services"]["postgres"]["healthcheck"].is_mapping());
}

#[test]
fn every_variable_compose_passes_is_documented_in_env_example() {
    let documented: BTreeSet<String> = parse_env(&repo_file(".env.example"))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let c = compose();
    for (name, svc) in c["services"].as_mapping().expect("services") {
        let Some(env) = svc["environment"].as_mapping() else {
            continue;
        };
        if name.as_str() == Some("postgres") {
            continue;
        }
        for key in env.keys().filter_map(Value::as_str) {
            assert!(documented.contains(key), "{key} missing from .env.example");
        }
    }
}

/// The Dockerfile's instructions, continuation lines joined, comments and
/// blank lines left out, each with the stage (its `AS` name) it belongs to.
fn dockerfile_instructions() -> Vec<(String, String)> {
    let text = repo_file("Dockerfile");
    let mut out = Vec::new();
    let mut stage = String::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part.trim());
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let instruction = std::mem::take(&mut current);
                if let Some(from) = instruction.strip_prefix("FROM ") {
                    stage = from
                        .split_once(" AS ")
                        .map(|(_, name)| name.trim().to_owned())
                        .unwrap_or_default();
                }
                out.push((stage.clone(), instruction));
            }
        }
    }
    out
}

#[test]
fn dockerfile_is_multi_stage_and_runs_unprivileged() {
    let docker = dockerfile_instructions();
    let stages = docker
        .iter()
        .filter(|(_, i)| i.starts_with("FROM "))
        .count();
    assert!(stages >= 2, "a build stage and a runtime stage");
    let runtime: Vec<&str> = docker
        .iter()
        .filter(|(stage, _)| stage == "runtime")
        .map(|(_, i)| i.as_str())
        .collect();
    assert!(runtime.contains(
        &"COPY --from=builder /src/target/release/connectauth /usr/local/bin/connectauth"
    ));
    let user = runtime
        .iter()
        .rev()
        .find_map(|i| i.strip_prefix("USER "))
        .expect("the runtime stage names its user");
    assert!(
        user != "root" && user != "0" && !user.starts_with("0:"),
        "runs as {user}"
    );
    assert_eq!(runtime.last(), Some(&"ENTRYPOINT [\"connectauth\"]"));
}

#[test]
fn dockerfile_compiles_the_dependencies_in_a_layer_before_the_sources() {
    let text = repo_file("Dockerfile");
    assert!(
        text.starts_with("# syntax=docker/dockerfile:1"),
        "RUN --mount needs BuildKit's Dockerfile syntax"
    );
    let docker = dockerfile_instructions();
    let builder: Vec<&str> = docker
        .iter()
        .filter(|(stage, _)| stage == "builder")
        .map(|(_, i)| i.as_str())
        .collect();
    let position = |what: &str| {
        builder
            .iter()
            .position(|i| i.contains(what))
            .unwrap_or_else(|| panic!("the builder stage has no `{what}`: {builder:#?}"))
    };
    let cook = position("cargo chef cook");
    let sources = position("COPY crates ");
    let build = position("cargo build --release --locked -p connectauth");
    assert!(
        cook < sources && sources < build,
        "dependencies, then the sources, then the binary"
    );
    // The recipe holds the manifests and the lock file only, so the
    // dependency layer is reused until a dependency changes.
    assert!(builder[..cook]
        .iter()
        .all(|i| !i.starts_with("COPY ") || i.contains("recipe.json")));
    for flag in ["--release", "--locked", "--package connectauth"] {
        assert!(
            builder[cook].contains(flag),
            "cook {flag}: {}",
            builder[cook]
        );
    }
    // The recipe comes from the manifests: no source but theirs is needed.
    let planner: Vec<&str> = docker
        .iter()
        .filter(|(stage, _)| stage == "planner")
        .map(|(_, i)| i.as_str())
        .collect();
    assert!(planner.iter().any(|i| i.contains("cargo chef prepare")));
    // Downloaded crates are kept between builds on the same builder.
    for step in [cook, build] {
        assert!(
            builder[step].starts_with("RUN --mount=type=cache")
                && builder[step].contains("target=/usr/local/cargo/registry"),
            "registry cache mount: {}",
            builder[step]
        );
    }
}

#[test]
fn env_example_documents_every_variable_the_services_read() {
    let documented: BTreeSet<String> = parse_env(&repo_file(".env.example"))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for prefix in ["AUTH", "BILLING", "PEOPLE"] {
        for suffix in [
            "BIND",
            "PUBLIC_URL",
            "DATABASE_URL",
            "DATABASE_MAX_CONNECTIONS",
            "DATABASE_PING_IDLE_SECS",
            "DATABASE_SQLITE_SYNC",
            "METRICS_ADDR",
            "BODY_LIMIT",
        ] {
            let key = format!("{prefix}_{suffix}");
            assert!(documented.contains(&key), "{key}");
        }
    }
    for key in auth_server::config::SECRET_VARIABLES {
        assert!(documented.contains(*key), "{key}");
    }
}
