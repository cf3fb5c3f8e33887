//! `connectauth report operator` against real databases: every tenant's
//! line with the day's logins, failures, incidents and blocks (events of
//! another day not counted), a tenant whose active users fell flagged as a
//! churn risk, the security reports mailed named; a malformed or too old
//! date refused with nothing printed.
mod common;

use auth_server::store::audit::{AuditEvent, AuditStore};
use auth_server::store::security_report::SecurityReportStore;
use auth_server::store::tenants::TenantStore;
use common::{run, stderr, stdout, MASTER_KEYS};
use service_kit::both_engines;
use service_kit::db::{self, Engine, PoolSettings};
use service_kit::testing::TestDb;

const DAY: i64 = 86_400;

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs(),
    )
    .expect("i64")
}

async fn operator_report(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
    ];
    assert!(run(dir.path(), &["migrate", "auth"], &env).status.success());
    for slug in ["acme", "beta"] {
        assert!(run(dir.path(), &["tenant", "create", slug], &env)
            .status
            .success());
    }
    let database = db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect");
    let tenants = TenantStore::new(database.pool.clone());
    let acme = tenants.get_by_slug("acme").await.expect("acme").id;
    let beta = tenants.get_by_slug("beta").await.expect("beta").id;
    let audit = AuditStore::new(database.pool.clone());
    // Yesterday, noon UTC.
    let today = now() - now().rem_euclid(DAY);
    let yesterday = today - DAY + 12 * 3600;
    let event = |tenant, kind: &'static str, outcome: &'static str, user: &'static str, at| {
        AuditEvent::system(tenant, kind, outcome, "{}", at).about(Some(user))
    };
    let mut events = vec![
        event(acme, "login", "success", "u1", yesterday),
        event(acme, "login", "failure", "u1", yesterday + 1),
        event(acme, "login", "locked", "u1", yesterday + 2),
        event(acme, "sentinel", "brute_force", "u1", yesterday + 3),
        event(acme, "sentinel", "blocked", "u1", yesterday + 4),
        // The day before yesterday: not this report's figures.
        event(acme, "login", "failure", "u1", yesterday - DAY),
    ];
    // beta: ten active users 40 days ago, two in the last 30 days.
    let users = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"];
    for user in users {
        events.push(event(beta, "login", "success", user, yesterday - 40 * DAY));
    }
    for user in users.into_iter().take(2) {
        events.push(event(beta, "login", "success", user, yesterday - 5 * DAY));
    }
    for e in &events {
        audit.insert(e).await.expect("event");
    }
    let day = auth_server::domain::security_report::ReportDay::of(yesterday);
    SecurityReportStore::new(database.pool.clone())
        .claim_mail(acme, day, now())
        .await
        .expect("mail recorded");

    let out = run(dir.path(), &["report", "operator"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("Operators' report for {day} (UTC), 2 tenants")),
        "{text}"
    );
    assert!(
        text.contains("Totals: logins 1 ok / 2 failed, 1 incidents, 1 blocks"),
        "{text}"
    );
    assert!(text.contains("Churn risks: beta\n"), "{text}");
    assert!(text.contains("Upgrade candidates: -"), "{text}");
    let acme_line = text
        .lines()
        .find(|l| l.starts_with("- acme"))
        .expect("acme's line");
    assert!(
        acme_line.contains("logins 1 ok / 2 failed, 1 incidents, 1 blocks; active users 1"),
        "{acme_line}"
    );
    assert!(acme_line.contains("mails: security_report"), "{acme_line}");
    assert!(!acme_line.contains("CHURN-RISK"), "{acme_line}");
    let beta_line = text
        .lines()
        .find(|l| l.starts_with("- beta"))
        .expect("beta's line");
    assert!(
        beta_line.contains("active users 2 (30 days before: 10) CHURN-RISK; plan unknown"),
        "{beta_line}"
    );
    assert!(!text.contains("- platform"), "{text}");

    // Another day by --date: the day before yesterday had one failure.
    let before = auth_server::domain::security_report::ReportDay::of(yesterday - DAY);
    let out = run(
        dir.path(),
        &["report", "operator", "--date", &before.to_string()],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Totals: logins 0 ok / 1 failed, 0 incidents, 0 blocks"),
        "{}",
        stdout(&out)
    );

    for bad in ["yesterday", "2026-13-01", "1999-01-01"] {
        let out = run(dir.path(), &["report", "operator", "--date", bad], &env);
        assert!(!out.status.success(), "{bad}");
        assert!(stderr(&out).contains("--date"), "{bad}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{bad}");
    }
}

both_engines!(
    the_operators_report_lists_every_tenant_with_its_day_and_health,
    operator_report
);
