//! The scheduled cleanup of expired rows (`maintenance::Cleanup`), on both
//! engines with a moved clock: what has outlived every use goes, what a live
//! path still reads stays; batches follow one another until the backlog is
//! gone; of two instances only the lease holder deletes, and the other takes
//! over once a holder stops renewing; retention 0 keeps every event; a
//! server started with the cleanup on runs it.
use std::sync::Arc;

use auth_server::domain::client::ClientId;
use auth_server::domain::display_name::DisplayName;
use auth_server::domain::email::Email;
use auth_server::domain::grant::GrantId;
use auth_server::domain::lockout::LockoutPolicy;
use auth_server::domain::one_time_token::Purpose;
use auth_server::domain::passkey::CeremonyPurpose;
use auth_server::domain::retention::{EventRetention, Retention};
use auth_server::domain::security_report::ReportDay;
use auth_server::domain::session::{SessionPolicy, SessionStage};
use auth_server::domain::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::domain::user::{UserId, UserMetadata};
use auth_server::domain::webhook::delivery::Attempt;
use auth_server::maintenance::cleanup::{JOB, LEASE_SECS};
use auth_server::maintenance::{Cleanup, Deleted, Outcome};
use auth_server::store::audit::{AuditEvent, AuditStore};
use auth_server::store::auth_codes::{AuthCode, AuthCodeStore, FirstRefresh, Redemption};
use auth_server::store::blocks::{AppliesTo, BlockStore, NewBlock};
use auth_server::store::grants::GrantStore;
use auth_server::store::incident_notes::IncidentNoteStore;
use auth_server::store::login_failures::LoginFailureStore;
use auth_server::store::one_time_tokens::OneTimeTokenStore;
use auth_server::store::operator_report::OperatorReportStore;
use auth_server::store::passkeys::{NewCeremony, PasskeyStore};
use auth_server::store::refresh_tokens::{RefreshRecord, RefreshTokenStore, ReplayWindow};
use auth_server::store::revoked_tokens::{RevokedToken, RevokedTokenStore};
use auth_server::store::scheduled_jobs::ScheduledJobStore;
use auth_server::store::security_report::SecurityReportStore;
use auth_server::store::sessions::{SessionRecord, SessionStore};
use auth_server::store::step_up::StepUpStore;
use auth_server::store::tenants::TenantStore;
use auth_server::store::users::{NewUser, UserStore};
use auth_server::store::webhooks::{AttemptOutcome, NewDelivery, NewEndpoint, WebhookStore};
use auth_server::MIGRATIONS;
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock};
use service_kit::db::{self, Database, Engine, PoolSettings};
use service_kit::testing::TestDb;

const T0: i64 = 1_900_000_000;
const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// When the first pass runs: ten days and an hour after the rows were made.
const T1: i64 = T0 + 10 * DAY + HOUR;

/// A cleanup on `database` as the server builds it (default session and
/// lockout policies), due every 10 minutes, reading `clock`.
pub fn runner(database: &Database, clock: Arc<ManualClock>, events: EventRetention) -> Cleanup {
    let retention = Retention::new(
        events,
        &SessionPolicy::default(),
        &[LockoutPolicy::ACCOUNT, LockoutPolicy::IP],
    );
    let every = std::time::Duration::from_secs(10 * 60);
    Cleanup::new(database, retention, every, None, clock)
}

/// What a whole pass deleted; panics on a skipped or cut pass.
pub async fn pass(cleanup: &Cleanup) -> Deleted {
    match cleanup.run_if_due().await.expect("pass") {
        Outcome::Done(deleted) => deleted,
        other => panic!("expected a whole pass, got {other:?}"),
    }
}

struct Scene {
    _db: TestDb,
    database: Database,
    clock: Arc<ManualClock>,
    tenant: Tenant,
    user: UserId,
    client: ClientId,
}

