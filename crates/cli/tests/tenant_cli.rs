//! `connectauth migrate` and `connectauth tenant …` against real databases.
mod common;

use common::{run, stderr, stdout, MASTER_KEYS};
use service_kit::both_engines;
use service_kit::db::Engine;
use service_kit::testing::TestDb;

async fn tenant_lifecycle(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    let tenant = |args: &[&str]| {
        let mut all = vec!["tenant"];
        all.extend_from_slice(args);
        run(dir.path(), &all, &env)
    };

    let not_migrated = tenant(&["list"]);
    assert!(!not_migrated.status.success());
    assert!(
        stderr(&not_migrated).contains("connectauth migrate"),
        "{}",
        stderr(&not_migrated)
    );

    let migrated = run(dir.path(), &["migrate", "auth"], &env);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    assert!(stdout(&migrated).contains("auth: migrations applied"));

    let created = tenant(&[
        "create",
        "acme",
        "--name",
        "Acme Inc",
        "--settings",
        r##"{"brand_color":"#fff"}"##,
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("created tenant acme"));

    let dup = tenant(&["create", "acme"]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(
        stderr(&dup).contains("tenant slug `acme` is already taken"),
        "{}",
        stderr(&dup)
    );

    for (slug, message) in [
        ("Bad_Slug", "may contain only lowercase"),
        ("ab", "3 to 40 characters"),
        ("platform", "is reserved"),
        ("-acme", "start and end"),
    ] {
        let out = tenant(&["create", "--", slug]);
        assert_eq!(out.status.code(), Some(1), "{slug}");
        assert!(stderr(&out).contains(message), "{slug}: {}", stderr(&out));
    }
    let bad_settings = tenant(&["create", "other", "--settings", "[1]"]);
    assert!(stderr(&bad_settings).contains("must be a JSON object"));
    let unknown = tenant(&["create", "other", "--settings", r##"{"color":"#fff"}"##]);
    assert!(
        stderr(&unknown).contains("`color` is not a setting"),
        "{}",
        stderr(&unknown)
    );
    let not_json = tenant(&["create", "other", "--settings", "{"]);
    assert!(stderr(&not_json).contains("--settings is not JSON"));

    let list = tenant(&["list"]);
    assert!(list.status.success());
    let listed = stdout(&list);
    assert!(listed.contains("acme") && listed.contains("Acme Inc") && listed.contains("active"));
    assert!(
        !listed.contains("other"),
        "refused tenants were not written"
    );

    let shown = tenant(&["show", "acme"]);
    assert!(stdout(&shown).contains("display name: Acme Inc"));
    let id = stdout(&shown)
        .lines()
        .find_map(|l| l.strip_prefix("id:"))
        .map(|s| s.trim().to_owned())
        .expect("id line");
    assert!(stdout(&tenant(&["show", &id])).contains("slug:         acme"));

    // Settings change by merge patch: named keys change, the others stay.
    let changed = tenant(&[
        "settings",
        "acme",
        r#"{"require_mfa": true, "lockout_threshold": 8}"#,
    ]);
    assert!(changed.status.success(), "{}", stderr(&changed));
    let shown = stdout(&tenant(&["show", "acme"]));
    assert!(
        shown.contains(r##"{"brand_color":"#fff","require_mfa":true,"lockout_threshold":8}"##),
        "{shown}"
    );
    for (patch, message) in [
        (
            r#"{"require_mfa": "true"}"#,
            "`require_mfa` must be true or false",
        ),
        (r#"{"lockout_threshold": 0}"#, "from 1 to 100"),
        (r#"{"nope": 1}"#, "`nope` is not a setting"),
        ("{", "the patch is not JSON"),
    ] {
        let out = tenant(&["settings", "acme", patch]);
        assert_eq!(out.status.code(), Some(1), "{patch}");
        assert!(stderr(&out).contains(message), "{patch}: {}", stderr(&out));
    }
    let removed = tenant(&["settings", "acme", r#"{"lockout_threshold": null}"#]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(stdout(&tenant(&["show", "acme"]))
        .contains(r##"{"brand_color":"#fff","require_mfa":true}"##));

    let disabled = tenant(&["disable", "acme"]);
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    assert!(stdout(&tenant(&["show", "acme"])).contains("status:       disabled"));

    let missing = tenant(&["show", "nobody"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no tenant with id or slug `nobody`"));
}
both_engines!(tenant_commands, tenant_lifecycle);

#[test]
fn unreachable_database_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = common::free_port().to_string();
    let url = format!("postgres://postgres:hunter2@127.0.0.1:{port}/nowhere");
    let out = run(
        dir.path(),
        &["tenant", "list"],
        &[
            ("AUTH_DATABASE_URL", &url),
            ("AUTH_MASTER_KEYS", MASTER_KEYS),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot connect to the Postgres database"),
        "{err}"
    );
    assert!(
        !err.contains("hunter2"),
        "the password never reaches the output"
    );
}

#[test]
fn bad_database_url_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for url in ["mysql://db/x", "not a url"] {
        let out = run(
            dir.path(),
            &["migrate", "auth"],
            &[("AUTH_DATABASE_URL", url)],
        );
        assert_eq!(out.status.code(), Some(1), "{url}");
        assert!(
            stderr(&out).contains("is not a database URL"),
            "{url}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn unknown_subcommands_and_arguments_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["nope"][..],
        &["serve", "mail"],
        &["tenant"],
        &["tenant", "list", "--limit", "x"],
    ] {
        let out = run(dir.path(), args, &[]);
        assert!(!out.status.success(), "{args:?}");
    }
    let zero = run(
        dir.path(),
        &["tenant", "list", "--limit", "0"],
        &[
            ("AUTH_DATABASE_URL", "sqlite://t.db"),
            ("AUTH_MASTER_KEYS", MASTER_KEYS),
        ],
    );
    assert_eq!(zero.status.code(), Some(1));
}
