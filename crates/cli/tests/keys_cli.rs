//! `connectauth keys …` against a real database.
mod common;

use common::{run, stderr, stdout};
use service_kit::db::Engine;
use service_kit::testing::TestDb;

#[tokio::test]
async fn keys_are_listed_rotated_revoked_and_resealed() {
    let db = TestDb::new(Engine::Sqlite).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let old = format!("k1:{}", service_kit::secret::generate().expect("csprng"));
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", old.as_str()),
    ];
    assert!(run(dir.path(), &["migrate", "auth"], &env).status.success());
    assert!(run(dir.path(), &["tenant", "create", "acme"], &env)
        .status
        .success());

    let list = run(dir.path(), &["keys", "list", "--tenant", "acme"], &env);
    assert!(list.status.success(), "{}", stderr(&list));
    let listed = stdout(&list);
    for expected in ["RS256", "ES256", "active", "next"] {
        assert!(listed.contains(expected), "{expected} in {listed}");
    }
    // A next key must have been published longer than a JWKS cache lives.
    let too_soon = run(
        dir.path(),
        &["keys", "rotate", "--tenant", "acme", "--alg", "ES256"],
        &env,
    );
    assert_eq!(
        too_soon.status.code(),
        Some(1),
        "refused while the next key is too young"
    );
    let bad_alg = run(
        dir.path(),
        &["keys", "rotate", "--tenant", "acme", "--alg", "HS256"],
        &env,
    );
    assert!(stderr(&bad_alg).contains("--alg must be"));

    let active_kid = listed
        .lines()
        .find(|l| l.contains("ES256") && l.contains("active"))
        .and_then(|l| l.split_whitespace().next())
        .expect("active ES256 kid")
        .to_owned();
    let revoked = run(
        dir.path(),
        &["keys", "revoke", "--tenant", "acme", &active_kid],
        &env,
    );
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let after = stdout(&run(
        dir.path(),
        &["keys", "list", "--tenant", "acme"],
        &env,
    ));
    assert!(
        after
            .lines()
            .any(|l| l.starts_with(&active_kid) && l.contains("revoked")),
        "{after}"
    );

    // Master-key rotation: new key first, old kept, reseal, then the old can go.
    let new = format!("k2:{}", service_kit::secret::generate().expect("csprng"));
    let both = format!("{new},{old}");
    let resealed = run(
        dir.path(),
        &["keys", "reseal"],
        &[
            ("AUTH_DATABASE_URL", db.url.as_str()),
            ("AUTH_MASTER_KEYS", both.as_str()),
        ],
    );
    assert!(
        stdout(&resealed).contains("under master key `k2`"),
        "{}",
        stderr(&resealed)
    );
    let only_new = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", new.as_str()),
    ];
    let reseal_again = run(dir.path(), &["keys", "reseal"], &only_new);
    assert!(
        reseal_again.status.success(),
        "keys open with the new master key alone: {}",
        stderr(&reseal_again)
    );
    let missing = run(
        dir.path(),
        &["keys", "list", "--tenant", "nobody"],
        &only_new,
    );
    assert!(stderr(&missing).contains("no tenant with slug `nobody`"));
}
