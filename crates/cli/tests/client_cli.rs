//! `connectauth client …` against real databases.
mod common;

use auth_server::domain::client::{verify_secret, ClientId};
use auth_server::domain::tenant::TenantId;
use auth_server::store::audit::AuditStore;
use auth_server::store::clients::ClientStore;
use common::{field, run, stderr, stdout, MASTER_KEYS};
use service_kit::both_engines;
use service_kit::db::{Engine, PoolSettings};
use service_kit::testing::TestDb;

async fn client_lifecycle(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);

    let not_migrated = cli(&["client", "list", "--tenant", "acme"]);
    assert_eq!(not_migrated.status.code(), Some(1));
    assert!(
        stderr(&not_migrated).contains("connectauth migrate"),
        "{}",
        stderr(&not_migrated)
    );
    assert!(cli(&["migrate", "auth"]).status.success());
    let tenant = cli(&["tenant", "create", "acme"]);
    assert!(tenant.status.success(), "{}", stderr(&tenant));
    let tenant_id = TenantId::parse(&field(&stdout(&tenant), "id")).expect("tenant id");

    let created = cli(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Acme web",
        "--redirect-uri",
        "https://acme.example/cb",
        "--redirect-uri",
        "http://127.0.0.1:8080/cb",
        "--grant",
        "authorization_code",
        "--grant",
        "refresh_token",
        "--grant",
        "client_credentials",
        "--scope",
        "openid profile",
        "--scope",
        "orders:read",
        "--first-party",
        "--resource",
        "connectauth-billing",
        "--resource",
        "https://orders.acme.example",
        "--no-pkce",
        "--privilege",
        "introspect:any",
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    let out = stdout(&created);
    assert!(
        out.contains("created confidential client \"Acme web\" in tenant acme"),
        "{out}"
    );
    assert_eq!(field(&out, "scopes"), "openid profile orders:read");
    assert_eq!(field(&out, "first party"), "true");
    assert_eq!(
        field(&out, "resources"),
        "connectauth-billing https://orders.acme.example"
    );
    assert_eq!(field(&out, "PKCE required"), "false");
    assert_eq!(field(&out, "privileges"), "introspect:any");
    let id = field(&out, "client_id");
    let secret = field(&out, "client_secret");
    assert!(id.starts_with("cli_") && secret.len() == 43, "{out}");
    assert!(
        stderr(&created).contains("shown only this once"),
        "{}",
        stderr(&created)
    );
    assert!(
        !stderr(&created).contains(&secret),
        "the secret goes to stdout only"
    );

    let public = cli(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Acme SPA",
        "--public",
        "--redirect-uri",
        "https://acme.example/spa",
    ]);
    assert!(public.status.success(), "{}", stderr(&public));
    assert!(stdout(&public).contains("client_secret: none"));
    assert_eq!(
        field(&stdout(&public), "scopes"),
        "openid profile email offline_access"
    );

    let list = cli(&["client", "list", "--tenant", "acme"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let listed = stdout(&list);
    assert!(
        listed.contains(&id) && listed.contains("Acme web") && listed.contains("Acme SPA"),
        "{listed}"
    );
    assert!(!listed.contains(&secret));

    let rotated = cli(&[
        "client",
        "rotate-secret",
        "--tenant",
        "acme",
        &id,
        "--overlap-secs",
        "3600",
    ]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let new_secret = field(&stdout(&rotated), "client_secret");
    assert_ne!(new_secret, secret);
    assert!(stdout(&rotated).contains("previous secret keeps working until"));
    assert!(stderr(&rotated).contains("shown only this once"));

    let database = service_kit::db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect");
    let client = ClientStore::new(database.pool.clone())
        .get(tenant_id, &ClientId::parse(&id).expect("id"))
        .await
        .expect("stored");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(verify_secret(&client, &new_secret, now));
    assert!(
        verify_secret(&client, &secret, now),
        "old secret valid during the overlap"
    );
    database.pool.close().await;

    let spa_id = field(&stdout(&public), "client_id");
    for (args, message) in [
        (
            vec!["client", "rotate-secret", "--tenant", "acme", &spa_id],
            "public client has no secret",
        ),
        (
            vec![
                "client",
                "rotate-secret",
                "--tenant",
                "acme",
                &id,
                "--overlap-secs",
                "-1",
            ],
            "invalid --overlap-secs",
        ),
        (
            vec![
                "client",
                "rotate-secret",
                "--tenant",
                "acme",
                &id,
                "--overlap-secs",
                "604801",
            ],
            "7 days",
        ),
        (
            vec!["client", "rotate-secret", "--tenant", "acme", "nope"],
            "invalid client id `nope`",
        ),
        (
            vec![
                "client",
                "rotate-secret",
                "--tenant",
                "acme",
                "cli_AAAAAAAAAAAAAAAAAAAAAA",
            ],
            "no client `cli_AAAAAAAAAAAAAAAAAAAAAA` in tenant acme",
        ),
        (
            vec!["client", "list", "--tenant", "nobody"],
            "no tenant with id or slug `nobody`",
        ),
        (
            vec![
                "client",
                "secret-compromised",
                "--tenant",
                "acme",
                &id,
                "--reason",
                " ",
            ],
            "--reason",
        ),
        (
            vec![
                "client",
                "secret-compromised",
                "--tenant",
                "acme",
                &spa_id,
                "--reason",
                "leaked",
            ],
            "public client has no secret",
        ),
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }

    // A leaked secret: replaced with no overlap, the incident recorded.
    let marked = cli(&[
        "client",
        "secret-compromised",
        "--tenant",
        "acme",
        &id,
        "--reason",
        "pasted in a ticket",
    ]);
    assert!(marked.status.success(), "{}", stderr(&marked));
    let replaced = field(&stdout(&marked), "client_secret");
    let database = service_kit::db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect");
    let client = ClientStore::new(database.pool.clone())
        .get(tenant_id, &ClientId::parse(&id).expect("id"))
        .await
        .expect("stored");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(verify_secret(&client, &replaced, now));
    assert!(
        !verify_secret(&client, &new_secret, now),
        "the compromised secret no longer works, overlap or not"
    );
    let audited = AuditStore::new(database.pool.clone())
        .recent(tenant_id, 10)
        .await
        .expect("audit");
    assert!(
        audited.iter().any(|e| e.kind == "sentinel"
            && e.outcome == "client_secret_compromised"
            && e.detail.contains("pasted in a ticket")),
        "{audited:?}"
    );
}
both_engines!(client_commands, client_lifecycle);

#[test]
fn bad_client_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", "sqlite://clients.db"),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);
    assert!(cli(&["migrate", "auth"]).status.success());
    assert!(cli(&["tenant", "create", "acme"]).status.success());
    let create = ["client", "create", "--tenant", "acme", "--name", "App"];
    for (extra, message) in [
        (
            &["--redirect-uri", "http://evil.example/cb"][..],
            "--redirect-uri: `http://evil.example/cb` must use https",
        ),
        (
            &["--redirect-uri", "https://acme.example/cb#frag"],
            "fragment",
        ),
        (&["--redirect-uri", "https://*.acme.example/cb"], "wildcard"),
        (&[], "authorization_code needs at least one redirect URI"),
        (
            &[
                "--redirect-uri",
                "https://acme.example/cb",
                "--grant",
                "implicit",
            ],
            "implicit grant is not allowed",
        ),
        (
            &[
                "--redirect-uri",
                "https://acme.example/cb",
                "--grant",
                "password",
            ],
            "password grant is not allowed",
        ),
        (
            &["--public", "--grant", "client_credentials"],
            "public client cannot use client_credentials",
        ),
        (
            &[
                "--redirect-uri",
                "https://acme.example/cb",
                "--scope",
                "a\"b",
            ],
            "invalid --scope",
        ),
        (
            &[
                "--redirect-uri",
                "https://acme.example/cb",
                "--resource",
                "https://api.acme.example/#x",
            ],
            "--resource: `https://api.acme.example/#x` must be 1 to 512 visible ASCII",
        ),
        (
            &[
                "--redirect-uri",
                "https://acme.example/cb",
                "--privilege",
                "admin",
            ],
            "--privilege: `admin` is not a privilege",
        ),
    ] {
        let mut args = create.to_vec();
        args.extend_from_slice(extra);
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    let blank = cli(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        " ",
        "--redirect-uri",
        "https://acme.example/cb",
    ]);
    assert!(
        stderr(&blank).contains("invalid --name"),
        "{}",
        stderr(&blank)
    );
    let listed = cli(&["client", "list", "--tenant", "acme"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(
        stdout(&listed).lines().count(),
        1,
        "only the header: {}",
        stdout(&listed)
    );
    for args in [
        &["client"][..],
        &["client", "create", "--tenant", "acme"],
        &["client", "rotate-secret", "--tenant", "acme"],
    ] {
        assert!(!cli(args).status.success(), "{args:?}");
    }
}
