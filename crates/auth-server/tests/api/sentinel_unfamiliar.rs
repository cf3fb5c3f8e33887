//! Unfamiliar logins against the real server: an account without a second
//! factor signs in from home with its usual browser, from another address
//! of its /24, with a new phone at home and with its updated browser from a
//! café (nothing raised); then someone with the password signs in from a
//! new range with a new browser: an `unfamiliar_login` incident on the
//! user with its evidence, the user's mail, the tenant's webhook, nothing
//! blocked and no step-up unless the tenant asks; once asked, the account
//! is stepped up. A TOTP account and a tenant that turned the detector off
//! raise nothing.
use auth_server::domain::email::Email;
use auth_server::domain::tenant::Tenant;
use auth_server::store::sentinel::SentinelStore;
use auth_server::store::users::UserStore;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::Clock;
use service_kit::db::Engine;

use crate::helpers::{TestApp, PASSWORD};
use crate::sentinel::{
    blocks, event, from, login_page, scene, sentinel_events, subscribe, within, Scene,
};
use crate::web::{totp_code_at, Web};
use crate::webhook_receiver::Receiver;

const ALICE: &str = "alice@acme.example";
const FIREFOX_WIN: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
const FIREFOX_WIN_NEXT: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36";
const CHROME_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const HOME: &str = "198.51.100.4";
const THIEF: &str = "203.0.113.9";

/// A browser at `ip` sending `agent`.
fn browser(app: &TestApp, ip: &str, agent: &str) -> Web {
    let mut web = from(&app.address, ip);
    web.user_agent = Some(agent.to_owned());
    web
}

