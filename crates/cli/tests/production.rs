//! Production mode: refuses placeholders, starts with generated secrets.
mod common;

use common::{parse_env, repo_file, run, spawn, stderr, stdout, terminate, wait_for};
use service_kit::db::Engine;
use service_kit::testing::TestDb;

#[test]
fn env_example_values_are_refused_with_every_problem_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut env = parse_env(&repo_file(".env.example"));
    env.retain(|(k, _)| k != "CONNECTAUTH_ENV");
    env.push(("CONNECTAUTH_ENV".into(), "production".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let expected: [(&str, &[&str]); 3] = [
        (
            "auth",
            &["AUTH_ADMIN_TOKEN", "AUTH_DATABASE_URL", "AUTH_PUBLIC_URL"],
        ),
        (
            "billing",
            &[
                "BILLING_DATABASE_URL",
                "BILLING_PUBLIC_URL",
                "BILLING_ISSUER",
                "BILLING_STRIPE_SECRET_KEY",
                "BILLING_STRIPE_WEBHOOK_SECRETS",
                "BILLING_STRIPE_PRICE_STARTER",
            ],
        ),
        ("people", &["PEOPLE_DATABASE_URL", "PEOPLE_PUBLIC_URL"]),
    ];
    for (service, names) in expected {
        let out = run(dir.path(), &["serve", service], &env);
        assert_eq!(out.status.code(), Some(1), "{service}");
        let err = stderr(&out);
        for name in names {
            assert!(
                err.contains(&format!("  - {name}:")),
                "{service}: {name} not named in:\n{err}"
            );
        }
    }
}

#[test]
fn missing_and_short_secrets_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = [
        ("CONNECTAUTH_ENV", "production"),
        ("AUTH_PUBLIC_URL", "https://auth.example.test"),
        ("AUTH_DATABASE_URL", "sqlite://auth.db"),
    ];
    let out = run(dir.path(), &["serve", "auth"], &base);
    assert!(stderr(&out).contains("AUTH_ADMIN_TOKEN: required secret is missing"));
    let mut short = base.to_vec();
    short.push(("AUTH_ADMIN_TOKEN", "c2hvcnQtc2hvcnQtc2hvcnQ"));
    let out = run(dir.path(), &["serve", "auth"], &short);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("fewer than the 32 required"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn generated_secrets_are_fresh_strong_and_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = stdout(&run(dir.path(), &["secrets", "generate"], &[]));
    let b = stdout(&run(dir.path(), &["secrets", "generate"], &[]));
    let a = parse_env(&a);
    let b = parse_env(&b);
    let get = |env: &[(String, String)], k: &str| {
        env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
    };
    for key in ["POSTGRES_PASSWORD", "AUTH_ADMIN_TOKEN"] {
        let value = get(&a, key).unwrap_or_else(|| panic!("{key} printed"));
        let bytes = service_kit::secret::decode_base64url(&value).expect("base64url");
        assert!(bytes.len() >= 32, "{key}: 256 bits at least");
        assert_ne!(Some(value), get(&b, key), "{key} is drawn afresh");
    }
    let password = get(&a, "POSTGRES_PASSWORD").expect("password");
    for key in [
        "AUTH_DATABASE_URL",
        "BILLING_DATABASE_URL",
        "PEOPLE_DATABASE_URL",
    ] {
        assert!(
            get(&a, key).is_some_and(|url| url.contains(&password)),
            "{key} uses the password"
        );
    }
    assert_eq!(get(&a, "CONNECTAUTH_ENV").as_deref(), Some("production"));
}

#[tokio::test]
async fn production_starts_with_generated_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generated = stdout(&run(dir.path(), &["secrets", "generate"], &[]));
    let db = TestDb::new(Engine::Postgres).await;
    let port = common::free_port();
    let mut cmd = common::bin();
    cmd.current_dir(dir.path())
        .args(["serve", "auth", "--migrate"]);
    for (k, v) in parse_env(&generated) {
        cmd.env(k, v);
    }
    // The block names the compose host `postgres`; here the test database stands in.
    cmd.env("AUTH_DATABASE_URL", &db.url)
        .env("AUTH_BIND", format!("127.0.0.1:{port}"));
    let child = spawn(cmd);
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/readyz"), 200).await;
    let resp = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert!(
        resp.headers().contains_key("strict-transport-security"),
        "https public URL → HSTS"
    );
    // Probes log at debug; an ordinary request logs at info with its request id.
    let denied = reqwest::get(format!("{base}/manage/v1/tenants"))
        .await
        .expect("request");
    assert_eq!(denied.status().as_u16(), 401);
    let out = terminate(child);
    assert!(
        out.status.success(),
        "graceful exit on SIGTERM: {}",
        stderr(&out)
    );
    let logs = stderr(&out);
    assert!(
        logs.lines()
            .any(|l| l.starts_with('{') && l.contains("\"request_id\"")),
        "JSON logs with request ids:\n{logs}"
    );
    let token = parse_env(&generated)
        .into_iter()
        .find(|(k, _)| k == "AUTH_ADMIN_TOKEN")
        .map(|(_, v)| v)
        .expect("token");
    assert!(
        !logs.contains(&token) && !stderr(&out).contains(&token),
        "the admin token never reaches the logs"
    );
}
