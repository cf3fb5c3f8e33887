//! The management and billing APIs hold to their OpenAPI documents: the
//! property-based fuzzer schemathesis (installed by
//! `scripts/install-schemathesis`, which `scripts/test` runs and whose path it
//! exports as `SCHEMATHESIS_BIN`) sends generated requests to the real
//! services (`connectauth dev` on free loopback ports, fresh SQLite
//! databases) with every check and every phase (stateful included), a fixed
//! seed and a bounded number of examples per operation, once per role: the
//! operator token on the management API; anonymous, an operator
//! (`billing:admin`) and the auth server's service scopes on billing.
//! Configuration (seeded identifiers, stateful links):
//! `tests/fuzz/schemathesis.toml`.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{free_port, terminate, wait_for};
use serde_json::{json, Value};

/// Examples per operation and phase: enough to find the contract failures,
/// few enough for the whole run to stay well under 3 minutes.
const MAX_EXAMPLES: &str = "20";
const SEED: &str = "1";
const PASSWORD: &str = "correct horse battery staple";

fn schemathesis_bin() -> PathBuf {
    match std::env::var_os("SCHEMATHESIS_BIN") {
        Some(bin) if !bin.is_empty() => PathBuf::from(bin),
        _ => panic!(
            "SCHEMATHESIS_BIN is not set: run `scripts/test` (the README's test command), \
             or `export SCHEMATHESIS_BIN=\"$(scripts/install-schemathesis)\"` before cargo nextest"
        ),
    }
}

fn secret(data: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(data.join("secrets.env")).expect("secrets file");
    common::parse_env(&text)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{key} in secrets.env"))
}

struct Manage {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Manage {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/manage/v1{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("management API answers");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn tenant_id(&self, slug: &str) -> String {
        let tenant = self
            .call(
                reqwest::Method::GET,
                &format!("/tenants/by-slug/{slug}"),
                None,
            )
            .await;
        tenant["id"].as_str().expect("tenant id").to_owned()
    }