/// A right-password login of `email` on `slug` from `web`: it must succeed.
async fn sign_in(app: &TestApp, web: &Web, slug: &str, email: &str) -> Option<String> {
    let page = app.login(web, slug, email, PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    page.location
}

/// Waits until the sentinel has read every event (and so checked every
/// login).
async fn all_read(s: &Scene) {
    let sentinel = SentinelStore::new(s.app.database.pool.clone());
    assert!(
        within(5, || async { sentinel.unread().await.expect("lag") == 0 }).await,
        "the sentinel read every event"
    );
}

async fn user_id(app: &TestApp, tenant: &Tenant, email: &str) -> String {
    UserStore::new(app.database.pool.clone())
        .find_by_email(tenant.id, &Email::parse(email).expect("email"))
        .await
        .expect("read")
        .expect("the user exists")
        .id
        .to_string()
}

async fn unfamiliar_events(s: &Scene) -> Vec<Value> {
    sentinel_events(s)
        .await
        .into_iter()
        .filter(|(o, _)| o == "unfamiliar_login")
        .map(|(_, d)| d)
        .collect()
}

/// Alice, verified, and her usual logins: home with Firefox, another
/// address of the home /24 with Firefox updated, a new phone at home, the
/// updated Firefox from a café.
async fn alice_at_home(s: &Scene) {
    s.app
        .signup_verified(&s.app.web(), "acme", ALICE, PASSWORD)
        .await;
    for (ip, agent) in [
        (HOME, FIREFOX_WIN),
        ("198.51.100.77", FIREFOX_WIN_NEXT),
        (HOME, CHROME_ANDROID),
        ("192.0.2.55", FIREFOX_WIN_NEXT),
    ] {
        sign_in(&s.app, &browser(&s.app, ip, agent), "acme", ALICE).await;
    }
}

async fn an_unfamiliar_login_is_told_to_the_user_and_the_tenant(engine: Engine) {
    let receiver = Receiver::start().await;
    let s = scene(engine, &[("AUTH_WEBHOOK_ALLOW_PRIVATE", "true")], json!({})).await;
    subscribe(&s.app, &s.tenant, &receiver).await;
    alice_at_home(&s).await;
    all_read(&s).await;
    assert!(
        unfamiliar_events(&s).await.is_empty(),
        "usual logins: {:?}",
        sentinel_events(&s).await
    );

    // Someone with the password, elsewhere, with another browser.
    let thief = browser(&s.app, THIEF, CHROME_LINUX);
    sign_in(&s.app, &thief, "acme", ALICE).await;
    assert!(
        within(5, || async {
            event(&s, "unfamiliar_login").await.is_some()
        })
        .await,
        "detected within 5 s"
    );
    let alice = user_id(&s.app, &s.tenant, ALICE).await;
    let detected = event(&s, "unfamiliar_login").await.expect("incident");
    assert_eq!(
        detected["subject"],
        format!("user:{alice} 203.0.113.0/24 Chrome on Linux")
    );
    let evidence = &detected["evidence"];
    assert_eq!(evidence["range"], "203.0.113.0/24");
    assert_eq!(evidence["ip"], THIEF);
    assert_eq!(evidence["user_agent_family"], "Chrome on Linux");
    assert!(evidence["at"]
        .as_i64()
        .is_some_and(|at| at <= s.clock.now()));
    // Home's /24 and the café's, with the sign-up's loopback if it signed
    // in: the earlier logins' ranges.
    assert!(
        evidence["familiar_ranges"].as_u64() >= Some(2),
        "{detected}"
    );
    assert!(evidence["earlier_logins"].as_u64() >= Some(4), "{detected}");
    assert_eq!(detected["history_days"], 90);
    assert_eq!(detected["stepped_up"], 0, "step-up is off by default");
    assert_eq!(detected["user_mailed"], true);
    assert!(event(&s, "stepped_up").await.is_none());

    let mail = s.app.mail_to(ALICE).await;
    assert!(
        mail.subject
            .as_deref()
            .is_some_and(|t| t.contains("nouvelle connexion")),
        "{:?}",
        mail.subject
    );
    let text = mail.text.unwrap_or_default();
    for expected in [
        THIEF,
        "Chrome on Linux",
        "/t/acme/forgot-password?lang=fr",
        "/t/acme/forgot-password?lang=en",
        "change it now",
        "changez-le",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(!text.contains(PASSWORD));

    let got = receiver.wait_for(1).await;
    let incident = got
        .iter()
        .find(|r| r.event_type == "security.incident")
        .expect("the incident reached the tenant's endpoint");
    let body = incident.json();
    assert_eq!(body["data"]["outcome"], "unfamiliar_login", "{body}");
    assert_eq!(body["data"]["user_id"], alice.as_str());
    assert_eq!(
        body["data"]["detail"]["evidence"]["range"],
        "203.0.113.0/24"
    );

    // Nothing is blocked, and the next logins are as before.
    assert!(blocks(&s).await.is_empty());
    assert_eq!(
        login_page(&from(&s.app.address, THIEF)).await,
        200,
        "the address is not blocked"
    );
    sign_in(&s.app, &thief, "acme", ALICE).await;
    let home = browser(&s.app, HOME, FIREFOX_WIN);
    assert_eq!(
        sign_in(&s.app, &home, "acme", ALICE).await.as_deref(),
        Some("/t/acme/account"),
        "no step-up"
    );
    all_read(&s).await;
    let incidents = SentinelStore::new(s.app.database.pool.clone())
        .incident_count(s.tenant.id, "unfamiliar_login")
        .await
        .expect("count");
    assert_eq!(incidents, 1, "the thief's second login is familiar now");
}
both_engines!(
    unfamiliar_login_told,
    an_unfamiliar_login_is_told_to_the_user_and_the_tenant
);

async fn the_tenant_decides_and_accounts_with_totp_are_left_alone(engine: Engine) {
    let s = scene(
        engine,
        &[],
        json!({ "sentinel_unfamiliar_login_step_up": true }),
    )
    .await;
    alice_at_home(&s).await;

    // Bob turns TOTP on, then signs in (both factors) from the thief's
    // place with the thief's browser.
    let bob = "bob@acme.example";
    let web = s.app.web();
    s.app.signup_verified(&web, "acme", bob, PASSWORD).await;
    sign_in(&s.app, &web, "acme", bob).await;
    let key = web.enrol_totp("acme", PASSWORD, s.clock.now()).await;
    let bob_away = browser(&s.app, THIEF, CHROME_LINUX);
    assert_eq!(
        sign_in(&s.app, &bob_away, "acme", bob).await.as_deref(),
        Some("/t/acme/mfa")
    );
    let second = bob_away
        .post(
            "/t/acme/mfa",
            &[("code", &totp_code_at(&key, s.clock.now() + 30))],
        )
        .await;
    assert_eq!(second.status, 303, "{}", second.body);

    // A tenant that turned the detector off.
    let beta = s
        .app
        .tenant("beta", json!({ "sentinel_unfamiliar_login": false }))
        .await;
    let carol = "carol@beta.example";
    s.app
        .signup_verified(&s.app.web(), "beta", carol, PASSWORD)
        .await;
    sign_in(&s.app, &browser(&s.app, HOME, FIREFOX_WIN), "beta", carol).await;
    sign_in(&s.app, &browser(&s.app, THIEF, CHROME_LINUX), "beta", carol).await;

    // Alice's thief, on acme, which asks for step-up.
    let thief = browser(&s.app, THIEF, CHROME_LINUX);
    sign_in(&s.app, &thief, "acme", ALICE).await;
    assert!(
        within(5, || async {
            event(&s, "unfamiliar_login").await.is_some()
        })
        .await
    );
    all_read(&s).await;
    let found = unfamiliar_events(&s).await;
    assert_eq!(found.len(), 1, "alice only, not bob: {found:?}");
    let alice = user_id(&s.app, &s.tenant, ALICE).await;
    assert!(
        found[0]["subject"]
            .as_str()
            .is_some_and(|subject| subject.starts_with(&format!("user:{alice} "))),
        "{found:?}"
    );
    assert_eq!(found[0]["stepped_up"], 1);
    let marked = event(&s, "stepped_up").await.expect("the mark's event");
    assert_eq!(marked["detector"], "unfamiliar_login");
    assert_eq!(marked["incident"], found[0]["incident"]);
    // Alice's next password login, from home, asks for the mailed code.
    let home = browser(&s.app, HOME, FIREFOX_WIN);
    let next = sign_in(&s.app, &home, "acme", ALICE).await;
    assert!(
        next.as_deref()
            .is_some_and(|to| to.starts_with("/t/acme/step-up")),
        "{next:?}"
    );
    assert!(blocks(&s).await.is_empty(), "nothing blocked");

    let beta_events = s.app.audit_kinds(&beta).await;
    assert!(
        beta_events.iter().all(|(kind, _)| kind != "sentinel"),
        "{beta_events:?}"
    );
}
both_engines!(
    unfamiliar_login_settings,
    the_tenant_decides_and_accounts_with_totp_are_left_alone
);

/// An account that signs in all day from one place: its newest logins are
/// read first, and a range known only from an older login, past them,
/// still makes a login familiar.
async fn an_older_login_past_the_newest_still_counts(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    s.app
        .signup_verified(&s.app.web(), "acme", ALICE, PASSWORD)
        .await;
    sign_in(&s.app, &browser(&s.app, HOME, FIREFOX_WIN), "acme", ALICE).await;
    // More logins than the first read takes, all from the café's /24 on
    // the phone: the first of them is unfamiliar, the others are not.
    for host in 10..30 {
        let cafe = browser(&s.app, &format!("192.0.2.{host}"), CHROME_ANDROID);
        sign_in(&s.app, &cafe, "acme", ALICE).await;
    }
    all_read(&s).await;
    let found = unfamiliar_events(&s).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["evidence"]["range"], "192.0.2.0/24");

    // Home's /24 with a new browser: only the oldest login knows the range.
    let home = browser(&s.app, "198.51.100.99", CHROME_LINUX);
    sign_in(&s.app, &home, "acme", ALICE).await;
    all_read(&s).await;
    let found = unfamiliar_events(&s).await;
    assert_eq!(found.len(), 1, "home is familiar: {found:?}");

    // A range and a browser no login knows: the whole history says so.
    let thief = browser(
        &s.app,
        THIEF,
        CHROME_LINUX
            .replace("X11; Linux x86_64", "Macintosh; Intel Mac OS X 14_0")
            .as_str(),
    );
    sign_in(&s.app, &thief, "acme", ALICE).await;
    all_read(&s).await;
    let found = unfamiliar_events(&s).await;
    assert_eq!(found.len(), 2, "{found:?}");
    let latest = found
        .iter()
        .find(|d| d["evidence"]["range"] == "203.0.113.0/24")
        .expect("the thief's incident");
    assert!(
        latest["evidence"]["earlier_logins"].as_u64() >= Some(22),
        "counted over the whole history: {latest}"
    );
}
both_engines!(
    unfamiliar_login_history,
    an_older_login_past_the_newest_still_counts
);
