//! What a change of credentials must win against, on both engines: a login
//! that checked the old password opens no session that outlives a reset, a
//! hash upgrade never undoes a reset, parallel guesses at an emailed code
//! spend no more than its tries, and a passkey's counter only moves forward.
use auth_server::domain::one_time_token::Purpose;
use auth_server::domain::session::SessionStage;
use auth_server::domain::tenant::Tenant;
use auth_server::domain::user::UserId;
use auth_server::store::one_time_tokens::OneTimeTokenStore;
use auth_server::store::passkeys::{NewPasskey, PasskeyStore, PasskeyUse};
use auth_server::store::sessions::{Opened, SessionRecord, SessionStore};
use auth_server::store::users::UserStore;
use service_kit::both_engines;
use service_kit::db::{Database, Engine};

use super::identity_store::{database, user_named};

/// The hash `new_user` gives every user.
const OLD_HASH: &str = "$argon2id$not-checked-here";
const NEW_HASH: &str = "$argon2id$the-reset-one";

fn record(tenant: &Tenant, user: UserId, secret: &str) -> SessionRecord {
    SessionRecord {
        secret_hash: secret.into(),
        handle: format!("handle-{secret}"),
        tenant_id: tenant.id.to_string(),
        user_id: user.to_string(),
        stage: SessionStage::Authenticated,
        amr: "pwd".into(),
        auth_time: 1,
        created_at: 1,
        last_seen_at: 1,
        expires_at: 1_000_000,
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
    }
}

async fn sessions_of(database: &Database, user: UserId) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_one(&database.pool)
        .await
        .expect("count")
}

async fn user(database: &Database, tenant: &Tenant, n: u32) -> UserId {
    user_named(database, tenant, &format!("user{n}")).await
}

/// A session opens only for the user as the login read them: the same
/// password hash, not disabled; a session it replaces must still be there.
async fn a_session_opens_only_for_the_user_as_read(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let users = UserStore::new(database.pool.clone());
    let sessions = SessionStore::new(database.pool.clone());
    let alice = user(&database, &tenant, 1).await;

    let stale = sessions
        .open(&record(&tenant, alice, "s0"), None, Some("$argon2id$older"))
        .await
        .expect("decided");
    assert_eq!(stale, Opened::UserChanged);
    let none = sessions
        .open(&record(&tenant, alice, "s0"), None, None)
        .await
        .expect("decided");
    assert_eq!(none, Opened::UserChanged, "alice has a password");
    assert_eq!(sessions_of(&database, alice).await, 0);

    let first = sessions
        .open(&record(&tenant, alice, "s1"), None, Some(OLD_HASH))
        .await
        .expect("decided");
    assert_eq!(first, Opened::Opened);
    let replaced = sessions
        .open(&record(&tenant, alice, "s2"), Some("s1"), Some(OLD_HASH))
        .await
        .expect("decided");
    assert_eq!(replaced, Opened::Opened);
    let again = sessions
        .open(&record(&tenant, alice, "s3"), Some("s1"), Some(OLD_HASH))
        .await
        .expect("decided");
    assert_eq!(again, Opened::ReplacedEnded, "s1 was replaced already");
    assert_eq!(sessions_of(&database, alice).await, 1);

    users.disable(tenant.id, alice, 2).await.expect("disable");
    let disabled = sessions
        .open(&record(&tenant, alice, "s4"), None, Some(OLD_HASH))
        .await
        .expect("decided");
    assert_eq!(disabled, Opened::UserChanged);
    assert_eq!(sessions_of(&database, alice).await, 1);
}
both_engines!(session_opening, a_session_opens_only_for_the_user_as_read);

/// A reset ends every session in the step that changes the hash; the old
/// hash opens nothing after it and no hash upgrade brings it back.
async fn a_reset_ends_sessions_and_outlives_upgrades(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let users = UserStore::new(database.pool.clone());
    let sessions = SessionStore::new(database.pool.clone());
    let alice = user(&database, &tenant, 1).await;
    for secret in ["s1", "s2"] {
        let opened = sessions
            .open(&record(&tenant, alice, secret), None, Some(OLD_HASH))
            .await
            .expect("decided");
        assert_eq!(opened, Opened::Opened);
    }
    let upgraded = users
        .upgrade_password_hash(tenant.id, alice, OLD_HASH, "$argon2id$stronger")
        .await
        .expect("decided");
    assert!(upgraded, "the hash the login checked is still there");

    let mut ended = users
        .reset_password(tenant.id, alice, NEW_HASH, 3)
        .await
        .expect("reset");
    ended.sort();
    assert_eq!(ended, ["handle-s1", "handle-s2"]);
    assert_eq!(sessions_of(&database, alice).await, 0);

    let late_upgrade = users
        .upgrade_password_hash(tenant.id, alice, "$argon2id$stronger", "$argon2id$x")
        .await
        .expect("decided");
    assert!(!late_upgrade, "an upgrade of the old hash came too late");
    let read = users.get(tenant.id, alice).await.expect("user");
    assert_eq!(read.password_hash.as_deref(), Some(NEW_HASH));
    let late_login = sessions
        .open(
            &record(&tenant, alice, "s3"),
            None,
            Some("$argon2id$stronger"),
        )
        .await
        .expect("decided");
    assert_eq!(late_login, Opened::UserChanged);

    let stranger = users
        .reset_password(tenant.id, UserId::new(), NEW_HASH, 4)
        .await;
    assert!(stranger.is_err(), "{stranger:?}");
}
both_engines!(password_reset, a_reset_ends_sessions_and_outlives_upgrades);

