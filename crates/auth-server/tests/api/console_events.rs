//! `/dashboard/t/{slug}/events`: an owner filters their tenant's audit trail
//! by type, user, IP and day, pages through it and downloads it as CSV, with
//! formulas defused; nobody else reads it.
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{spawn_app, PASSWORD};

const OWNER: &str = "founder@startup.example";
const EVENTS: &str = "/dashboard/t/startup/events";

/// Rows of the events table on `page` (one per `<tr>` in its body).
fn rows(body: &str) -> usize {
    body.split("<tbody>")
        .nth(1)
        .map_or(0, |b| b.matches("<tr>").count())
}

async fn owner_reads_the_trail(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    onboarded(&app, &owner, "startup", "Startup").await;
    // Signups and logins, one failed login whose email is a formula.
    let end_user = app.web();
    for email in ["ann@startup.example", "ben@startup.example"] {
        app.signup_verified(&end_user, "startup", email, PASSWORD)
            .await;
        let login = app.login(&end_user, "startup", email, PASSWORD).await;
        assert_eq!(login.status, 303);
    }
    let failed = app
        .login(
            &end_user,
            "startup",
            "ann@startup.example",
            "wrong password!",
        )
        .await;
    assert_ne!(failed.status, 303);

    let all = owner.get(EVENTS).await;
    assert_eq!(all.status, 200, "{}", all.body);
    let total = rows(&all.body);
    assert!(total >= 5, "signups, logins, a failure: {}", all.body);
    assert!(!all.contains("id=\"older\""), "one page");

    let logins = owner.get(&format!("{EVENTS}?kind=login")).await;
    assert_eq!(logins.status, 200);
    let shown = rows(&logins.body);
    assert!(shown >= 3 && shown < total, "{shown} of {total}");
    assert!(
        !logins.contains("<td>signup "),
        "only logins: {}",
        logins.body
    );
    let nothing = owner.get(&format!("{EVENTS}?ip=203.0.113.99")).await;
    assert!(nothing.contains("id=\"no-events\""), "{}", nothing.body);
    let future = owner.get(&format!("{EVENTS}?from=2999-01-01")).await;
    assert!(future.contains("id=\"no-events\""));
    // Yesterday to today, both included (a run across midnight stays whole).
    let today = time::OffsetDateTime::now_utc().date();
    let yesterday = today.previous_day().expect("a day before");
    let page = owner
        .get(&format!("{EVENTS}?from={yesterday}&until={today}"))
        .await;
    assert_eq!(rows(&page.body), total, "{}", page.body);
    let bad = owner.get(&format!("{EVENTS}?from=05/12/2026")).await;
    assert_eq!(bad.status, 422);

    // The CSV of the same selection, as an attachment.
    let csv = owner.get(&format!("{EVENTS}.csv?kind=login")).await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    assert!(csv
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("attachment")));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "at,kind,outcome,user_id,ip,user_agent,detail");
    assert_eq!(lines.len() - 1, shown, "{}", csv.body);
    assert!(
        lines[1..].iter().all(|l| l.contains(",login,")),
        "{}",
        csv.body
    );
}

both_engines!(
    an_owner_filters_the_events_and_downloads_them,
    owner_reads_the_trail
);

#[tokio::test]
async fn events_page_through_with_a_cursor() {
    let app = spawn_app(Engine::Sqlite).await;
    let owner = platform_user(&app, OWNER).await;
    onboarded(&app, &owner, "startup", "Startup").await;
    let end_user = app.web();
    app.signup_verified(&end_user, "startup", "ann@startup.example", PASSWORD)
        .await;
    // 60 failed logins: more than a page (50).
    for _ in 0..60 {
        end_user.get("/t/startup/login").await;
        end_user
            .post(
                "/t/startup/login",
                &[
                    ("email", "nobody@startup.example"),
                    ("password", "wrong password!"),
                ],
            )
            .await;
    }
    let first = owner.get(&format!("{EVENTS}?kind=login")).await;
    assert_eq!(rows(&first.body), 50, "{}", first.body);
    let before_link = first
        .body
        .split("\" rel=\"next\"")
        .next()
        .expect("a link to older events");
    let next = before_link
        .rsplit("href=\"")
        .next()
        .expect("its href")
        .replace("&amp;", "&");
    assert!(next.contains("kind=login"), "the filter is kept: {next}");
    let second = owner.get(&next).await;
    assert_eq!(second.status, 200);
    assert!(rows(&second.body) >= 10, "{}", second.body);
    assert!(!second.contains("rel=\"next\""));
    // A forged cursor is no cursor: the first page again.
    let forged = owner
        .get(&format!("{EVENTS}?kind=login&after=1.'%20OR%201=1"))
        .await;
    assert_eq!(rows(&forged.body), 50);
}

#[tokio::test]
async fn only_the_owner_reads_the_events() {
    let app = spawn_app(Engine::Sqlite).await;
    let owner = platform_user(&app, OWNER).await;
    onboarded(&app, &owner, "startup", "Startup").await;
    let stranger = platform_user(&app, "other@rival.example").await;
    stranger.get("/dashboard").await;
    assert_eq!(stranger.get(EVENTS).await.status, 404);
    assert_eq!(stranger.get(&format!("{EVENTS}.csv")).await.status, 404);
    let anonymous = app.web();
    assert_eq!(anonymous.get(EVENTS).await.status, 303);
    assert_eq!(anonymous.get(&format!("{EVENTS}.csv")).await.status, 303);
}
