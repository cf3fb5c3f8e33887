//! The fixture of the cleanup tests: a fresh database with tenant acme and
//! its user Alice, a clock at `T0`, and a way to make each kind of row the
//! cleanup deletes (made now, ending when told) and to count what is left.
use std::sync::Arc;

use auth_server::domain::audit::AuditEvent;
use auth_server::domain::client::ClientId;
use auth_server::domain::display_name::DisplayName;
use auth_server::domain::email::Email;
use auth_server::domain::grant::GrantId;
use auth_server::domain::lockout::LockoutPolicy;
use auth_server::domain::one_time_token::Purpose;
use auth_server::domain::passkey::CeremonyPurpose;
use auth_server::domain::session::SessionStage;
use auth_server::domain::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::domain::user::{UserId, UserMetadata};
use auth_server::domain::webhook::delivery::Attempt;
use auth_server::store::audit::AuditStore;
use auth_server::store::auth_codes::{AuthCode, AuthCodeStore, FirstRefresh, Redemption};
use auth_server::store::blocks::{AppliesTo, BlockStore, NewBlock};
use auth_server::store::grants::GrantStore;
use auth_server::store::login_failures::LoginFailureStore;
use auth_server::store::one_time_tokens::OneTimeTokenStore;
use auth_server::store::passkeys::{NewCeremony, PasskeyStore};
use auth_server::store::refresh_tokens::{RefreshRecord, RefreshTokenStore, ReplayWindow};
use auth_server::store::revoked_tokens::{RevokedToken, RevokedTokenStore};
use auth_server::store::sessions::{Opened, SessionRecord, SessionStore};
use auth_server::store::tenants::TenantStore;
use auth_server::store::users::{NewUser, UserStore};
use auth_server::store::webhooks::{AttemptOutcome, NewDelivery, NewEndpoint, WebhookStore};
use auth_server::MIGRATIONS;
use service_kit::clock::{Clock, ManualClock};
use service_kit::db::{self, Database, Engine, PoolSettings};
use service_kit::testing::TestDb;

use super::{DAY, HOUR, MINUTE, T0};

pub(super) struct Scene {
    _db: TestDb,
    pub(super) database: Database,
    pub(super) clock: Arc<ManualClock>,
    pub(super) tenant: Tenant,
    pub(super) user: UserId,
    client: ClientId,
}

pub(super) async fn scene(engine: Engine) -> Scene {
    let test_db = TestDb::new(engine).await;
    let database = db::connect(&test_db.url, PoolSettings::default())
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let tenant = TenantStore::new(database.pool.clone())
        .create(NewTenant {
            slug: TenantSlug::parse("acme").expect("slug"),
            display_name: DisplayName::parse("Acme").expect("name"),
            settings: TenantSettings::default(),
        })
        .await
        .expect("tenant");
    let user = UserStore::new(database.pool.clone())
        .create(
            NewUser {
                tenant_id: tenant.id,
                email: Email::parse("alice@acme.example").expect("email"),
                username: None,
                display_name: DisplayName::parse("Alice").expect("name"),
                password_hash: None,
                metadata: UserMetadata::default(),
            },
            T0,
        )
        .await
        .expect("user")
        .id;
    Scene {
        _db: test_db,
        database,
        clock: Arc::new(ManualClock::new(T0)),
        tenant,
        user,
        client: ClientId::generate().expect("csprng"),
    }
}

impl Scene {
    pub(super) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// How many rows of `table` have `column` = `value`.
    pub(super) async fn count(&self, table: &str, column: &str, value: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
        sqlx::query_scalar(&sql)
            .bind(value)
            .fetch_one(&self.database.pool)
            .await
            .expect("count")
    }

    async fn grant(&self) -> GrantId {
        GrantStore::new(self.database.pool.clone())
            .create(
                self.tenant.id,
                &self.client,
                Some(self.user),
                None,
                self.now(),
            )
            .await
            .expect("grant")
    }

