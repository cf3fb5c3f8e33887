//! `connectauth tenant add-owner|owners|remove-owner` against real databases.
mod common;

use auth_server::domain::display_name::DisplayName;
use auth_server::domain::email::Email;
use auth_server::domain::user::UserMetadata;
use auth_server::store::tenants::TenantStore;
use auth_server::store::users::{NewUser, UserStore};
use common::{run, stderr, stdout};
use service_kit::both_engines;
use service_kit::db::Engine;
use service_kit::testing::TestDb;

const MASTER: &str = "k1:q9Dq0V3bVv6n0mJm0l3cS8jE4o5v0X9aYb3cXk2mL1E";

/// A user of the `platform` tenant, as if they had signed up.
async fn platform_user(url: &str, email: &str) {
    let pool = service_kit::db::connect(url, service_kit::db::PoolSettings::default())
        .await
        .expect("pool")
        .pool;
    let platform = TenantStore::new(pool.clone())
        .get_by_slug("platform")
        .await
        .expect("the platform tenant exists");
    UserStore::new(pool.clone())
        .create(
            NewUser {
                tenant_id: platform.id,
                email: Email::parse(email).expect("email"),
                username: None,
                display_name: DisplayName::parse("Owner").expect("name"),
                password_hash: Some(
                    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
                ),
                metadata: UserMetadata::parse(serde_json::json!({})).expect("metadata"),
            },
            0,
        )
        .await
        .expect("user");
    pool.close().await;
}

async fn owners_lifecycle(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER),
    ];
    let tenant = |args: &[&str]| {
        let mut all = vec!["tenant"];
        all.extend_from_slice(args);
        run(dir.path(), &all, &env)
    };
    assert!(run(dir.path(), &["migrate", "auth"], &env).status.success());
    assert!(tenant(&["create", "acme"]).status.success());
    assert!(tenant(&["create", "globex"]).status.success());

    // Nobody with that email has signed up to the platform yet.
    let unknown = tenant(&["add-owner", "acme", "--email", "olga@example.com"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("/t/platform/signup"),
        "{}",
        stderr(&unknown)
    );
    platform_user(&db.url, "olga@example.com").await;

    let added = tenant(&["add-owner", "acme", "--email", "Olga@Example.com"]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("olga@example.com is now a member of acme (owner)"),
        "{}",
        stdout(&added)
    );
    let again = tenant(&[
        "add-owner",
        "acme",
        "--email",
        "olga@example.com",
        "--role",
        "viewer",
    ]);
    assert!(
        stdout(&again).contains("was already a member of acme (owner; unchanged)"),
        "{}",
        stdout(&again)
    );
    let list = tenant(&["owners", "acme"]);
    assert!(
        stdout(&list).contains("olga@example.com"),
        "{}",
        stdout(&list)
    );
    let other = tenant(&["owners", "globex"]);
    assert!(
        stdout(&other).contains("globex has no owners"),
        "{}",
        stdout(&other)
    );

    for (args, message) in [
        (
            vec!["add-owner", "nope", "--email", "olga@example.com"],
            "no tenant",
        ),
        (
            vec!["add-owner", "acme", "--email", "not-an-email"],
            "email",
        ),
        (
            vec!["add-owner", "platform", "--email", "olga@example.com"],
            "platform tenant",
        ),
        (
            vec!["remove-owner", "globex", "--email", "olga@example.com"],
            "not an owner",
        ),
        (
            vec![
                "add-owner",
                "acme",
                "--email",
                "olga@example.com",
                "--role",
                "root",
            ],
            "--role: role must be owner, admin or viewer",
        ),
        // The tenant's only owner stays.
        (
            vec!["remove-owner", "acme", "--email", "olga@example.com"],
            "last owner",
        ),
    ] {
        let out = tenant(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    // With a second owner, the first may go; a viewer may always go.
    platform_user(&db.url, "pia@example.com").await;
    platform_user(&db.url, "vic@example.com").await;
    let pia = tenant(&["add-owner", "acme", "--email", "pia@example.com"]);
    assert!(pia.status.success(), "{}", stderr(&pia));
    let vic = tenant(&[
        "add-owner",
        "acme",
        "--email",
        "vic@example.com",
        "--role",
        "viewer",
    ]);
    assert!(
        stdout(&vic).contains("vic@example.com is now a member of acme (viewer)"),
        "{}",
        stdout(&vic)
    );
    for email in ["olga@example.com", "vic@example.com"] {
        let removed = tenant(&["remove-owner", "acme", "--email", email]);
        assert!(removed.status.success(), "{}", stderr(&removed));
    }
    let list = stdout(&tenant(&["owners", "acme"]));
    assert!(list.contains("pia@example.com  owner"), "{list}");
    assert!(
        !list.contains("olga@example.com") && !list.contains("vic@example.com"),
        "{list}"
    );
}
both_engines!(owners_cli, owners_lifecycle);
