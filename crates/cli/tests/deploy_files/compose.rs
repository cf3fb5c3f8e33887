//! The docker compose file: its `${…}` interpolation of the generated
//! `--env-file`, and the Redis service the auth server's `REDIS_URL` names.
use serde_yaml::Value;

use super::{scalar, EnvMap, Rendered, Stack, REDIS_HOST, SERVICES};
use crate::common::{parse_env, repo_file};

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