    /// A 60-second code made now under `digest`.
    pub(super) async fn code(&self, digest: &str) {
        let now = self.now();
        let code = AuthCode {
            tenant_id: self.tenant.id,
            client_id: self.client.clone(),
            user_id: self.user,
            grant_id: self.grant().await,
            session_handle: "handle".into(),
            redirect_uri: "https://app.example/cb".into(),
            scope: "openid".into(),
            nonce: None,
            code_challenge: None,
            resource: None,
            auth_time: now,
            amr: "pwd".into(),
            created_at: now,
            expires_at: now + MINUTE,
            issue_refresh: false,
        };
        AuthCodeStore::new(self.database.pool.clone(), self.database.engine)
            .insert(digest, &code)
            .await
            .expect("code");
    }

    /// Redeems code `digest` now (its client's exchange).
    pub(super) async fn redeem(&self, digest: &str) {
        let first = FirstRefresh {
            digest: "unused",
            client_id: self.client.as_ref(),
            redirect_uri: "https://app.example/cb",
            family_expires_at: self.now() + DAY,
            idle_expires_at: self.now() + DAY,
        };
        let redeemed = AuthCodeStore::new(self.database.pool.clone(), self.database.engine)
            .redeem(self.tenant.id, digest, self.now(), &first)
            .await
            .expect("redeem");
        assert!(
            matches!(redeemed, Redemption::Redeemed { .. }),
            "{redeemed:?}"
        );
    }

    /// A session made now, ending at `expires_at`.
    pub(super) async fn session(&self, handle: &str, expires_at: i64) {
        let now = self.now();
        let opened = SessionStore::new(self.database.pool.clone())
            .open(
                &SessionRecord {
                    secret_hash: format!("secret-{handle}"),
                    handle: handle.into(),
                    tenant_id: self.tenant.id.to_string(),
                    user_id: self.user.to_string(),
                    stage: SessionStage::Authenticated,
                    amr: "pwd".into(),
                    auth_time: now,
                    created_at: now,
                    last_seen_at: now,
                    expires_at,
                    ip: "127.0.0.1".into(),
                    user_agent: "test".into(),
                },
                None,
                // Alice has no password.
                None,
            )
            .await
            .expect("session");
        assert_eq!(opened, Opened::Opened);
    }

    /// The first token of a family made now, ending at `family_expires_at`,
    /// idle for at most an hour.
    pub(super) async fn refresh_family(
        &self,
        digest: &str,
        family_expires_at: i64,
    ) -> RefreshRecord {
        let now = self.now();
        let record = RefreshRecord {
            tenant_id: self.tenant.id,
            grant_id: self.grant().await,
            client_id: self.client.clone(),
            user_id: self.user,
            scope: "openid offline_access".into(),
            resource: None,
            auth_time: now,
            amr: "pwd".into(),
            created_at: now,
            family_expires_at,
            idle_expires_at: (now + HOUR).min(family_expires_at),
            used_at: None,
            retry_response: None,
            retry_until: None,
        };
        self.refresh_store()
            .insert(digest, &record)
            .await
            .expect("refresh token");
        record
    }

    /// Spends `spent` now for `next` (the refresh grant's rotation), with a
    /// replay window until `retry_until`.
    pub(super) async fn rotate(
        &self,
        spent: &str,
        next: &str,
        family: &RefreshRecord,
        retry: Option<i64>,
    ) {
        let now = self.now();
        let successor = RefreshRecord {
            created_at: now,
            idle_expires_at: (now + HOUR).min(family.family_expires_at),
            ..family.clone()
        };
        assert!(self
            .refresh_store()
            .rotate(
                spent,
                now,
                retry.map(|until| ReplayWindow {
                    until,
                    sealed_response: "sealed response",
                }),
                next,
                &successor,
            )
            .await
            .expect("rotate"));
    }

    fn refresh_store(&self) -> RefreshTokenStore {
        RefreshTokenStore::new(self.database.pool.clone(), self.database.engine)
    }

    /// A one-time link made now, valid for `ttl` seconds.
    pub(super) async fn link(&self, digest: &str, ttl: i64) {
        OneTimeTokenStore::new(self.database.pool.clone())
            .insert(
                digest,
                self.tenant.id,
                self.user,
                Purpose::ResetPassword,
                self.now(),
                ttl,
            )
            .await
            .expect("link");
    }

