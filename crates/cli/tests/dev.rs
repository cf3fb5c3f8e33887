//! `connectauth dev`: every service in one process, data kept across restarts.
mod common;

use std::path::Path;

use common::{free_port, spawn, stderr, stdout, terminate, wait_for};
use serde_json::Value;

fn start(data: &Path, ports: [u16; 3]) -> std::process::Child {
    spawn(common::dev_command(data, ports))
}

fn admin_token(data: &Path) -> String {
    let text = std::fs::read_to_string(data.join("secrets.env")).expect("secrets file");
    common::parse_env(&text)
        .into_iter()
        .find(|(k, _)| k == "AUTH_ADMIN_TOKEN")
        .map(|(_, v)| v)
        .expect("admin token")
}

async fn tenant_slugs(auth: &str, token: &str) -> Vec<String> {
    let list: Value = reqwest::Client::new()
        .get(format!("{auth}/manage/v1/tenants"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["slug"].as_str().unwrap_or_default().to_owned())
        // The `platform` tenant is made by a background task at start.
        .filter(|slug| slug != "platform")
        .collect()
}

#[tokio::test]
async fn dev_runs_every_service_and_keeps_data_across_restarts() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let ports = [free_port(), free_port(), free_port()];
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();

    let first = start(&data, ports);
    for url in &urls {
        wait_for(&format!("{url}/readyz"), 200).await;
        wait_for(&format!("{url}/healthz"), 200).await;
    }
    for file in ["secrets.env", "auth.db", "billing.db", "people.db"] {
        assert!(data.join(file).exists(), "{file} under the data dir");
    }
    let token = admin_token(&data);
    assert_eq!(tenant_slugs(&urls[0], &token).await, ["connect-people"]);
    let created = reqwest::Client::new()
        .post(format!("{}/manage/v1/tenants", urls[0]))
        .bearer_auth(&token)
        .json(&serde_json::json!({"slug": "acme", "display_name": "Acme"}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status().as_u16(), 201);
    // Hosted signup: the verification mail lands in <data>/mail as a file.
    common::sign_up(
        &urls[0],
        "connect-people",
        "dev-user@example.com",
        "correct horse battery staple",
    )
    .await;
    // The mail queue writes in the background: give it a moment.
    let mut mails: Vec<String> = Vec::new();
    for _ in 0..100 {
        mails = std::fs::read_dir(data.join("mail"))
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("/t/connect-people/verify-email?token="),
        "{}",
        mails[0]
    );
    let out = terminate(first);
    assert!(out.status.success(), "graceful stop: {}", stderr(&out));
    let banner = stdout(&out);
    for url in &urls {
        assert!(
            banner.contains(url.as_str()),
            "banner prints {url}:\n{banner}"
        );
    }
    assert!(
        !banner.contains(&token) && !stderr(&out).contains(&token),
        "token not printed"
    );
    // Billing runs offline, and the auth server reached it with a platform
    // token when the signup asked for the tenant's entitlements.
    assert!(
        banner.contains("billing:     offline (no BILLING_STRIPE_SECRET_KEY)"),
        "{banner}"
    );
    assert!(
        !stderr(&out).contains("entitlements unavailable"),
        "{}",
        stderr(&out)
    );
    // `connectauth billing` works on the dev databases (the tenant is found
    // through the auth server's use cases, built with the key ring `dev`
    // keeps beside them).
    let dev_dbs = [
        (
            "AUTH_DATABASE_URL",
            format!("sqlite://{}/auth.db", data.display()),
        ),
        (
            "BILLING_DATABASE_URL",
            format!("sqlite://{}/billing.db", data.display()),
        ),
    ];
    let dev_dbs: Vec<(&str, &str)> = dev_dbs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let set = common::run(
        root.path(),
        &[
            "billing", "set-plan", "--tenant", "acme", "--plan", "starter",
        ],
        &dev_dbs,
    );
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(stdout(&set).contains("plan:         Starter (starter)"));

    let second = start(&data, ports);
    wait_for(&format!("{}/readyz", urls[0]), 200).await;
    assert_eq!(admin_token(&data), token, "secrets are reused");
    assert_eq!(
        tenant_slugs(&urls[0], &token).await,
        ["acme", "connect-people"]
    );
    let out = terminate(second);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn dev_refuses_a_port_in_use_clearly() {
    let root = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let data = root.path().join("data");
    let out = common::run(
        root.path(),
        &[
            "dev",
            "--data-dir",
            data.to_str().expect("utf-8"),
            "--auth-port",
            &port.to_string(),
            "--billing-port",
            &free_port().to_string(),
            "--people-port",
            &free_port().to_string(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot start the auth service"),
        "{}",
        stderr(&out)
    );
}