async fn scene(engine: Engine) -> Scene {
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
    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// How many rows of `table` have `column` = `value`.
    async fn count(&self, table: &str, column: &str, value: &str) -> i64 {
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
    async fn code(&self, digest: &str) {
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
    async fn redeem(&self, digest: &str) {
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
    async fn session(&self, handle: &str, expires_at: i64) {
        let now = self.now();
        SessionStore::new(self.database.pool.clone())
            .insert(&SessionRecord {
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
            })
            .await
            .expect("session");
    }

    /// The first token of a family made now, ending at `family_expires_at`,
    /// idle for at most an hour.
    async fn refresh_family(&self, digest: &str, family_expires_at: i64) -> RefreshRecord {
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
    async fn rotate(&self, spent: &str, next: &str, family: &RefreshRecord, retry: Option<i64>) {
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
    async fn link(&self, digest: &str, ttl: i64) {
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
    async fn failure(&self, subject: &str) {
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
    async fn event(&self, detail: &str) {
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
    async fn edge_rows(&self, name: &str, expires_at: i64) {
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
    async fn delivery(&self, name: &str, retry_until: i64, delivered: bool) {
        let store = WebhookStore::new(self.database.pool.clone());
        let now = self.now();
        if store
            .endpoints(self.tenant.id)
            .await
            .expect("endpoints")
            .is_empty()
        {
            store
                .insert_endpoint(&NewEndpoint {
                    id: "whk_cleanup",
                    tenant_id: self.tenant.id,
                    url: "https://hooks.acme.example/",
                    description: "",
                    events: "user.created",
                    secret_sealed: "v1.none.AAAA",
                    now: T0 - 100 * DAY,
                })
                .await
                .expect("endpoint");
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
    async fn edge_rows_kept(&self, name: &str) -> bool {
        let kept = [
            self.count("blocked_addresses", "reason", name).await,
            self.count("revoked_access_tokens", "jti", name).await,
            self.count("passkey_ceremonies", "id", name).await,
        ];
        assert!(kept == [1, 1, 1] || kept == [0, 0, 0], "{name}: {kept:?}");
        kept[0] == 1
    }
}

/// Rows of every kind, some past their use at `T1` and some not; two passes
/// (`T1`, then when everything has ended) delete exactly the first, then
/// the rest.
async fn expired_rows_go_and_live_ones_stay(engine: Engine) {
    let s = scene(engine).await;
    // At T0.
    s.code("code-unused-old").await;
    s.code("code-spent-old").await;
    s.clock.advance(1);
    s.redeem("code-spent-old").await;
    s.clock.set(T0);
    s.session("absolute-ended", T0 + HOUR).await;
    s.session("idle-a-week", T0 + 30 * DAY).await;
    s.session("live", T0 + 30 * DAY).await;
    let ended = s.refresh_family("family-ended-1", T0 + DAY).await;
    s.clock.advance(10);
    s.rotate("family-ended-1", "family-ended-2", &ended, None)
        .await;
    s.clock.set(T0);
    let live = s.refresh_family("family-live-1", T0 + 30 * DAY).await;
    s.clock.advance(10);
    s.rotate("family-live-1", "family-live-2", &live, None)
        .await;
    s.clock.set(T0);
    s.link("link-old", HOUR).await;
    s.failure("acct:old").await;
    s.event("event-old").await;
    s.edge_rows("edge-ended", T0 + 10 * MINUTE).await;
    s.edge_rows("edge-live", T1 + DAY).await;
    // Webhook deliveries: a month-old one delivered, a month-old one still
    // pending (its retry period not over at the pass), a recent one.
    s.clock.set(T0 - 21 * DAY);
    s.delivery("delivery-old-done", T0 - 20 * DAY, true).await;
    s.delivery("delivery-old-pending", T0 - 10 * DAY, false)
        .await;
    s.clock.set(T0);
    s.delivery("delivery-recent", T0 + DAY, true).await;

    // A day before the pass: a link that expired, an event inside retention.
    s.clock.set(T1 - DAY);
    s.link("link-recent", HOUR).await;
    s.event("event-recent").await;
    // Just before it: codes that expired a minute ago, one of them spent;
    // a family that ends 10 s before the pass, its first token spent 20 s
    // before with a replay window still open at the pass.
    s.clock.set(T1 - 2 * MINUTE);
    s.code("code-unused-recent").await;
    s.code("code-spent-recent").await;
    s.redeem("code-spent-recent").await;
    s.clock.set(T1 - 1000);
    let replay = s.refresh_family("replay-1", T1 - 10).await;
    s.clock.set(T1 - 20);
    s.rotate("replay-1", "replay-2", &replay, Some(T1 + 40))
        .await;
    // An hour before: the live session is used, a failure is counted.
    s.clock.set(T1 - HOUR);
    SessionStore::new(s.database.pool.clone())
        .touch("secret-live", s.now())
        .await
        .expect("touch");
    s.failure("acct:recent").await;
    s.clock.set(T1);
    s.code("code-live").await;
    s.link("link-live", HOUR).await;

    let cleanup = runner(
        &s.database,
        s.clock.clone(),
        EventRetention::from_days(10).expect("days"),
    );
    let deleted = pass(&cleanup).await;
    assert_eq!(
        deleted,
        Deleted {
            authorization_codes: 3,
            sessions: 2,
            refresh_tokens: 3,
            one_time_tokens: 1,
            login_failures: 1,
            audit_events: 1,
            blocked_addresses: 1,
            revoked_access_tokens: 1,
            passkey_ceremonies: 1,
            webhook_deliveries: 1,
            step_up_marks: 0,
            security_report_mails: 0,
            operator_report_mails: 0,
            incident_notes: 0,
        }
    );
    let kept = |table: &'static str, column: &'static str, value: &'static str| {
        let s = &s;
        async move { s.count(table, column, value).await == 1 }
    };
    for (code, stays) in [
        ("code-unused-old", false),
        ("code-spent-old", false),
        ("code-unused-recent", false),
        ("code-spent-recent", true),
        ("code-live", true),
    ] {
        assert_eq!(
            kept("authorization_codes", "code_hash", code).await,
            stays,
            "{code}"
        );
    }
    for (session, stays) in [
        ("absolute-ended", false),
        ("idle-a-week", false),
        ("live", true),
    ] {
        assert_eq!(
            kept("sessions", "handle", session).await,
            stays,
            "{session}"
        );
    }
    for (token, stays) in [
        ("family-ended-1", false),
        ("family-ended-2", false),
        // Spent while its family lives: presented again, it revokes it.
        ("family-live-1", true),
        // Idle past its hour, but of a live family.
        ("family-live-2", true),
        // Its family ended, but a retry may still get its answer.
        ("replay-1", true),
        ("replay-2", false),
    ] {
        assert_eq!(
            kept("refresh_tokens", "token_hash", token).await,
            stays,
            "{token}"
        );
    }
    for (link, stays) in [
        ("link-old", false),
        ("link-recent", true),
        ("link-live", true),
    ] {
        assert_eq!(
            kept("one_time_tokens", "token_hash", link).await,
            stays,
            "{link}"
        );
    }
    assert!(!kept("login_failures", "subject", "acct:old").await);
    assert!(kept("login_failures", "subject", "acct:recent").await);
    assert!(!kept("audit_events", "detail", "event-old").await);
    assert!(kept("audit_events", "detail", "event-recent").await);
    assert!(!s.edge_rows_kept("edge-ended").await);
    assert!(s.edge_rows_kept("edge-live").await);
    for (delivery, stays) in [
        ("delivery-old-done", false),
        ("delivery-old-pending", true),
        ("delivery-recent", true),
    ] {
        assert_eq!(
            kept("webhook_deliveries", "event_id", delivery).await,
            stays,
            "{delivery}"
        );
    }
    // The attempts went with their delivery.
    let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_attempts")
        .fetch_one(&s.database.pool)
        .await
        .expect("count");
    assert_eq!(attempts, 1);

    // Once every end has passed, the rest goes too.
    s.clock.set(T0 + 40 * DAY);
    let rest = pass(&cleanup).await;
    assert_eq!(
        rest,
        Deleted {
            authorization_codes: 2,
            sessions: 1,
            refresh_tokens: 3,
            one_time_tokens: 2,
            login_failures: 1,
            audit_events: 1,
            blocked_addresses: 1,
            revoked_access_tokens: 1,
            passkey_ceremonies: 1,
            webhook_deliveries: 2,
            step_up_marks: 0,
            security_report_mails: 0,
            operator_report_mails: 0,
            incident_notes: 0,
        }
    );
    assert_eq!(pass_later(&s, &cleanup).await, Deleted::default());
}
both_engines!(
    cleanup_expired_rows_go_and_live_ones_stay,
    expired_rows_go_and_live_ones_stay
);

/// A step-up mark goes once it has run out, a live one stays; the record
/// that a day's security report was mailed goes 40 days later.
async fn step_up_marks_and_report_mail_records_go_when_over(engine: Engine) {
    let s = scene(engine).await;
    let marks = StepUpStore::new(s.database.pool.clone());
    let other = UserStore::new(s.database.pool.clone())
        .create(
            NewUser {
                tenant_id: s.tenant.id,
                email: Email::parse("bob@acme.example").expect("email"),
                username: None,
                display_name: DisplayName::parse("Bob").expect("name"),
                password_hash: None,
                metadata: UserMetadata::default(),
            },
            T0,
        )
        .await
        .expect("user")
        .id;
    assert!(marks
        .mark(s.tenant.id, s.user, "inc-ended", T0, T1 - HOUR)
        .await
        .expect("mark"));
    assert!(marks
        .mark(s.tenant.id, other, "inc-live", T0, T1 + HOUR)
        .await
        .expect("mark"));
    let reports = SecurityReportStore::new(s.database.pool.clone());
    let (old_day, recent_day) = (ReportDay::of(T1 - 42 * DAY), ReportDay::of(T1 - 2 * DAY));
    for (day, sent_at) in [(old_day, T1 - 41 * DAY), (recent_day, T1 - DAY)] {
        assert!(reports
            .claim_mail(s.tenant.id, day, sent_at)
            .await
            .expect("claim"));
    }
    s.clock.set(T1);
    let cleanup = runner(&s.database, s.clock.clone(), EventRetention::default());
    let deleted = pass(&cleanup).await;
    assert_eq!(
        (deleted.step_up_marks, deleted.security_report_mails),
        (1, 1),
        "{deleted:?}"
    );
    assert_eq!(
        marks.expires_at(s.tenant.id, s.user).await.expect("read"),
        None
    );
    assert_eq!(
        marks.expires_at(s.tenant.id, other).await.expect("read"),
        Some(T1 + HOUR)
    );
    for (day, stays) in [(old_day, 0), (recent_day, 1)] {
        let day = day.to_string();
        assert_eq!(
            s.count("security_report_mails", "day", &day).await,
            stays,
            "{day}"
        );
    }
}
both_engines!(
    cleanup_step_up_marks_and_report_mails,
    step_up_marks_and_report_mail_records_go_when_over
);

/// The record that a day's operators' report was mailed goes 40 days
/// later; the analyst's note of an incident goes with the audit events
/// (400 days by default), and stays while they are kept forever.
async fn operator_mails_and_incident_notes_go_when_over(engine: Engine) {
    let s = scene(engine).await;
    let reports = OperatorReportStore::new(s.database.pool.clone());
    let (old_day, recent_day) = (ReportDay::of(T1 - 42 * DAY), ReportDay::of(T1 - 2 * DAY));
    for (day, sent_at) in [(old_day, T1 - 41 * DAY), (recent_day, T1 - DAY)] {
        assert!(reports.claim_mail(day, sent_at).await.expect("claim"));
    }
    let notes = IncidentNoteStore::new(s.database.pool.clone());
    for (id, claimed_at) in [("inc-old", T1 - 401 * DAY), ("inc-recent", T1 - DAY)] {
        assert!(notes
            .claim(id, s.tenant.id, claimed_at)
            .await
            .expect("claim"));
        notes
            .write(id, "a note", claimed_at + 5)
            .await
            .expect("note");
    }
    s.clock.set(T1);
    // Events kept forever: so are the notes.
    let forever = runner(
        &s.database,
        s.clock.clone(),
        EventRetention::from_days(0).expect("forever"),
    );
    let deleted = pass(&forever).await;
    assert_eq!(
        (deleted.operator_report_mails, deleted.incident_notes),
        (1, 0),
        "{deleted:?}"
    );
    s.clock.advance(10 * MINUTE);
    let cleanup = runner(&s.database, s.clock.clone(), EventRetention::default());
    let deleted = pass(&cleanup).await;
    assert_eq!(
        (deleted.operator_report_mails, deleted.incident_notes),
        (0, 1),
        "{deleted:?}"
    );
    for (day, stays) in [(old_day, 0), (recent_day, 1)] {
        let day = day.to_string();
        assert_eq!(s.count("operator_report_mails", "day", &day).await, stays);
    }
    for (id, stays) in [("inc-old", 0), ("inc-recent", 1)] {
        assert_eq!(s.count("incident_notes", "incident_id", id).await, stays);
    }
}
both_engines!(
    cleanup_operator_report_mails_and_incident_notes,
    operator_mails_and_incident_notes_go_when_over
);

/// A pass a period later.
async fn pass_later(s: &Scene, cleanup: &Cleanup) -> Deleted {
    s.clock.advance(10 * MINUTE);
    pass(cleanup).await
}

/// A backlog longer than a batch is deleted batch after batch in one pass,
/// rows sharing an expiry across a batch's edge included.
async fn batches_follow_one_another(engine: Engine) {
    let s = scene(engine).await;
    for i in 0..7 {
        s.link(&format!("same-expiry-{i}"), HOUR).await;
    }
    for i in 0..5 {
        s.clock.advance(1);
        s.link(&format!("later-{i}"), HOUR).await;
    }
    s.link("live", 30 * DAY).await;
    s.clock.advance(HOUR + 8 * DAY);
    let cleanup = runner(&s.database, s.clock.clone(), EventRetention::default()).with_batch(3);
    let deleted = pass(&cleanup).await;
    assert_eq!(deleted.one_time_tokens, 12, "{deleted:?}");
    assert_eq!(s.count("one_time_tokens", "token_hash", "live").await, 1);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM one_time_tokens")
        .fetch_one(&s.database.pool)
        .await
        .expect("count");
    assert_eq!(left, 1);
}
both_engines!(
    cleanup_batches_follow_one_another,
    batches_follow_one_another
);

/// Two instances on one database: one pass per period, by whichever holds
/// the lease; a holder that died blocks the other only until its lease
/// runs out.
async fn only_the_lease_holder_deletes(engine: Engine) {
    let s = scene(engine).await;
    let a = runner(&s.database, s.clock.clone(), EventRetention::default());
    let b = runner(&s.database, s.clock.clone(), EventRetention::default());
    s.link("first", MINUTE).await;
    s.link("second", 2 * MINUTE).await;
    // A week past the first link's expiry, a minute short of the second's.
    s.clock.set(T0 + MINUTE + 7 * DAY);
    assert_eq!(pass(&a).await.one_time_tokens, 1);
    s.clock.advance(5 * MINUTE);
    assert_eq!(
        b.run_if_due().await.expect("run"),
        Outcome::Skipped,
        "a ran 5 min ago"
    );
    assert_eq!(s.count("one_time_tokens", "token_hash", "second").await, 1);
    s.clock.advance(5 * MINUTE);
    assert_eq!(pass(&b).await.one_time_tokens, 1, "a period later, on b");
    assert_eq!(a.run_if_due().await.expect("run"), Outcome::Skipped);

    // Another instance takes the lease and dies mid-pass.
    s.link("third", MINUTE).await;
    s.clock.advance(MINUTE + 7 * DAY);
    let now = s.now();
    assert!(ScheduledJobStore::new(s.database.pool.clone())
        .try_lease(JOB, "dead-instance", now, now + LEASE_SECS)
        .await
        .expect("lease"));
    for runner in [&a, &b] {
        assert_eq!(runner.run_if_due().await.expect("run"), Outcome::Skipped);
    }
    assert_eq!(s.count("one_time_tokens", "token_hash", "third").await, 1);
    s.clock.advance(LEASE_SECS);
    assert_eq!(
        a.run_if_due().await.expect("run"),
        Outcome::Skipped,
        "not quite"
    );
    s.clock.advance(1);
    assert_eq!(
        pass(&a).await.one_time_tokens,
        1,
        "the dead holder's lease ran out"
    );
}
both_engines!(
    cleanup_only_the_lease_holder_deletes,
    only_the_lease_holder_deletes
);

async fn retention_zero_keeps_every_event(engine: Engine) {
    let s = scene(engine).await;
    s.event("ancient").await;
    s.link("link", HOUR).await;
    s.clock.advance(30_000 * DAY);
    let forever = EventRetention::from_days(0).expect("valid");
    let deleted = pass(&runner(&s.database, s.clock.clone(), forever)).await;
    assert_eq!(
        deleted,
        Deleted {
            one_time_tokens: 1,
            ..Deleted::default()
        }
    );
    assert_eq!(s.count("audit_events", "detail", "ancient").await, 1);
}
both_engines!(
    cleanup_retention_zero_keeps_every_event,
    retention_zero_keeps_every_event
);

/// A server started with `AUTH_CLEANUP_EVERY_MINUTES` set runs a pass at
/// start (and every period after), reading its clock.
async fn a_server_runs_the_cleanup(engine: Engine) {
    let clock = Arc::new(ManualClock::new(T0));
    let app = crate::helpers::spawn_app_with_clock(engine, &[], clock.clone()).await;
    let blocks = BlockStore::new(app.database.pool.clone());
    blocks
        .insert(&NewBlock {
            tenant_id: None,
            network: "203.0.113.9/32",
            reason: "test",
            created_by: "operator",
            created_at: T0,
            expires_at: T0 + MINUTE,
            applies_to: AppliesTo::Tenant,
        })
        .await
        .expect("block");
    clock.advance(HOUR);
    assert_eq!(blocks.active(0).await.expect("blocks").len(), 1);
    app.spawn_peer_with(clock, &[("AUTH_CLEANUP_EVERY_MINUTES", "10")])
        .await;
    let mut gone = false;
    for _ in 0..100 {
        if blocks.active(0).await.expect("blocks").is_empty() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the peer's first pass removes the expired block");
}
both_engines!(cleanup_a_server_runs_the_cleanup, a_server_runs_the_cleanup);

/// With usage reported to billing, an event past retention stays until
/// the usage report has counted its window (it may be a login that makes a
/// user active this month).
async fn activity_not_yet_reported_stays(engine: Engine) {
    // 2026-11-02T00:00:00Z: the month started a day before.
    const NOV_2: i64 = 1_793_577_600;
    let fake = crate::billing_fake::FakeBilling::start().await;
    let app = crate::helpers::spawn_app(engine).await;
    let acme = app.tenant("acme", serde_json::json!({})).await;
    let clock = Arc::new(ManualClock::new(NOV_2));
    AuditStore::new(app.database.pool.clone())
        .insert(&AuditEvent {
            tenant_id: acme.id.to_string(),
            user_id: Some("u-1".into()),
            kind: "login".into(),
            outcome: "success".into(),
            ip: "127.0.0.1".into(),
            user_agent: "test".into(),
            detail: "counted-by-billing".into(),
            account: None,
            created_at: NOV_2,
        })
        .await
        .expect("event");
    clock.set(NOV_2 + 3 * DAY);
    let billing = crate::billing_fake::billing_for(&app, &fake.url, clock.clone());
    let reporter = billing.reporter.clone().expect("reporter");
    let retention = Retention::new(
        EventRetention::from_days(1).expect("valid"),
        &SessionPolicy::default(),
        &[LockoutPolicy::ACCOUNT],
    );
    let every = std::time::Duration::from_secs(10 * 60);
    let cleanup = Cleanup::new(
        &app.database,
        retention,
        every,
        Some(reporter.clone()),
        clock.clone(),
    );
    let kept = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events WHERE detail = $1")
            .bind("counted-by-billing")
            .fetch_one(&app.database.pool)
            .await
            .expect("count")
            == 1
    };
    pass(&cleanup).await;
    assert!(kept().await, "never reported: the report starts at Nov 1");
    let round = reporter.run_once().await.expect("round");
    assert!(round.caught_up && round.events == 1, "{round:?}");
    clock.advance(10 * MINUTE);
    pass(&cleanup).await;
    assert!(!kept().await, "reported and two days past retention");
}
both_engines!(
    cleanup_activity_not_yet_reported_stays,
    activity_not_yet_reported_stays
);
