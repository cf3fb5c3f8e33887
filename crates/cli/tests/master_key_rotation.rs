//! The master-key rotation runbook (docs/operations.md) with every kind of
//! sealed value present: a TOTP seed, an upstream provider's client secret,
//! a user's provider tokens, a webhook endpoint's current and previous
//! secrets, and the signing keys. `connectauth keys reseal` with the new key
//! first reseals all of them; afterwards the new key alone opens every one,
//! to the same plaintext, so the old key can leave the ring and nobody
//! re-enrols or is signed out. A value no key opens stops the reseal with a
//! message naming it.
mod common;

use auth_server::domain::display_name::DisplayName;
use auth_server::domain::email::Email;
use auth_server::domain::user::UserMetadata;
use auth_server::keys::sealed::MasterKeys;
use auth_server::store::tenants::TenantStore;
use auth_server::store::users::{NewUser, UserStore};
use common::{run, run_with_input, stderr, stdout};
use service_kit::both_engines;
use service_kit::db::{self, Engine, PoolSettings};
use service_kit::secret::Secret;
use service_kit::testing::TestDb;
use sqlx::Row;

const URL: &str = "https://hooks.acme.example/in";

fn ring(spec: &str) -> MasterKeys {
    let entries: Vec<(String, Secret)> = spec
        .split(',')
        .map(|entry| {
            let (id, key) = entry.split_once(':').expect("id:key");
            (id.to_owned(), Secret::new(key.to_owned()))
        })
        .collect();
    MasterKeys::new(&entries).expect("ring")
}

fn after(out: &str, prefix: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split([' ', ':']).next())
        .unwrap_or_default()
        .to_owned()
}

/// Every sealed value of the database: (column, owner it is bound to, sealed).
async fn sealed_values(pool: &sqlx::AnyPool) -> Vec<(&'static str, String, String)> {
    let mut all = Vec::new();
    for (what, sql) in [
        (
            "totp",
            "SELECT 'totp:' || tenant_id || ':' || id AS owner, totp_secret AS v FROM users WHERE totp_secret IS NOT NULL",
        ),
        (
            "upstream secret",
            "SELECT 'upstream-secret:' || tenant_id || ':' || id AS owner, client_secret_sealed AS v FROM upstream_providers",
        ),
        (
            "upstream tokens",
            "SELECT 'upstream-tokens:' || provider_id || ':' || subject AS owner, tokens_sealed AS v FROM upstream_identities WHERE tokens_sealed IS NOT NULL",
        ),
        (
            "webhook secret",
            "SELECT 'webhook:' || id AS owner, secret_sealed AS v FROM webhook_endpoints",
        ),
        (
            "previous webhook secret",
            "SELECT 'webhook:' || id AS owner, previous_secret_sealed AS v FROM webhook_endpoints WHERE previous_secret_sealed IS NOT NULL",
        ),
    ] {
        for row in sqlx::query(sql).fetch_all(pool).await.expect(what) {
            all.push((
                what,
                row.try_get::<String, _>("owner").expect("owner"),
                row.try_get::<String, _>("v").expect("value"),
            ));
        }
    }
    all
}