/// A login that checked the old password and a reset at the same moment:
/// whichever comes first, no session is left.
async fn a_login_racing_a_reset_keeps_no_session(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let users = UserStore::new(database.pool.clone());
    let sessions = SessionStore::new(database.pool.clone());
    for round in 0..10 {
        let victim = user(&database, &tenant, round).await;
        let attacker = record(&tenant, victim, &format!("attacker{round}"));
        let (reset, login) = tokio::join!(
            users.reset_password(tenant.id, victim, NEW_HASH, 2),
            sessions.open(&attacker, None, Some(OLD_HASH)),
        );
        reset.expect("reset");
        let login = login.expect("decided");
        assert_eq!(
            sessions_of(&database, victim).await,
            0,
            "round {round}: the old password's session outlived the reset ({login:?})"
        );
    }
}
both_engines!(reset_race, a_login_racing_a_reset_keeps_no_session);

/// Twenty wrong guesses at once spend the code's five tries and no more;
/// then the right code no longer works. Sequentially, the fifth try still
/// can be the right one.
async fn parallel_guesses_spend_only_the_tries(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let links = OneTimeTokenStore::new(database.pool.clone());
    let alice = user(&database, &tenant, 1).await;
    let bob = user(&database, &tenant, 2).await;
    for (who, link) in [(alice, "link-a"), (bob, "link-b")] {
        links
            .insert(link, tenant.id, who, Purpose::VerifyEmail, 1, 3600)
            .await
            .expect("link");
        links.attach_code(link, "right", 600).await.expect("code");
    }
    let guess = |who: UserId, code: String| {
        let links = links.clone();
        async move {
            links
                .consume_code(tenant.id, who, Purpose::VerifyEmail, &code, 2, 5)
                .await
                .expect("decided")
        }
    };

    let guesses: Vec<_> = (0..20).map(|n| guess(alice, format!("wrong{n}"))).collect();
    let used = futures_util::future::join_all(guesses).await;
    assert!(used.iter().all(|used| !used));
    let spent: i64 =
        sqlx::query_scalar("SELECT code_attempts FROM one_time_tokens WHERE token_hash = 'link-a'")
            .fetch_one(&database.pool)
            .await
            .expect("attempts");
    assert_eq!(
        spent, 5,
        "every tested guess spends a try, and only five are tested"
    );
    assert!(!guess(alice, "right".into()).await, "the tries are spent");

    for n in 0..4 {
        assert!(!guess(bob, format!("wrong{n}")).await);
    }
    assert!(guess(bob, "right".into()).await, "the fifth try");
    assert!(!guess(bob, "right".into()).await, "used once");
}
both_engines!(emailed_code_tries, parallel_guesses_spend_only_the_tries);

/// A passkey's counter only moves forward; an authenticator without one
/// (always 0) signs in every time.
async fn a_passkey_counter_only_moves_forward(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let passkeys = PasskeyStore::new(database.pool.clone());
    let alice = user(&database, &tenant, 1).await;
    for (id, count) in [("counting", 10), ("no-counter", 0)] {
        passkeys
            .create(NewPasskey {
                id,
                tenant: tenant.id,
                user: alice,
                credential_id: &format!("cred-{id}"),
                name: &auth_server::domain::passkey::PasskeyName::parse(id).expect("name"),
                credential: "{}",
                sign_count: count,
                backup_eligible: false,
                backup_state: false,
                now: 1,
            })
            .await
            .expect("passkey");
    }
    let used = |id: &'static str, sign_count: i64| {
        let passkeys = passkeys.clone();
        async move {
            passkeys
                .record_use(
                    tenant.id,
                    id,
                    PasskeyUse {
                        credential: "{}",
                        sign_count,
                        backup_state: false,
                        now: 2,
                    },
                )
                .await
                .expect("decided")
        }
    };
    assert!(used("counting", 11).await);
    assert!(!used("counting", 11).await, "a second use at 11: a clone");
    assert!(!used("counting", 9).await, "a counter that went back");
    assert!(used("counting", 12).await);
    assert!(used("no-counter", 0).await);
    assert!(used("no-counter", 0).await);
}
both_engines!(passkey_counter, a_passkey_counter_only_moves_forward);
