//! The identity stores directly, the same cases on both engines: which
//! unique rule a new user broke, the per-address mail budget, the
//! brute-force counters, turning MFA on only with the seed checked, and
//! removing a way in (password, passkey) only while another stays,
//! erasing a user only while each of their teams keeps an owner, the cap
//! on the tenants a user creates for themselves, and one pending
//! invitation per address.
use auth_server::domain::display_name::DisplayName;
use auth_server::domain::email::Email;
use auth_server::domain::passkey::PasskeyName;
use auth_server::domain::team::Role;
use auth_server::domain::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::domain::user::UserId;
use auth_server::domain::user::{UserMetadata, Username};
use auth_server::domain::ways_in::{KeptWay, WayIn};
use auth_server::store::erasure::ErasureStore;
use auth_server::store::login_failures::{Counter, LoginFailureStore};
use auth_server::store::mail_budget::MailBudgetStore;
use auth_server::store::owners::OwnerStore;
use auth_server::store::passkeys::{NewPasskey, PasskeyStore};
use auth_server::store::team_invites::{Invite, TeamInviteStore};
use auth_server::store::tenants::TenantStore;
use auth_server::store::users::{NewUser, UserStore};
use auth_server::store::ways_in::WaysInStore;
use auth_server::store::StoreError;
use auth_server::MIGRATIONS;
use service_kit::both_engines;
use service_kit::db::{self, Database, Engine, PoolSettings};
use service_kit::testing::TestDb;

pub(crate) async fn database(engine: Engine) -> (TestDb, Database, Tenant) {
    let test_db = TestDb::new(engine).await;
    // Generous: the race below opens many connections on a busy machine.
    let pool = PoolSettings {
        acquire_timeout: std::time::Duration::from_secs(30),
        ..PoolSettings::default()
    };
    let database = db::connect(&test_db.url, pool).await.expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let tenant = TenantStore::new(database.pool.clone())
        .create(NewTenant {
            slug: TenantSlug::parse("acme").expect("slug"),
            display_name: DisplayName::parse("Acme").expect("name"),
            settings: TenantSettings::default(),
        })
        .await
        .expect("tenant");
    (test_db, database, tenant)
}

pub(crate) fn new_user(tenant: &Tenant, email: &str, username: &str) -> NewUser {
    NewUser {
        tenant_id: tenant.id,
        email: Email::parse(email).expect("email"),
        username: Some(Username::parse(username).expect("username")),
        display_name: DisplayName::parse("Someone").expect("name"),
        password_hash: Some("$argon2id$not-checked-here".into()),
        metadata: UserMetadata::default(),
    }
}

/// A new user of `tenant`, `{name}@example.com`, username `name`.
pub(crate) async fn user_named(database: &Database, tenant: &Tenant, name: &str) -> UserId {
    UserStore::new(database.pool.clone())
        .create(new_user(tenant, &format!("{name}@example.com"), name), 1)
        .await
        .expect("user")
        .id
}

/// A taken email is reported as such whatever else is taken, and a taken
/// username only when the email is free: the rules are told apart by name
/// (PostgreSQL) or by their columns (SQLite), never by guessing from text.
async fn a_taken_email_wins_over_a_taken_username(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let users = UserStore::new(database.pool.clone());
    users
        .create(new_user(&tenant, "alice@example.com", "alice"), 1)
        .await
        .expect("first user");
    let both_taken = users
        .create(new_user(&tenant, "ALICE@example.com", "alice"), 2)
        .await;
    assert!(
        matches!(both_taken, Err(StoreError::EmailTaken)),
        "{both_taken:?}"
    );
    let email_taken = users
        .create(new_user(&tenant, "alice@example.com", "alice2"), 3)
        .await;
    assert!(
        matches!(email_taken, Err(StoreError::EmailTaken)),
        "{email_taken:?}"
    );
    let username_taken = users
        .create(new_user(&tenant, "bob@example.com", "alice"), 4)
        .await;
    assert!(
        matches!(username_taken, Err(StoreError::UsernameTaken)),
        "{username_taken:?}"
    );
    assert_eq!(users.count(tenant.id).await.expect("count"), 1);
}
both_engines!(user_unique_rules, a_taken_email_wins_over_a_taken_username);