    /// The id of the user of `tenant` with `email`, once the signup has
    /// made it (signup answers before it creates the account).
    async fn user_id(&self, tenant: &str, email: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let list = self
                .call(
                    reqwest::Method::GET,
                    &format!("/tenants/{tenant}/users"),
                    None,
                )
                .await;
            let found = list["items"].as_array().and_then(|items| {
                items
                    .iter()
                    .find(|u| u["email"] == email)
                    .and_then(|u| u["id"].as_str())
                    .map(str::to_owned)
            });
            if let Some(id) = found {
                return id;
            }
            assert!(Instant::now() < deadline, "{email} never signed up: {list}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A billing token of a `platform` client with `scopes` (client credentials).
async fn billing_token(manage: &Manage, platform: &str, name: &str, scopes: &[&str]) -> String {
    let client = manage
        .call(
            reqwest::Method::POST,
            &format!("/tenants/{platform}/clients"),
            Some(json!({
                "name": name,
                "grant_types": ["client_credentials"],
                "scopes": scopes,
                "allowed_resources": ["connectauth-billing"],
            })),
        )
        .await;
    let id = client["client_id"].as_str().expect("client_id");
    let secret = client["client_secret"].as_str().expect("client_secret");
    let scope = scopes.join(" ");
    let resp = manage
        .http
        .post(format!("{}/t/platform/token", manage.base))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", "connectauth-billing"),
            ("scope", scope.as_str()),
        ])
        .send()
        .await
        .expect("token endpoint");
    let status = resp.status();
    let body: Value = resp.json().await.expect("token json");
    assert!(status.is_success(), "token: {status} {body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// One schemathesis run; returns its report when it fails.
fn fuzz(
    work: &Path,
    role: &str,
    schema: &str,
    base: &str,
    token: Option<&str>,
    env: &[(&str, &str)],
) -> Option<String> {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/schemathesis.toml");
    let mut cmd = Command::new(schemathesis_bin());
    // Its working directory collects hypothesis's database and reports.
    cmd.current_dir(work)
        .env("NO_COLOR", "1")
        .arg("--config-file")
        .arg(&config)
        .args([
            "run",
            schema,
            "--url",
            base,
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            "--output-truncate",
            "false",
        ]);
    if let Some(token) = token {
        cmd.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {}: {e} (run scripts/install-schemathesis)",
            schemathesis_bin().display()
        )
    });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "schemathesis, {role}: {} in {:.0?}",
        if out.status.success() {
            "passed"
        } else {
            "FAILED"
        },
        started.elapsed()
    );
    // A warning that fails the run (missing test data) is in the output too.
    (!out.status.success()).then(|| format!("===== {role} ({schema}) =====\n{text}"))
}

/// A sentinel-style block of `tenant` (203.0.113.7, for an hour) in the
/// auth database `connectauth dev` made under `data`; its id.
async fn seed_block(data: &Path, tenant: &str) -> String {
    use auth_server::domain::tenant::TenantId;
    use auth_server::store::blocks::{AppliesTo, BlockStore, NewBlock};

    let url = format!("sqlite://{}/auth.db", data.display());
    let db = service_kit::db::connect(&url, service_kit::db::PoolSettings::default())
        .await
        .expect("the auth database");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    BlockStore::new(db.pool.clone())
        .insert(&NewBlock {
            tenant_id: Some(TenantId::parse(tenant).expect("tenant id")),
            network: "203.0.113.7/32",
            reason: "fuzz seed",
            created_by: "operator",
            created_at: now,
            expires_at: now + 3600,
            applies_to: AppliesTo::Tenant,
        })
        .await
        .expect("block seeded")
}

#[tokio::test]
async fn management_and_billing_apis_hold_to_their_openapi_documents() {
    schemathesis_bin();
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let ports = [free_port(), free_port(), free_port()];
    let auth = format!("http://127.0.0.1:{}", ports[0]);
    let billing = format!("http://127.0.0.1:{}", ports[1]);
    // The services' logs go to a file: a pipe nobody reads would fill up
    // under thousands of requests and stall them.
    let log_path = root.path().join("dev.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut cmd = common::dev_command(&data, ports);
    cmd.stdout(log.try_clone().expect("log file")).stderr(log);
    let dev = cmd.spawn().expect("connectauth dev starts");
    for url in [&auth, &billing] {
        wait_for(&format!("{url}/readyz"), 200).await;
    }
    let manage = Manage {
        http: reqwest::Client::new(),
        base: auth.clone(),
        token: secret(&data, "AUTH_ADMIN_TOKEN"),
    };
    // The platform tenant is made by a background task at start.
    wait_for(
        &format!("{auth}/t/platform/.well-known/openid-configuration"),
        200,
    )
    .await;

    // Seed: a tenant with a user, a confidential client and an owner.
    let tenant = manage
        .call(
            reqwest::Method::POST,
            "/tenants",
            Some(json!({"slug": "fuzz-seed", "display_name": "Fuzz seed"})),
        )
        .await["id"]
        .as_str()
        .expect("tenant id")
        .to_owned();
    common::sign_up(&auth, "fuzz-seed", "user@fuzz.example", PASSWORD).await;
    let user = manage.user_id(&tenant, "user@fuzz.example").await;
    // A second user, for erasure (the first stays for the other operations).
    common::sign_up(&auth, "fuzz-seed", "erase@fuzz.example", PASSWORD).await;
    let erased = manage.user_id(&tenant, "erase@fuzz.example").await;
    let client = manage
        .call(
            reqwest::Method::POST,
            &format!("/tenants/{tenant}/clients"),
            Some(json!({
                "name": "Fuzz seed app",
                "redirect_uris": ["https://app.fuzz.example/callback"],
            })),
        )
        .await["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned();
    // A key of the seeded tenant, for the revocation (the next ES256 one).
    let keys = manage
        .call(
            reqwest::Method::GET,
            &format!("/tenants/{tenant}/keys"),
            None,
        )
        .await;
    let kid = keys["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|k| k["alg"] == "ES256" && k["state"] == "next")
        })
        .and_then(|k| k["kid"].as_str())
        .expect("a next ES256 key")
        .to_owned();
    // Another, to be marked compromised (the active RS256 one: replaced by
    // the first call, then the documented 409).
    let compromised_kid = keys["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|k| k["alg"] == "RS256" && k["state"] == "active")
        })
        .and_then(|k| k["kid"].as_str())
        .expect("an active RS256 key")
        .to_owned();
    // Two upstream providers: one to read and change, one to delete.
    let mut providers = Vec::new();
    for slug in ["fuzz-idp", "fuzz-gone"] {
        let created = manage
            .call(
                reqwest::Method::POST,
                &format!("/tenants/{tenant}/upstream-providers"),
                Some(json!({
                    "slug": slug,
                    "display_name": "Fuzz IdP",
                    "issuer": "https://idp.fuzz.example",
                    "client_id": "fuzz",
                    "client_secret": "fuzz-secret",
                })),
            )
            .await;
        providers.push(created["id"].as_str().expect("provider id").to_owned());
    }
    // A block of the seeded tenant, lifted by the first DELETE (blocks are
    // made by the sentinel, not through the API: written to the database).
    let block = seed_block(&data, &tenant).await;
    // Two webhook endpoints: one to read, change and test (with a delivery,
    // its test event), one to delete.
    let mut webhooks = Vec::new();
    for host in ["hooks", "gone"] {
        let created = manage
            .call(
                reqwest::Method::POST,
                &format!("/tenants/{tenant}/webhooks"),
                Some(json!({
                    "url": format!("https://{host}.fuzz.example/in"),
                    "events": ["user.created"],
                })),
            )
            .await;
        webhooks.push(created["id"].as_str().expect("webhook id").to_owned());
    }
    let delivery = manage
        .call(
            reqwest::Method::POST,
            &format!("/tenants/{tenant}/webhooks/{}/test", webhooks[0]),
            None,
        )
        .await["delivery_id"]
        .as_str()
        .expect("delivery id")
        .to_owned();
    let platform = manage.tenant_id("platform").await;
    common::sign_up(&auth, "platform", "owner@fuzz.example", PASSWORD).await;
    let owner = manage.user_id(&platform, "owner@fuzz.example").await;
    manage
        .call(
            reqwest::Method::POST,
            &format!("/tenants/{tenant}/owners"),
            Some(json!({"email": "owner@fuzz.example"})),
        )
        .await;
    let billing_admin =
        billing_token(&manage, &platform, "fuzz operator", &["billing:admin"]).await;
    let billing_service = billing_token(
        &manage,
        &platform,
        "fuzz service",
        &["billing:usage", "billing:entitlements"],
    )
    .await;

    let env = [
        ("FUZZ_TENANT_ID", tenant.as_str()),
        ("FUZZ_USER_ID", user.as_str()),
        ("FUZZ_ERASE_USER_ID", erased.as_str()),
        ("FUZZ_OWNER_ID", owner.as_str()),
        ("FUZZ_CLIENT_ID", client.as_str()),
        ("FUZZ_KID", kid.as_str()),
        ("FUZZ_COMPROMISED_KID", compromised_kid.as_str()),
        ("FUZZ_PROVIDER_ID", providers[0].as_str()),
        ("FUZZ_ERASE_PROVIDER_ID", providers[1].as_str()),
        ("FUZZ_BLOCK_ID", block.as_str()),
        ("FUZZ_WEBHOOK_ID", webhooks[0].as_str()),
        ("FUZZ_ERASE_WEBHOOK_ID", webhooks[1].as_str()),
        ("FUZZ_DELIVERY_ID", delivery.as_str()),
    ];
    let billing_schema = format!("{billing}/v1/openapi.json");
    let manage_schema = format!("{auth}/manage/v1/openapi.json");
    eprintln!("seeded: tenant {tenant}, user {user}, owner {owner}, client {client}");
    let started = Instant::now();
    // Billing first: the management run may disable what billing's tokens need.
    let failures: Vec<String> = [
        ("billing, anonymous", &billing_schema, &billing, None),
        (
            "billing, operator (billing:admin)",
            &billing_schema,
            &billing,
            Some(billing_admin.as_str()),
        ),
        (
            "billing, service (billing:usage billing:entitlements)",
            &billing_schema,
            &billing,
            Some(billing_service.as_str()),
        ),
        (
            "management, operator",
            &manage_schema,
            &auth,
            Some(manage.token.as_str()),
        ),
    ]
    .into_iter()
    .filter_map(|(role, schema, base, token)| fuzz(root.path(), role, schema, base, token, &env))
    .collect();
    eprintln!("schemathesis: every run in {:.0?}", started.elapsed());

    let out = terminate(dev);
    assert!(
        out.status.success(),
        "graceful stop: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    assert!(
        failures.is_empty(),
        "schemathesis found contract failures:\n{}",
        failures.join("\n")
    );
}