async fn every_sealed_value_moves_to_the_new_master_key(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let old = format!("k1:{}", service_kit::secret::generate().expect("csprng"));
    let new = format!("k2:{}", service_kit::secret::generate().expect("csprng"));
    let both = format!("{new},{old}");
    let with = |keys: &'static str| -> Vec<(&'static str, String)> {
        let keys = match keys {
            "old" => old.clone(),
            "both" => both.clone(),
            _ => new.clone(),
        };
        vec![
            ("AUTH_DATABASE_URL", db.url.clone()),
            ("AUTH_MASTER_KEYS", keys),
            ("AUTH_PUBLIC_URL", "https://auth.example.com".to_owned()),
        ]
    };
    let cli = |keys: &'static str, args: &[&str]| {
        let env = with(keys);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run(dir.path(), args, &env)
    };
    assert!(cli("old", &["migrate", "auth"]).status.success());
    assert!(cli("old", &["tenant", "create", "acme"]).status.success());

    // Under the old key: an upstream provider, a webhook with a rotated
    // secret, a user's TOTP seed and provider tokens.
    let env = with("old");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let added = run_with_input(
        dir.path(),
        &[
            "tenant",
            "add-upstream",
            "acme",
            "--preset",
            "google",
            "--client-id",
            "g.apps",
        ],
        &env,
        "s3cret-value\n",
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let webhook = cli(
        "old",
        &[
            "tenant",
            "add-webhook",
            "acme",
            "--url",
            URL,
            "--event",
            "user.created",
        ],
    );
    assert!(webhook.status.success(), "{}", stderr(&webhook));
    let id = after(&stdout(&webhook), "added webhook endpoint ");
    let first = after(&stdout(&webhook), "signing_secret: ");
    let rotated = cli("old", &["tenant", "rotate-webhook-secret", "acme", &id]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let second = after(&stdout(&rotated), "signing_secret: ");
    assert!(first.starts_with("whsec_") && second.starts_with("whsec_"));

    let pool = db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect")
        .pool;
    let acme = TenantStore::new(pool.clone())
        .get_by_slug("acme")
        .await
        .expect("acme");
    let users = UserStore::new(pool.clone());
    let user = users
        .create(
            NewUser {
                tenant_id: acme.id,
                email: Email::parse("ada@acme.example").expect("email"),
                username: None,
                display_name: DisplayName::parse("Ada").expect("name"),
                password_hash: None,
                metadata: UserMetadata::parse(serde_json::json!({})).expect("metadata"),
            },
            0,
        )
        .await
        .expect("user");
    let old_ring = ring(&old);
    let seed = b"a twenty-byte seed!!";
    let owner = format!("totp:{}:{}", acme.id, user.id);
    let sealed = old_ring.seal(seed, &owner).expect("seal");
    users
        .set_pending_totp(acme.id, user.id, &sealed, i64::MAX, 0)
        .await
        .expect("seed");
    let provider: String = sqlx::query("SELECT id FROM upstream_providers")
        .fetch_one(&pool)
        .await
        .expect("provider")
        .try_get("id")
        .expect("id");
    let tokens = br#"{"access_token":"ya29.x"}"#;
    let tokens_sealed = old_ring
        .seal(tokens, &format!("upstream-tokens:{provider}:g-123"))
        .expect("seal");
    sqlx::query(
        "INSERT INTO upstream_identities (provider_id, subject, tenant_id, user_id, email, created_at, tokens_sealed) \
         VALUES ($1, 'g-123', $2, $3, NULL, 0, $4)",
    )
    .bind(&provider)
    .bind(acme.id.to_string())
    .bind(user.id.to_string())
    .bind(&tokens_sealed)
    .execute(&pool)
    .await
    .expect("identity");
    let before = sealed_values(&pool).await;
    assert_eq!(before.len(), 5, "one of each kind: {before:?}");
    assert!(before.iter().all(|(_, _, v)| v.starts_with("v1.k1.")));

    // Without the old key nothing opens: the reseal says which value.
    let blind = cli("new", &["keys", "reseal"]);
    assert!(!blind.status.success());
    assert!(stderr(&blind).contains("`k1`"), "{}", stderr(&blind));

    // The runbook: new key first, old kept, reseal.
    let resealed = cli("both", &["keys", "reseal"]);
    assert!(resealed.status.success(), "{}", stderr(&resealed));
    let out = stdout(&resealed);
    for said in [
        "under master key `k2`",
        "private signing keys",
        "1 TOTP seeds",
        "1 upstream client secrets",
        "1 users' provider tokens",
        "2 webhook secrets",
    ] {
        assert!(out.contains(said), "{said} in {out}");
    }

    // The new key alone opens every value, to what was sealed.
    let new_ring = ring(&new);
    let after_values = sealed_values(&pool).await;
    assert_eq!(after_values.len(), 5);
    for (what, owner, value) in &after_values {
        assert!(value.starts_with("v1.k2."), "{what}");
        let plain = new_ring.open(value, owner).expect(what);
        let expected: &[u8] = match *what {
            "totp" => seed,
            "upstream secret" => b"s3cret-value",
            "upstream tokens" => tokens,
            "webhook secret" => second.as_bytes(),
            _ => first.as_bytes(),
        };
        assert_eq!(plain, expected, "{what}");
    }
    let again = cli("new", &["keys", "reseal"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("0 TOTP seeds"),
        "{}",
        stdout(&again)
    );
    let listed = cli("new", &["keys", "list", "--tenant", "acme"]);
    assert!(listed.status.success(), "{}", stderr(&listed));

    // A tampered value stops the reseal and names it.
    sqlx::query("UPDATE webhook_endpoints SET secret_sealed = $1")
        .bind(
            old_ring
                .seal(b"whsec_x", "webhook:someone-else")
                .expect("seal"),
        )
        .execute(&pool)
        .await
        .expect("tamper");
    let tampered = cli("both", &["keys", "reseal"]);
    assert!(!tampered.status.success());
    assert!(
        stderr(&tampered).contains("a webhook signing secret"),
        "{}",
        stderr(&tampered)
    );
}
both_engines!(
    master_key_rotation,
    every_sealed_value_moves_to_the_new_master_key
);
