//! `connectauth backup` and `connectauth restore` against real databases:
//! what was there at the backup comes back, tokens issued before it still
//! verify against the restored server's JWKS, and every bad file or target
//! is refused with the database left as it was.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use auth_server::domain::email::Email;
use auth_server::domain::tenant::TenantId;
use auth_server::store::users::UserStore;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{
    field, free_port, refused, run, spawn, stderr, stdout, terminate, wait_for, MASTER_KEYS,
};
use connectauth_verify::{KeySet, ValidationConfig, Validator};
use service_kit::both_engines;
use service_kit::db::{Engine, PoolSettings};
use service_kit::testing::TestDb;

const PASSWORD: &str = "correct horse battery staple";

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// The backup file `connectauth backup` wrote.
fn written(out: &str) -> PathBuf {
    PathBuf::from(
        out.lines()
            .find_map(|l| l.strip_prefix("wrote "))
            .unwrap_or_else(|| panic!("no `wrote` line in {out}")),
    )
}

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

/// `connectauth restore <service> --from <file> --yes`, off the test's
/// runtime thread: a pool the test closed lets go of its SQLite connections
/// through tasks of this runtime, which a blocking wait would hold up past
/// the restore's own wait for connections to let go.
async fn restore(dir: &Path, service: &str, from: &str, env: &[(&str, &str)]) -> Output {
    let (dir, service, from) = (dir.to_owned(), service.to_owned(), from.to_owned());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&dir, &["restore", &service, "--from", &from, "--yes"], &env)
    })
    .await
    .expect("restore ran")
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

async fn billing_comes_back(engine: Engine) {
    let auth_db = TestDb::new(engine).await;
    let billing_db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", auth_db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
        ("BILLING_DATABASE_URL", billing_db.url.as_str()),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);
    ok(cli(&["migrate"]), "migrate");
    ok(cli(&["tenant", "create", "acme"]), "tenant");
    let plan = |plan: &str| {
        ok(
            cli(&["billing", "set-plan", "--tenant", "acme", "--plan", plan]),
            "set-plan",
        )
    };
    let shown = || {
        field(
            &ok(cli(&["billing", "show", "--tenant", "acme"]), "show"),
            "plan",
        )
    };
    plan("pro");
    assert_eq!(shown(), "Pro (pro)");
    let file = dir.path().join("billing.cabackup");
    let out = ok(
        cli(&["backup", "billing", "--out", file.to_str().expect("utf-8")]),
        "backup",
    );
    assert_eq!(written(&out), file);
    plan("starter");
    assert_eq!(shown(), "Starter (starter)");

    // An auth backup is not restored into billing, nor billing's into auth.
    let auth_file = dir.path().join("auth.cabackup");
    ok(
        cli(&[
            "backup",
            "auth",
            "--out",
            auth_file.to_str().expect("utf-8"),
        ]),
        "auth backup",
    );
    let wrong = cli(&[
        "restore",
        "billing",
        "--from",
        auth_file.to_str().expect("utf-8"),
        "--yes",
    ]);
    refused(
        &wrong,
        "a backup of the auth database: it cannot be restored into the billing database",
    );
    let wrong = cli(&[
        "restore",
        "auth",
        "--from",
        file.to_str().expect("utf-8"),
        "--yes",
    ]);
    refused(&wrong, "a backup of the billing database");
    assert_eq!(shown(), "Starter (starter)");

    ok(
        cli(&[
            "restore",
            "billing",
            "--from",
            file.to_str().expect("utf-8"),
            "--yes",
        ]),
        "restore",
    );
    assert_eq!(shown(), "Pro (pro)", "the subscription at the backup");
}

both_engines!(billing_backup_and_restore, billing_comes_back);

/// This release's auth migrations for `engine`, in order.
fn auth_migrations(engine: Engine) -> Vec<PathBuf> {
    let dialect = match engine {
        Engine::Postgres => "postgres",
        Engine::Sqlite => "sqlite",
    };
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../migrations/auth/{dialect}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

/// The versions of the migrations `files` (their names' leading number).
fn versions(files: &[PathBuf]) -> Vec<i64> {
    files
        .iter()
        .map(|f| {
            let name = f.file_name().and_then(|n| n.to_str()).expect("name");
            name.split('_')
                .next()
                .expect("version")
                .parse()
                .expect("a number")
        })
        .collect()
}

/// The database as the release before this one left it: every migration
/// but the newest applied.
async fn migrate_as_the_previous_release(engine: Engine, url: &str) {
    let mut files = auth_migrations(engine);
    files.pop();
    let older = tempfile::tempdir().expect("tempdir");
    for file in &files {
        std::fs::copy(file, older.path().join(file.file_name().expect("name"))).expect("copy");
    }
    let migrator = sqlx::migrate::Migrator::new(older.path())
        .await
        .expect("the older migrations");
    let db = service_kit::db::connect(url, PoolSettings::default())
        .await
        .expect("connect");
    migrator
        .run(&db.pool)
        .await
        .expect("older migrations applied");
    db.pool.close().await;
}

/// The versions of the migrations applied to the database at `url`.
async fn applied(url: &str) -> Vec<i64> {
    let db = service_kit::db::connect(url, PoolSettings::default())
        .await
        .expect("connect");
    let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&db.pool)
        .await
        .expect("applied migrations");
    db.pool.close().await;
    versions
}