/// Three sends per address in any hour, counted in the database (so every
/// instance shares them), and taken atomically.
async fn at_most_three_mails_per_address_per_hour(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let budget = MailBudgetStore::new(database.pool.clone());
    let take = |address: &'static str, now: i64| {
        let budget = budget.clone();
        async move {
            budget
                .take(tenant.id, address, now, 3600)
                .await
                .expect("take")
        }
    };
    assert!(take("bob@example.com", 1_000).await);
    assert!(take("bob@example.com", 1_100).await);
    assert!(take("bob@example.com", 1_200).await);
    assert!(
        !take("bob@example.com", 1_300).await,
        "a fourth in the hour"
    );
    assert!(take("eve@example.com", 1_300).await, "another address");
    assert!(
        !take("bob@example.com", 4_599).await,
        "the first is in the hour"
    );
    assert!(
        take("bob@example.com", 4_600).await,
        "the first has left it"
    );
    assert!(!take("bob@example.com", 4_601).await, "the second has not");

    // Parallel takes cannot get past the three either.
    let racing =
        futures_util::future::join_all((0..10).map(|_| take("carol@example.com", 9_000))).await;
    assert_eq!(racing.iter().filter(|taken| **taken).count(), 3);
}
both_engines!(mail_budget, at_most_three_mails_per_address_per_hour);

/// A login's one-statement reservation counts only below the threshold,
/// never moves a counter at or past it (a lock keeps its count and its
/// time), starts again from one once the failures are forgotten; a
/// success forgets the account's failures and gives back one of the
/// address's.
async fn failure_counters_reserve_below_the_threshold(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let failures = LoginFailureStore::new(database.pool.clone());
    let (account, address) = ("acct:alice@example.com", "ip:192.0.2.1");
    let reserve = |subject: &'static str, now: i64| {
        let failures = failures.clone();
        async move {
            failures
                .reserve_below(tenant.id, subject, 3, now, now - 100)
                .await
                .expect("reserve")
        }
    };
    let read = |subject: &'static str| {
        let failures = failures.clone();
        async move { failures.read(tenant.id, subject, 0).await.expect("read") }
    };
    assert_eq!(reserve(account, 1_000).await, Some(1), "a new counter");
    assert_eq!(reserve(account, 1_001).await, Some(2));
    assert_eq!(
        reserve(account, 1_002).await,
        Some(3),
        "the threshold itself"
    );
    assert_eq!(reserve(account, 1_003).await, None, "past it");
    assert_eq!(
        read(account).await,
        Counter {
            failures: 3,
            last_failure_at: 1_002
        },
        "a counter at the threshold is left as it was"
    );
    assert_eq!(
        reserve(account, 1_200).await,
        Some(1),
        "failures older than the reset time are forgotten"
    );

    assert_eq!(reserve(address, 1_200).await, Some(1));
    assert_eq!(reserve(address, 1_201).await, Some(2));
    failures
        .settle_success(tenant.id, account, address)
        .await
        .expect("settle");
    assert_eq!(
        read(account).await.failures,
        0,
        "the account's are forgotten"
    );
    assert_eq!(
        read(address).await.failures,
        1,
        "one of the address's goes back"
    );
    assert_eq!(reserve(account, 1_202).await, Some(1));
}
both_engines!(
    failure_counters,
    failure_counters_reserve_below_the_threshold
);

/// MFA is turned on with the pending seed whose code was checked, and only
/// while that seed is still the pending one: a second enrolment started in
/// between (another tab) or a reset leaves MFA off, and a second turn-on
/// changes nothing.
async fn mfa_turns_on_only_with_the_seed_checked(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let users = UserStore::new(database.pool.clone());
    let user = users
        .create(new_user(&tenant, "alice@example.com", "alice"), 1)
        .await
        .expect("user");
    let (first, second) = ("sealed-seed-one", "sealed-seed-two");
    users
        .set_pending_totp(tenant.id, user.id, first, 1_000, 10)
        .await
        .expect("first enrolment");
    users
        .set_pending_totp(tenant.id, user.id, second, 1_000, 11)
        .await
        .expect("second enrolment");

    let stale = users
        .enable_mfa(tenant.id, user.id, first, 12)
        .await
        .expect("enable");
    assert!(!stale, "the first seed is no longer the pending one");
    let read = users.get(tenant.id, user.id).await.expect("user");
    assert!(!read.mfa_enabled());
    assert_eq!(read.pending_totp(12), Some(second), "still pending");

    assert!(users
        .enable_mfa(tenant.id, user.id, second, 13)
        .await
        .expect("enable"));
    let read = users.get(tenant.id, user.id).await.expect("user");
    assert_eq!(read.mfa_enabled_at, Some(13));
    assert_eq!(read.totp_secret.as_deref(), Some(second));

    assert!(
        !users
            .enable_mfa(tenant.id, user.id, second, 14)
            .await
            .expect("enable"),
        "already on"
    );
    assert_eq!(
        users
            .get(tenant.id, user.id)
            .await
            .expect("user")
            .mfa_enabled_at,
        Some(13),
        "the first date stays"
    );

    users
        .reset_mfa(tenant.id, user.id, 15)
        .await
        .expect("reset");
    assert!(
        !users
            .enable_mfa(tenant.id, user.id, second, 16)
            .await
            .expect("enable"),
        "a reset seed is gone"
    );
    assert!(!users
        .get(tenant.id, user.id)
        .await
        .expect("user")
        .mfa_enabled());
}
both_engines!(mfa_turn_on, mfa_turns_on_only_with_the_seed_checked);

