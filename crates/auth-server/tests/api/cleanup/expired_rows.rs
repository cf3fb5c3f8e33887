//! What each pass deletes: every kind of row that has outlived every use
//! goes, what a live path still reads stays; step-up marks, the records of
//! mailed reports and incident notes go when they are over.
use auth_server::domain::display_name::DisplayName;
use auth_server::domain::email::Email;
use auth_server::domain::retention::EventRetention;
use auth_server::domain::security_report::ReportDay;
use auth_server::domain::user::UserMetadata;
use auth_server::maintenance::{Cleanup, Deleted};
use auth_server::store::incident_notes::IncidentNoteStore;
use auth_server::store::operator_report::OperatorReportStore;
use auth_server::store::security_report::SecurityReportStore;
use auth_server::store::sessions::SessionStore;
use auth_server::store::step_up::StepUpStore;
use auth_server::store::users::{NewUser, UserStore};
use service_kit::both_engines;
use service_kit::db::Engine;

use super::scene::{scene, Scene};
use super::{pass, runner, DAY, HOUR, MINUTE, T0, T1};

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
