//! `connectauth keys …` against a real database: listed, rotated, revoked,
//! resealed; a key marked compromised (both engines) is revoked and
//! replaced, its incident recorded with its alert waiting for the running
//! server to mail it; a revoked, unknown or other tenant's key, or a bad
//! reason, is refused with nothing changed.
mod common;

use auth_server::store::reported_incidents::ReportedIncidentStore;
use auth_server::store::sentinel::SentinelStore;
use auth_server::store::tenants::TenantStore;
use common::{run, stderr, stdout, MASTER_KEYS};
use service_kit::both_engines;
use service_kit::db::{self, Engine, PoolSettings};
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

/// The `keys list` lines of `tenant` as (kid, alg, state).
fn listed(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    tenant: &str,
) -> Vec<(String, String, String)> {
    let out = run(dir, &["keys", "list", "--tenant", tenant], env);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            Some((
                cols.next()?.to_owned(),
                cols.next()?.to_owned(),
                cols.next()?.to_owned(),
            ))
        })
        .collect()
}

fn kid(keys: &[(String, String, String)], alg: &str, state: &str) -> String {
    keys.iter()
        .find(|(_, a, s)| a == alg && s == state)
        .map(|(k, _, _)| k.clone())
        .unwrap_or_else(|| panic!("no {state} {alg} key in {keys:?}"))
}

async fn a_compromised_key_is_replaced_and_its_alert_waits(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    assert!(run(dir.path(), &["migrate", "auth"], &env).status.success());
    for slug in ["acme", "other"] {
        assert!(run(dir.path(), &["tenant", "create", slug], &env)
            .status
            .success());
    }
    let before = listed(dir.path(), &env, "acme");
    let active = kid(&before, "ES256", "active");
    let next = kid(&before, "ES256", "next");
    let theirs = kid(&listed(dir.path(), &env, "other"), "ES256", "active");
    let compromised = |tenant: &str, kid: &str, reason: &str| {
        run(
            dir.path(),
            &[
                "keys",
                "compromised",
                "--tenant",
                tenant,
                kid,
                "--reason",
                reason,
            ],
            &env,
        )
    };

    for (tenant, kid, reason, message) in [
        ("acme", active.as_str(), " ", "--reason"),
        ("acme", active.as_str(), "two\nlines", "--reason"),
        (
            "acme",
            "no-such-kid",
            "leaked",
            "no signing key `no-such-kid`",
        ),
        ("acme", theirs.as_str(), "leaked", "no signing key"),
        (
            "nobody",
            active.as_str(),
            "leaked",
            "no tenant with slug `nobody`",
        ),
    ] {
        let out = compromised(tenant, kid, reason);
        assert_eq!(out.status.code(), Some(1), "{tenant} {kid} {reason:?}");
        assert!(
            stderr(&out).contains(message),
            "{message}: {}",
            stderr(&out)
        );
    }
    assert_eq!(listed(dir.path(), &env, "acme"), before, "nothing changed");

    let out = compromised("acme", &active, "key file left on a shared drive");
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert!(
        printed.contains(&format!("revoked the compromised ES256 key {active}")),
        "{printed}"
    );
    let after = listed(dir.path(), &env, "acme");
    let new = kid(&after, "ES256", "active");
    assert!(
        printed.contains(&format!("now signing with {new}")),
        "{printed}"
    );
    assert!(new != active && new != next, "a key made now signs");
    for gone in [&active, &next] {
        assert!(
            after.iter().any(|(k, _, s)| k == gone && s == "revoked"),
            "{gone}: {after:?}"
        );
    }
    assert_eq!(
        kid(&listed(dir.path(), &env, "other"), "ES256", "active"),
        theirs,
        "the other tenant's keys are untouched"
    );

    // The incident is recorded; its alert waits for the running server.
    let database = db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect");
    let acme = TenantStore::new(database.pool.clone())
        .get_by_slug("acme")
        .await
        .expect("acme");
    let incidents = SentinelStore::new(database.pool.clone());
    assert_eq!(
        incidents
            .incident_count(acme.id, "signing_key_compromised")
            .await
            .expect("count"),
        1
    );
    let due = ReportedIncidentStore::new(database.pool.clone())
        .due()
        .await
        .expect("due");
    assert_eq!(due.len(), 1, "{due:?}");
    assert!(due[0].alert.contains("key file left on a shared drive"));
    assert!(due[0].alert.contains(&active));

    // Once revoked, it is refused and opens no second incident.
    let again = compromised("acme", &active, "again");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("revoked already"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        incidents
            .incident_count(acme.id, "signing_key_compromised")
            .await
            .expect("count"),
        1
    );
}
both_engines!(
    keys_compromised,
    a_compromised_key_is_replaced_and_its_alert_waits
);