async fn add_passkey(database: &Database, tenant: &Tenant, user: UserId, id: &str) {
    let name = PasskeyName::parse(id).expect("name");
    PasskeyStore::new(database.pool.clone())
        .create(NewPasskey {
            id,
            tenant: tenant.id,
            user,
            credential_id: id,
            name: &name,
            credential: "{}",
            sign_count: 0,
            backup_eligible: false,
            backup_state: false,
            now: 1,
        })
        .await
        .expect("passkey");
}

async fn passkey_ids(database: &Database, tenant: &Tenant, user: UserId) -> Vec<String> {
    PasskeyStore::new(database.pool.clone())
        .list(tenant.id, user)
        .await
        .expect("passkeys")
        .into_iter()
        .map(|k| k.id)
        .collect()
}

/// The password goes only for an account with a passkey, a passkey only
/// while another way in stays, and a way the account lacks is not there.
async fn a_way_in_goes_only_while_another_stays(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let users = UserStore::new(database.pool.clone());
    let ways = WaysInStore::new(database.pool.clone());
    let user = users
        .create(new_user(&tenant, "alice@example.com", "alice"), 1)
        .await
        .expect("user")
        .id;
    let remove = |way| {
        let ways = ways.clone();
        async move { ways.remove(tenant.id, user, way, 2).await.expect("decided") }
    };

    assert_eq!(remove(WayIn::Password).await, Err(KeptWay::NoPasskey));
    assert_eq!(remove(WayIn::Passkey("k1")).await, Err(KeptWay::NotThere));
    assert_eq!(
        remove(WayIn::Upstream("github")).await,
        Err(KeptWay::NotThere)
    );
    add_passkey(&database, &tenant, user, "k1").await;
    assert_eq!(remove(WayIn::Password).await, Ok(()));
    let read = users.get(tenant.id, user).await.expect("user");
    assert_eq!(read.password_hash, None);
    assert_eq!(remove(WayIn::Password).await, Err(KeptWay::NotThere));
    assert_eq!(remove(WayIn::Passkey("k1")).await, Err(KeptWay::Last));
    assert_eq!(passkey_ids(&database, &tenant, user).await, ["k1"]);

    add_passkey(&database, &tenant, user, "k2").await;
    assert_eq!(remove(WayIn::Passkey("k1")).await, Ok(()));
    assert_eq!(passkey_ids(&database, &tenant, user).await, ["k2"]);
    assert_eq!(remove(WayIn::Passkey("k2")).await, Err(KeptWay::Last));

    let stranger = ways
        .remove(tenant.id, UserId::new(), WayIn::Password, 3)
        .await;
    assert!(
        matches!(stranger, Err(StoreError::UserNotFound)),
        "{stranger:?}"
    );
}
both_engines!(ways_in, a_way_in_goes_only_while_another_stays);

/// The password and the only passkey removed at the same moment: one goes,
/// the other stays, every time.
async fn removals_at_once_leave_a_way_in(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let users = UserStore::new(database.pool.clone());
    let ways = WaysInStore::new(database.pool.clone());
    for round in 0..10 {
        let user = users
            .create(
                new_user(
                    &tenant,
                    &format!("u{round}@example.com"),
                    &format!("user{round}"),
                ),
                1,
            )
            .await
            .expect("user")
            .id;
        add_passkey(&database, &tenant, user, &format!("key{round}")).await;
        let key = format!("key{round}");
        let (password, passkey) = tokio::join!(
            ways.remove(tenant.id, user, WayIn::Password, 2),
            ways.remove(tenant.id, user, WayIn::Passkey(&key), 2),
        );
        let (password, passkey) = (password.expect("decided"), passkey.expect("decided"));
        assert!(
            password.is_ok() != passkey.is_ok(),
            "round {round}: exactly one goes ({password:?}, {passkey:?})"
        );
        let has_password = users
            .get(tenant.id, user)
            .await
            .expect("user")
            .password_hash
            .is_some();
        let keys = passkey_ids(&database, &tenant, user).await;
        assert!(
            has_password || !keys.is_empty(),
            "round {round}: no way in left"
        );
    }
}
both_engines!(ways_in_race, removals_at_once_leave_a_way_in);

