//! `connectauth report operator` against real databases: every tenant's
//! line with the day's logins, failures, incidents and blocks (events of
//! another day not counted), a tenant whose active users fell flagged as a
//! churn risk, the security reports mailed named, plans and an upgrade
//! candidate from billing (a stand-in on loopback); a malformed or too old
//! date refused with nothing printed.
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use auth_server::domain::audit::{AuditEvent, AuditKind};
use auth_server::store::audit::AuditStore;
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

/// The paths billing was asked, each with whether a bearer token came.
type Asked = Arc<Mutex<Vec<(String, bool)>>>;

/// A stand-in for billing's `GET /v1/tenants/{id}/entitlements` on its own
/// thread (the CLI runs as a child process the test waits for): `acme` is
/// at 900 of its plan's 1000 monthly active users, anyone else at 10.
fn billing(acme: String) -> (String, Asked) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut bearer = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                bearer |= line
                    .to_ascii_lowercase()
                    .starts_with("authorization: bearer ");
            }
            let path = first.split(' ').nth(1).unwrap_or_default().to_owned();
            let tenant = path.split('/').nth(3).unwrap_or_default().to_owned();
            let (used, warning) = if tenant == acme {
                (900, "approaching")
            } else {
                (10, "none")
            };
            let body = format!(
                r#"{{"tenant_id":"{tenant}","plan":"free","status":"active","month":"2026-12","mau_used":{used},"mau_limit":1000,"warning":"{warning}","signups_allowed":true}}"#
            );
            if let Ok(mut all) = seen.lock() {
                all.push((path, bearer));
            }
            let mut out = &stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, asked)
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
    let event = |tenant, kind: AuditKind, outcome: &'static str, user: &'static str, at| {
        AuditEvent::system(tenant, kind, outcome, "{}", at).about(Some(user))
    };
    let mut events = vec![
        event(acme, AuditKind::Login, "success", "u1", yesterday),
        event(acme, AuditKind::Login, "failure", "u1", yesterday + 1),
        event(acme, AuditKind::Login, "locked", "u1", yesterday + 2),
        event(
            acme,
            AuditKind::Sentinel,
            "brute_force",
            "u1",
            yesterday + 3,
        ),
        event(acme, AuditKind::Sentinel, "blocked", "u1", yesterday + 4),
        // The day before yesterday: not this report's figures.
        event(acme, AuditKind::Login, "failure", "u1", yesterday - DAY),
    ];
    // beta: ten active users 40 days ago, two in the last 30 days.
    let users = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"];
    for user in users {
        events.push(event(
            beta,
            AuditKind::Login,
            "success",
            user,
            yesterday - 40 * DAY,
        ));
    }
    for user in users.into_iter().take(2) {
        events.push(event(
            beta,
            AuditKind::Login,
            "success",
            user,
            yesterday - 5 * DAY,
        ));
    }
    for e in &events {
        audit.insert(e).await.expect("event");
    }
    let day = auth_server::domain::security_report::ReportDay::of(yesterday);
    SecurityReportStore::new(database.pool.clone())
        .claim_mail(acme, day, now())
        .await
        .expect("mail recorded");

    let (billing_url, asked) = billing(acme.to_string());
    let with_billing = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
        ("AUTH_BILLING_URL", billing_url.as_str()),
    ];
    let out = run(dir.path(), &["report", "operator"], &with_billing);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let asked = asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert_eq!(asked.len(), 2, "one question per tenant: {asked:?}");
    assert!(
        asked
            .iter()
            .all(|(path, bearer)| path.ends_with("/entitlements") && *bearer),
        "{asked:?}"
    );
    assert!(
        text.contains(&format!("Operators' report for {day} (UTC), 2 tenants")),
        "{text}"
    );
    assert!(
        text.contains("Totals: logins 1 ok / 2 failed, 1 incidents, 1 blocks"),
        "{text}"
    );
    assert!(text.contains("Churn risks: beta\n"), "{text}");
    assert!(text.contains("Upgrade candidates: acme\n"), "{text}");
    let acme_line = text
        .lines()
        .find(|l| l.starts_with("- acme"))
        .expect("acme's line");
    assert!(
        acme_line.contains("logins 1 ok / 2 failed, 1 incidents, 1 blocks; active users 1"),
        "{acme_line}"
    );
    assert!(
        acme_line.contains("; plan free 900/1000 UPGRADE-CANDIDATE; mails: security_report, plan_limit_approaching"),
        "{acme_line}"
    );
    assert!(!acme_line.contains("CHURN-RISK"), "{acme_line}");
    let beta_line = text
        .lines()
        .find(|l| l.starts_with("- beta"))
        .expect("beta's line");
    assert!(
        beta_line.contains("active users 2 (30 days before: 10) CHURN-RISK; plan free 10/1000"),
        "{beta_line}"
    );
    assert!(!text.contains("- platform"), "{text}");

    // Without billing: no plans, nobody an upgrade candidate.
    let out = run(dir.path(), &["report", "operator"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Upgrade candidates: -"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("; plan unknown"), "{}", stdout(&out));

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
