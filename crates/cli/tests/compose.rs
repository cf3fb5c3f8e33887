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

#[test]
fn dockerfile_is_multi_stage_and_runs_unprivileged() {
    let docker = repo_file("Dockerfile");
    let stages = docker.lines().filter(|l| l.starts_with("FROM ")).count();
    assert!(stages >= 2, "a build stage and a runtime stage");
    assert!(docker.contains("COPY --from=builder"));
    assert!(docker
        .lines()
        .any(|l| l.starts_with("USER ") && !l.contains("root")));
    assert!(docker.contains("ENTRYPOINT [\"connectauth\"]"));
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
