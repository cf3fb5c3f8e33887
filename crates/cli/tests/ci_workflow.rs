//! The adopters' workflow (`.github/workflows/ci.yml`) and the project's own
//! CI entry point (`.ci/run`), checked as files since neither GitHub's
//! runners nor a fresh CI run are at hand: the workflow runs the README's
//! test command against database and Redis services that command can use,
//! the lint gate, the release build and the container image; `.ci/run`
//! lints before it tests.
mod common;

use common::repo_file;
use serde_yaml::Value;

fn workflow() -> Value {
    serde_yaml::from_str(&repo_file(".github/workflows/ci.yml")).expect("ci.yml is valid YAML")
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_sequence().expect("steps")
}

/// Every shell command the job's steps run, one string per step.
fn runs(job: &Value) -> Vec<&str> {
    steps(job)
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect()
}

/// Whether one of the job's steps runs `command` (on a line of its own, or
/// followed by arguments it does not care about).
fn runs_command(job: &Value, command: &str) -> bool {
    runs(job)
        .iter()
        .flat_map(|r| r.lines())
        .any(|line| line.trim() == command || line.trim().starts_with(&format!("{command} ")))
}

/// Whether one of the job's steps uses `action` (`owner/name`, any version).
fn uses(job: &Value, action: &str) -> bool {
    steps(job).iter().any(|s| {
        s["uses"]
            .as_str()
            .and_then(|u| u.split_once('@'))
            .is_some_and(|(name, _)| name == action)
    })
}

/// The job that runs `command`, whatever it is called.
fn job_running<'a>(wf: &'a Value, command: &str) -> &'a Value {
    wf["jobs"]
        .as_mapping()
        .expect("jobs")
        .values()
        .find(|j| runs_command(j, command))
        .unwrap_or_else(|| panic!("no job of ci.yml runs `{command}`"))
}

/// A variable of the job, or of the whole workflow when the job does not set it.
fn env_var<'a>(wf: &'a Value, job: &'a Value, name: &str) -> Option<&'a str> {
    job["env"][name]
        .as_str()
        .or_else(|| wf["env"][name].as_str())
}

/// The host port a service publishes for `container_port`.
fn published_port(service: &Value, container_port: u16) -> u16 {
    service["ports"]
        .as_sequence()
        .expect("the service publishes ports")
        .iter()
        .filter_map(|p| match p {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .find_map(|p| {
            let (host, container) = p.split_once(':').unwrap_or((&p, &p));
            (container.parse() == Ok(container_port)).then(|| host.parse().expect("a port"))
        })
        .unwrap_or_else(|| panic!("port {container_port} is not published"))
}

#[test]
fn it_runs_on_every_push_and_pull_request() {
    let wf = workflow();
    let on = &wf["on"];
    let triggers: Vec<&str> = match on {
        Value::Mapping(m) => m.keys().filter_map(Value::as_str).collect(),
        Value::Sequence(s) => s.iter().filter_map(Value::as_str).collect(),
        other => panic!("unexpected `on`: {other:?}"),
    };
    assert!(triggers.contains(&"push"), "{triggers:?}");
    assert!(triggers.contains(&"pull_request"), "{triggers:?}");
}

#[test]
fn the_tests_job_runs_the_readme_command_with_nextest_and_a_cache() {
    let wf = workflow();
    assert!(
        repo_file("README.md")
            .lines()
            .any(|l| l.trim() == "scripts/test"),
        "the README's test command is scripts/test"
    );
    let tests = job_running(&wf, "scripts/test");
    assert!(uses(tests, "Swatinem/rust-cache"), "cargo cache");
    let nextest = steps(tests).iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("taiki-e/install-action@"))
            && s["with"]["tool"]
                .as_str()
                .is_some_and(|t| t.split(',').any(|t| t.trim() == "cargo-nextest"))
    });
    assert!(
        nextest,
        "cargo-nextest installed, else scripts/test falls back to cargo test"
    );
}