/// Erasing one of a team's two owners while the other leaves it, at the
/// same moment: one of them goes, the team keeps an owner, every time.
async fn an_erasure_and_a_leaving_owner_keep_an_owner(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let users = UserStore::new(database.pool.clone());
    let owners = OwnerStore::new(database.pool.clone());
    let erasure = ErasureStore::new(database.pool.clone());
    for round in 0..10 {
        let team = TenantStore::new(database.pool.clone())
            .create(NewTenant {
                slug: TenantSlug::parse(&format!("team{round}")).expect("slug"),
                display_name: DisplayName::parse("Team").expect("name"),
                settings: TenantSettings::default(),
            })
            .await
            .expect("team");
        let mut pair = Vec::new();
        for who in ["a", "b"] {
            let user = users
                .create(
                    new_user(
                        &tenant,
                        &format!("{who}{round}@example.com"),
                        &format!("{who}user{round}"),
                    ),
                    1,
                )
                .await
                .expect("user")
                .id;
            owners
                .add(team.id, user, Role::Owner, 1)
                .await
                .expect("owner");
            pair.push(user);
        }
        let (erased, left) = tokio::join!(
            erasure.erase_user(tenant.id, pair[0], "acct:none", 2),
            owners.remove(team.id, pair[1]),
        );
        let left = left.expect("decided");
        assert!(
            erased.is_ok() != left,
            "round {round}: exactly one goes ({erased:?}, left: {left})"
        );
        let kept = owners.list(team.id).await.expect("owners");
        assert_eq!(kept.len(), 1, "round {round}: {kept:?}");
    }
}
both_engines!(erasure_race, an_erasure_and_a_leaving_owner_keep_an_owner);

/// Five tenants created by one user at the same moment, with a cap of
/// three: three are made, each with the user as its owner.
async fn tenants_made_at_once_stop_at_the_cap(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let founder = user_named(&database, &tenant, "founder").await;
    let tenants = TenantStore::new(database.pool.clone());
    let create = |n: usize| {
        let tenants = tenants.clone();
        async move {
            tenants
                .create_owned(
                    NewTenant {
                        slug: TenantSlug::parse(&format!("startup{n}")).expect("slug"),
                        display_name: DisplayName::parse("Startup").expect("name"),
                        settings: TenantSettings::default(),
                    },
                    founder,
                    3,
                )
                .await
                .expect("decided")
        }
    };
    let made = futures_util::future::join_all((0..5).map(create)).await;
    let made: Vec<_> = made.into_iter().flatten().collect();
    assert_eq!(made.len(), 3, "{made:?}");
    let owners = OwnerStore::new(database.pool.clone());
    for tenant in &made {
        let team = owners.list(tenant.id).await.expect("owners");
        assert_eq!(team.len(), 1);
        assert_eq!(team[0].role, Role::Owner);
    }
    let taken = tenants
        .create_owned(
            NewTenant {
                slug: made[0].slug.clone(),
                display_name: DisplayName::parse("Again").expect("name"),
                settings: TenantSettings::default(),
            },
            user_named(&database, &tenant, "other").await,
            3,
        )
        .await;
    assert!(matches!(taken, Err(StoreError::SlugTaken(_))), "{taken:?}");
}
both_engines!(tenant_cap_race, tenants_made_at_once_stop_at_the_cap);

/// Two invitations of one address to one team at the same moment: one
/// pending invitation is left, every time.
async fn invitations_at_once_leave_one(engine: Engine) {
    let (_db, database, tenant) = database(engine).await;
    let founder = user_named(&database, &tenant, "founder").await;
    OwnerStore::new(database.pool.clone())
        .add(tenant.id, founder, Role::Owner, 1)
        .await
        .expect("owner");
    let invites = TeamInviteStore::new(database.pool.clone());
    let invite = |round: usize, n: usize| Invite {
        token_hash: format!("token-{round}-{n}"),
        tenant_id: tenant.id,
        email: format!("bob{round}@example.com"),
        email_normalized: format!("bob{round}@example.com"),
        role: Role::Admin,
        invited_by: founder.to_string(),
        created_at: 1,
        expires_at: 1_000_000,
    };
    for round in 0..10 {
        let (first, second) = (invite(round, 1), invite(round, 2));
        let (a, b) = tokio::join!(invites.replace(&first), invites.replace(&second));
        a.expect("first");
        b.expect("second");
        let mut pending = 0;
        for token in [&first.token_hash, &second.token_hash] {
            if invites.find(token, 2).await.expect("find").is_some() {
                pending += 1;
            }
        }
        assert_eq!(pending, 1, "round {round}: both links work");
    }
}
both_engines!(invitation_race, invitations_at_once_leave_one);