    /// A failed login of `subject` now.
    pub(super) async fn failure(&self, subject: &str) {
        let now = self.now();
        LoginFailureStore::new(self.database.pool.clone())
            .reserve(
                self.tenant.id,
                subject,
                now,
                LockoutPolicy::ACCOUNT.forget_before(now),
            )
            .await
            .expect("failure");
    }

    /// An audit event now, told apart by its `detail`.
    pub(super) async fn event(&self, detail: &str) {
        AuditStore::new(self.database.pool.clone())
            .insert(&AuditEvent {
                tenant_id: self.tenant.id.to_string(),
                user_id: None,
                kind: "login".into(),
                outcome: "failure".into(),
                ip: "127.0.0.1".into(),
                user_agent: "test".into(),
                detail: detail.into(),
                account: None,
                created_at: self.now(),
            })
            .await
            .expect("event");
    }

    /// A block, a revoked access token and a passkey ceremony, each named
    /// `name`, made now and ending at `expires_at`.
    pub(super) async fn edge_rows(&self, name: &str, expires_at: i64) {
        let now = self.now();
        BlockStore::new(self.database.pool.clone())
            .insert(&NewBlock {
                tenant_id: Some(self.tenant.id),
                network: "203.0.113.7/32",
                reason: name,
                created_by: "operator",
                created_at: now,
                expires_at,
                applies_to: AppliesTo::Tenant,
            })
            .await
            .expect("block");
        RevokedTokenStore::new(self.database.pool.clone())
            .insert(&RevokedToken {
                tenant: self.tenant.id,
                jti: name,
                client_id: self.client.as_ref(),
                expires_at,
                revoked_at: now,
            })
            .await
            .expect("revoked token");
        PasskeyStore::new(self.database.pool.clone())
            .start_ceremony(NewCeremony {
                id: name,
                tenant: self.tenant.id,
                user: None,
                purpose: CeremonyPurpose::SignIn,
                state: "{}",
                expires_at,
                now,
            })
            .await
            .expect("ceremony");
    }

    /// An event webhook delivery (its event id `name`) made now, retried
    /// until `retry_until`, delivered at once when `delivered`; the tenant's
    /// one endpoint is made with the first.
    pub(super) async fn delivery(&self, name: &str, retry_until: i64, delivered: bool) {
        let store = WebhookStore::new(self.database.pool.clone());
        let now = self.now();
        if store
            .endpoints(self.tenant.id)
            .await
            .expect("endpoints")
            .is_empty()
        {
            let added = store
                .insert_endpoint(
                    &NewEndpoint {
                        id: "whk_cleanup",
                        tenant_id: self.tenant.id,
                        url: "https://hooks.acme.example/",
                        description: "",
                        events: "user.created",
                        secret_sealed: "v1.none.AAAA",
                        now: T0 - 100 * DAY,
                    },
                    1,
                )
                .await
                .expect("endpoint");
            assert!(added);
        }
        store
            .enqueue(&[NewDelivery {
                tenant_id: &self.tenant.id.to_string(),
                endpoint_id: "whk_cleanup",
                event_id: name,
                event_type: "user.created",
                payload: "{}",
                now,
                retry_until,
            }])
            .await
            .expect("delivery");
        if delivered {
            let d = store
                .delivery_of("whk_cleanup", name)
                .await
                .expect("delivery");
            let attempt = Attempt {
                attempted_at: now,
                status: Some(200),
                error: None,
                duration_ms: 5,
            };
            store
                .record_attempt(&d, &attempt, AttemptOutcome::Delivered)
                .await
                .expect("attempt");
        }
    }

    /// Whether the block, revoked token and ceremony named `name` are all
    /// there (true) or all gone (false).
    pub(super) async fn edge_rows_kept(&self, name: &str) -> bool {
        let kept = [
            self.count("blocked_addresses", "reason", name).await,
            self.count("revoked_access_tokens", "jti", name).await,
            self.count("passkey_ceremonies", "id", name).await,
        ];
        assert!(kept == [1, 1, 1] || kept == [0, 0, 0], "{name}: {kept:?}");
        kept[0] == 1
    }
}