/// A backup of the previous release restores over a database this release
/// migrated, and comes up to date.
async fn older_backup_comes_up_to_date(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);
    migrate_as_the_previous_release(engine, &db.url).await;
    let all = versions(&auth_migrations(engine));
    assert_eq!(applied(&db.url).await, all[..all.len() - 1]);
    ok(
        cli(&["tenant", "create", "acme"]),
        "tenant on the older schema",
    );
    let file = dir.path().join("older.cabackup");
    let file = file.to_str().expect("utf-8");
    ok(cli(&["backup", "auth", "--out", file]), "backup");
    ok(cli(&["migrate", "auth"]), "this release's migrations");
    ok(cli(&["tenant", "create", "beta"]), "a change after it");

    ok(restore(dir.path(), "auth", file, &env).await, "restore");
    let list = ok(cli(&["tenant", "list"]), "tenants");
    assert!(list.contains("acme") && !list.contains("beta"), "{list}");
    assert_eq!(applied(&db.url).await, all, "brought up to this release");
}

both_engines!(older_backups, older_backup_comes_up_to_date);

/// Every bad file or target is refused before the database is touched.
async fn bad_backups_are_refused(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);
    ok(cli(&["migrate", "auth"]), "migrate");
    ok(cli(&["tenant", "create", "acme"]), "tenant");
    let good = dir.path().join("good.cabackup");
    let path = |p: &Path| p.to_str().expect("utf-8").to_owned();
    ok(cli(&["backup", "auth", "--out", &path(&good)]), "backup");
    ok(cli(&["tenant", "create", "beta"]), "a change after it");
    let bytes = std::fs::read(&good).expect("backup");
    let restore_with = |file: &Path, env: &[(&str, &str)]| {
        run(
            dir.path(),
            &["restore", "auth", "--from", &path(file), "--yes"],
            env,
        )
    };
    let restore = |file: &Path| restore_with(file, &env);
    let unchanged = || {
        let list = ok(cli(&["tenant", "list"]), "tenants");
        assert!(list.contains("beta"), "the database is unchanged: {list}");
    };

    let tampered = dir.path().join("tampered.cabackup");
    let mut changed = bytes.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 0x40;
    std::fs::write(&tampered, &changed).expect("write");
    refused(&restore(&tampered), "does not authenticate");
    unchanged();

    let truncated = dir.path().join("truncated.cabackup");
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).expect("write");
    refused(&restore(&truncated), "does not authenticate");
    unchanged();

    let not_backup = dir.path().join("notes.txt");
    std::fs::write(&not_backup, "not a backup").expect("write");
    refused(&restore(&not_backup), "not a ConnectAuth backup file");

    // The same key id with another secret, and a ring without the key.
    let other = format!("k1:{}", service_kit::secret::generate().expect("csprng"));
    let wrong_key = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", other.as_str()),
    ];
    refused(
        &restore_with(&good, &wrong_key),
        "not the key this backup was encrypted with",
    );
    let without = format!("k9:{}", service_kit::secret::generate().expect("csprng"));
    let unknown_key = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", without.as_str()),
    ];
    refused(
        &restore_with(&good, &unknown_key),
        "encrypted with master key `k1`, which is not in AUTH_MASTER_KEYS",
    );
    unchanged();

    // A backup of the other engine's database.
    let other_db = TestDb::new(match engine {
        Engine::Postgres => Engine::Sqlite,
        Engine::Sqlite => Engine::Postgres,
    })
    .await;
    let other_env = [
        ("AUTH_DATABASE_URL", other_db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    ok(
        run(dir.path(), &["migrate", "auth"], &other_env),
        "migrate the other",
    );
    let other_file = dir.path().join("other.cabackup");
    ok(
        run(
            dir.path(),
            &["backup", "auth", "--out", &path(&other_file)],
            &other_env,
        ),
        "backup of the other engine",
    );
    refused(
        &restore(&other_file),
        "a backup restores only into the engine it was taken from",
    );
    unchanged();

    // Without --yes and without a terminal to ask on, nothing happens.
    let unconfirmed = run(
        dir.path(),
        &["restore", "auth", "--from", &path(&good)],
        &env,
    );
    refused(&unconfirmed, "pass --yes to confirm");
    unchanged();

    if engine == Engine::Postgres {
        // Without PostgreSQL's client tools, the command says what to install.
        let no_tools = tempfile::tempdir().expect("tempdir");
        let bare = [
            ("AUTH_DATABASE_URL", db.url.as_str()),
            ("AUTH_MASTER_KEYS", MASTER_KEYS),
            ("PATH", no_tools.path().to_str().expect("utf-8")),
        ];
        let out = dir.path().join("never.cabackup");
        refused(
            &run(dir.path(), &["backup", "auth", "--out", &path(&out)], &bare),
            "`pg_dump` was not found: install the PostgreSQL client tools",
        );
        assert!(!out.exists());
        refused(&restore_with(&good, &bare), "`pg_restore` was not found");
        unchanged();
    }

    if engine == Engine::Sqlite {
        // A server (here, an open pool) holds the file: refused.
        let open = service_kit::db::connect(&db.url, PoolSettings::default())
            .await
            .expect("open");
        connected(&open).await;
        refused(&restore(&good), "is in use");
        open.pool.close().await;
        unchanged();
    }

    ok(restore(&good), "the good backup restores");
    let list = ok(cli(&["tenant", "list"]), "tenants");
    assert!(list.contains("acme") && !list.contains("beta"), "{list}");
}

/// Makes the pool open a connection (pools connect lazily after the first).
async fn connected(db: &service_kit::db::Database) {
    assert!(service_kit::db::is_ready(&db.pool, std::time::Duration::from_secs(5)).await);
}

both_engines!(refusals, bad_backups_are_refused);