#[test]
fn the_tests_job_gives_scripts_test_the_postgres_and_redis_it_needs() {
    let wf = workflow();
    let tests = job_running(&wf, "scripts/test");
    let script = repo_file("scripts/test");
    // The variables scripts/test reads instead of starting local servers.
    for var in ["TEST_DATABASE_URL", "TEST_REDIS_URL"] {
        assert!(
            script.contains(&format!("${{{var}:-}}")),
            "scripts/test reads {var}"
        );
    }

    let postgres = &tests["services"]["postgres"];
    let image = postgres["image"].as_str().expect("postgres image");
    assert!(
        image == "postgres:15" || image.starts_with("postgres:15."),
        "PostgreSQL 15, not {image}"
    );
    let url = env_var(&wf, tests, "TEST_DATABASE_URL").expect("TEST_DATABASE_URL set");
    let url = url::Url::parse(url).expect("TEST_DATABASE_URL is a URL");
    assert_eq!(url.scheme(), "postgres");
    assert!(
        matches!(url.host_str(), Some("127.0.0.1" | "localhost")),
        "the service is published on the runner: {url}"
    );
    assert_eq!(
        url.port().unwrap_or(5432),
        published_port(postgres, 5432),
        "the URL names the port the service publishes"
    );
    // Every test creates and drops its own database, so the URL's user must
    // be the superuser the image creates, and it must get in.
    let pg_env = &postgres["env"];
    let superuser = pg_env["POSTGRES_USER"].as_str().unwrap_or("postgres");
    assert_eq!(url.username(), superuser);
    match url.password() {
        Some(password) => assert_eq!(Some(password), pg_env["POSTGRES_PASSWORD"].as_str()),
        None => assert_eq!(
            pg_env["POSTGRES_HOST_AUTH_METHOD"].as_str(),
            Some("trust"),
            "no password in the URL, so the server must trust the runner"
        ),
    }
    assert!(
        postgres["options"]
            .as_str()
            .is_some_and(|o| o.contains("--health-cmd")),
        "the job waits until PostgreSQL answers"
    );

    let redis = &tests["services"]["redis"];
    let image = redis["image"].as_str().expect("redis image");
    assert!(
        image == "redis:7" || image.starts_with("redis:7."),
        "Redis 7, not {image}"
    );
    let url = env_var(&wf, tests, "TEST_REDIS_URL").expect("TEST_REDIS_URL set");
    let url = url::Url::parse(url).expect("TEST_REDIS_URL is a URL");
    assert_eq!(url.scheme(), "redis");
    assert_eq!(url.port().unwrap_or(6379), published_port(redis, 6379));
}

#[test]
fn the_lint_gate_fails_on_formatting_and_clippy_warnings() {
    let wf = workflow();
    job_running(&wf, "cargo fmt --all --check");
    job_running(&wf, "cargo clippy --workspace --all-targets -- -D warnings");
}

#[test]
fn the_release_binary_and_the_image_are_built_but_not_pushed() {
    let wf = workflow();
    job_running(&wf, "cargo build --release --locked");
    let image = wf["jobs"]
        .as_mapping()
        .expect("jobs")
        .values()
        .find(|j| uses(j, "docker/build-push-action") || runs_command(j, "docker build"))
        .expect("a job builds the Dockerfile");
    for step in steps(image) {
        if step["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("docker/build-push-action@"))
        {
            assert_eq!(step["with"]["push"], Value::Bool(false), "never pushed");
        }
    }
    assert!(!runs_command(image, "docker push"), "never pushed");
}

#[test]
fn the_weekly_mutation_workflow_is_still_there() {
    let mutants: Value = serde_yaml::from_str(&repo_file(".github/workflows/mutants.yml"))
        .expect("mutants.yml is valid YAML");
    assert!(mutants["on"]["schedule"].is_sequence());
}

#[test]
fn ci_run_lints_then_runs_the_readme_command_and_stops_at_the_first_failure() {
    let run = repo_file(".ci/run");
    let lines: Vec<&str> = run
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("set -") && l.contains('e')),
        "fail-fast: {lines:?}"
    );
    let at = |command: &str| {
        lines
            .iter()
            .position(|l| *l == command)
            .unwrap_or_else(|| panic!(".ci/run does not run `{command}`: {lines:?}"))
    };
    let fmt = at("cargo fmt --all --check");
    let clippy = at("cargo clippy --workspace --all-targets -- -D warnings");
    let tests = at("exec scripts/test");
    assert!(fmt < tests && clippy < tests, "lint before the tests");
    assert_eq!(tests, lines.len() - 1, "the README's command comes last");
}
