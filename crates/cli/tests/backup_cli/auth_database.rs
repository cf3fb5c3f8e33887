//! The auth database comes back: tenants, users, clients and signing keys
//! as they were at the backup, and a token issued before it verifies
//! against the restored server's JWKS.
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use auth_server::domain::email::Email;
use auth_server::domain::tenant::TenantId;
use auth_server::store::users::UserStore;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use connectauth_verify::{KeySet, ValidationConfig, Validator};
use service_kit::both_engines;
use service_kit::db::{Engine, PoolSettings};
use service_kit::testing::TestDb;

use super::{ok, restore, written};
use crate::common::{
    self, field, free_port, refused, run, spawn, stderr, terminate, wait_for, MASTER_KEYS,
};

const PASSWORD: &str = "correct horse battery staple";

/// `connectauth serve auth` on a free port; its base URL once ready.
async fn serve_auth(dir: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = common::bin();
    cmd.current_dir(dir)
        .args(["serve", "auth"])
        .env("AUTH_BIND", format!("127.0.0.1:{port}"))
        .env("AUTH_PUBLIC_URL", &base)
        .env(
            "AUTH_ADMIN_TOKEN",
            service_kit::secret::generate().expect("csprng"),
        );
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = spawn(cmd);
    wait_for(&format!("{base}/readyz"), 200).await;
    (child, base)
}

/// A client-credentials access token of tenant `acme`.
async fn client_token(base: &str, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/t/acme/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token endpoint")
}

/// Validates `token` as a relying party would, against `base`'s JWKS now.
async fn verify(base: &str, token: &str) -> Result<(), String> {
    let jwks = reqwest::get(format!("{base}/t/acme/jwks.json"))
        .await
        .expect("jwks")
        .text()
        .await
        .expect("jwks body");
    let keys = KeySet::from_jwks_json(&jwks).expect("a JWKS");
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
            .expect("claims");
    let audience = match &claims["aud"] {
        serde_json::Value::Array(all) => all[0].as_str().expect("aud").to_owned(),
        one => one.as_str().expect("aud").to_owned(),
    };
    let validator = Validator::new(ValidationConfig {
        issuer: claims["iss"].as_str().expect("iss").to_owned(),
        audience,
        ..ValidationConfig::default()
    })
    .expect("validator");
    validator
        .validate(token, &keys)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The users of `tenant` (read and let go: an open SQLite pool would make
/// `restore` refuse the database as in use).
async fn users(url: &str, tenant: &TenantId, email: &str) -> (i64, bool) {
    let db = service_kit::db::connect(url, PoolSettings::default())
        .await
        .expect("the auth database");
    let store = UserStore::new(db.pool.clone());
    let count = store.count(*tenant).await.expect("count");
    let found = store
        .find_by_email(*tenant, &Email::parse(email).expect("email"))
        .await
        .expect("lookup")
        .is_some();
    db.pool.close().await;
    (count, found)
}

async fn auth_comes_back(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);

    ok(cli(&["migrate", "auth"]), "migrate");
    let tenant = ok(cli(&["tenant", "create", "acme"]), "tenant");
    let tenant_id = TenantId::parse(&field(&tenant, "id")).expect("tenant id");
    let client = ok(
        cli(&[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "Backend",
            "--grant",
            "client_credentials",
            "--scope",
            "orders:read",
        ]),
        "client",
    );
    let (client_id, secret) = (field(&client, "client_id"), field(&client, "client_secret"));
    let keys_before = ok(cli(&["keys", "list", "--tenant", "acme"]), "keys");

    let (server, base) = serve_auth(dir.path(), &env).await;
    common::sign_up(&base, "acme", "kept@acme.example", PASSWORD).await;
    let issued = client_token(&base, &client_id, &secret).await;
    assert_eq!(issued.status().as_u16(), 200);
    let issued: serde_json::Value = issued.json().await.expect("token json");
    let token = issued["access_token"].as_str().expect("token").to_owned();
    verify(&base, &token).await.expect("verifies before");

    // A backup while the server runs: SQLite's copy is taken live too.
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).expect("backups dir");
    let out = ok(
        cli(&["backup", "auth", "--out", backups.to_str().expect("utf-8")]),
        "backup",
    );
    let file = written(&out);
    let name = file.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        name.starts_with("connectauth-auth-") && name.ends_with("Z.cabackup"),
        "{name}"
    );
    assert_eq!(field(&out, "master key").split(' ').next(), Some("k1"));
    let bytes = std::fs::read(&file).expect("backup file");
    assert!(bytes.starts_with(b"CABACKUP"));
    assert!(
        !bytes.windows(7).any(|w| w == b"acme.ex"),
        "no plaintext in the file"
    );
    let again = cli(&["backup", "auth", "--out", file.to_str().expect("utf-8")]);
    refused(&again, "already exists");

    // After the backup: another user and tenant, the client's secret
    // replaced, the token's signing key revoked.
    common::sign_up(&base, "acme", "later@acme.example", PASSWORD).await;
    let kid = keys_before
        .lines()
        .find(|l| l.contains("ES256") && l.contains("active"))
        .and_then(|l| l.split_whitespace().next())
        .expect("the active ES256 kid")
        .to_owned();
    ok(cli(&["keys", "revoke", "--tenant", "acme", &kid]), "revoke");
    ok(
        cli(&["client", "rotate-secret", "--tenant", "acme", &client_id]),
        "rotate",
    );
    ok(cli(&["tenant", "create", "beta"]), "second tenant");
    // The server learns of changes made by another process within its
    // cache bound: poll until it has.
    let deadline = Instant::now() + Duration::from_secs(15);
    while verify(&base, &token).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "revoked: the token no longer verifies"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while client_token(&base, &client_id, &secret)
        .await
        .status()
        .as_u16()
        != 401
    {
        assert!(
            Instant::now() < deadline,
            "rotated: the old secret is refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = terminate(server);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        users(&db.url, &tenant_id, "later@acme.example").await,
        (2, true)
    );

    let restored = restore(dir.path(), "auth", file.to_str().expect("utf-8"), &env).await;
    let restored = ok(restored, "restore");
    assert!(restored.contains("restored"), "{restored}");

    assert_eq!(
        users(&db.url, &tenant_id, "later@acme.example").await,
        (1, false)
    );
    assert!(users(&db.url, &tenant_id, "kept@acme.example").await.1);
    let list = ok(cli(&["tenant", "list"]), "tenants");
    assert!(list.contains("acme") && !list.contains("beta"), "{list}");
    let clients = ok(cli(&["client", "list", "--tenant", "acme"]), "clients");
    assert!(clients.contains(&client_id), "{clients}");
    let keys_after = ok(cli(&["keys", "list", "--tenant", "acme"]), "keys");
    assert!(
        keys_after
            .lines()
            .any(|l| l.starts_with(&kid) && l.contains("active")),
        "{keys_after}"
    );

    let (server, base) = serve_auth(dir.path(), &env).await;
    verify(&base, &token)
        .await
        .expect("a token issued before the backup verifies against the restored JWKS");
    let old_secret = client_token(&base, &client_id, &secret).await;
    assert_eq!(
        old_secret.status().as_u16(),
        200,
        "the client's secret at the backup works again"
    );
    let out = terminate(server);
    assert!(out.status.success(), "{}", stderr(&out));
}

both_engines!(auth_backup_and_restore, auth_comes_back);
