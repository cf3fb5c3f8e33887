//! Step-up for accounts under attack, against a real brute force on the
//! real server: the sentinel marks the account, and the real owner's next
//! password login (from another address, right password) asks for a code
//! mailed to them before going back to the app; a user with TOTP gets the
//! TOTP challenge instead; with `AUTH_SENTINEL_STEP_UP_SECS=0`, or once the
//! mark has expired, the login is as before; wrong codes lock the account
//! like wrong passwords; a spray marks only the accounts that exist.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::Clock;
use service_kit::db::Engine;

use crate::helpers::PASSWORD;
use crate::oidc::{
    authorize_path, callback_params, create_client, param, pkce, token, TestClient, REDIRECT,
};
use crate::sentinel::{event, from, scene, sentinel_events, within, Scene};
use crate::web::{Page, Web};

const ALICE: &str = "alice@acme.example";
/// The owner signs in from home; the attacker hammers from elsewhere.
const HOME: &str = "198.51.100.4";
const ATTACKER: &str = "203.0.113.20";

/// The tenant with a lockout above the attack, so that the right password
/// still opens the account afterwards (the lockout is not under test).
async fn attacked_scene(engine: Engine, extra: &[(&str, &str)]) -> Scene {
    let s = scene(engine, extra, json!({ "lockout_threshold": 30 })).await;
    s.app
        .signup_verified(&s.app.web(), "acme", ALICE, PASSWORD)
        .await;
    s
}

/// Ten wrong passwords on alice from the attacker's address, and the
/// brute-force incident they open (its detail).
async fn brute_force(s: &Scene) -> Value {
    let attacker = from(&s.app.address, ATTACKER);
    for _ in 0..10 {
        let status = s
            .app
            .login(&attacker, "acme", ALICE, "wrong guess!")
            .await
            .status;
        assert!(matches!(status, 401 | 403), "{status}");
    }
    assert!(within(5, || async { event(s, "brute_force").await.is_some() }).await);
    event(s, "brute_force").await.expect("incident")
}

/// The login page of an authorization request of `client`, then the right
/// password: the answer to the login form.
async fn log_in_for_app(web: &Web, client: &TestClient, challenge: &str) -> Page {
    let to_login = web
        .get(&authorize_path("acme", client, challenge, &[]))
        .await;
    let login = web
        .get(to_login.location.as_deref().expect("to the login page"))
        .await;
    let return_to = login
        .between("name=\"return_to\" value=\"", "\"")
        .expect("return_to field")
        .replace("&amp;", "&");
    web.post(
        "/t/acme/login",
        &[
            ("email", ALICE),
            ("password", PASSWORD),
            ("return_to", &return_to),
        ],
    )
    .await
}

/// The six-digit code of the next step-up mail to alice.
async fn mailed_code(s: &Scene) -> String {
    let mail = s.app.mail_to(ALICE).await;
    let text = mail.text.unwrap_or_default();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

/// From the answer that leads back to the authorization request, through
/// consent when asked, to the app: the code the app receives.
async fn back_to_app(web: &Web, done: &Page) -> String {
    assert_eq!(done.status, 303, "{}", done.body);
    let mut page = web.get(done.location.as_deref().expect("back")).await;
    if page.status == 200 && page.contains("name=\"authz\"") {
        let authz = page
            .between("name=\"authz\" value=\"", "\"")
            .expect("authz")
            .replace("&amp;", "&");
        page = web
            .post(
                "/t/acme/authorize/consent",
                &[("authz", &authz), ("decision", "allow")],
            )
            .await;
    }
    assert_eq!(page.status, 303, "{}", page.body);
    let params = callback_params(page.location.as_deref().expect("to the app"));
    param(&params, "code").expect("code")
}

/// The `amr` of the ID token the app gets for `code`.
async fn amr_of(s: &Scene, client: &TestClient, code: &str, verifier: &str) -> Vec<String> {
    let (status, tokens) = token(
        &s.app,
        "acme",
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().expect("id token");
    let payload = id_token.split('.').nth(1).expect("payload");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json");
    claims["amr"]
        .as_array()
        .expect("amr")
        .iter()
        .map(|m| m.as_str().expect("text").to_owned())
        .collect()
}

async fn login_outcomes(s: &Scene) -> Vec<(String, String)> {
    s.app
        .audit_kinds(&s.tenant)
        .await
        .into_iter()
        .filter(|(kind, _)| kind == "login" || kind == "step_up")
        .collect()
}

async fn an_attacked_owner_confirms_by_mailed_code(engine: Engine) {
    let s = attacked_scene(engine, &[]).await;
    let client = create_client(&s.app, &s.tenant.id.to_string(), json!({})).await;
    let incident = brute_force(&s).await;
    assert_eq!(incident["stepped_up"], 1, "{incident}");
    let events = sentinel_events(&s).await;
    let marked: Vec<&Value> = events
        .iter()
        .filter(|(o, _)| o == "stepped_up")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(marked.len(), 1, "{events:?}");
    assert_eq!(marked[0]["incident"], incident["incident"]);
    assert_eq!(
        marked[0]["expires_at"].as_i64(),
        Some(s.clock.now() + 86_400)
    );
    let trail = format!("{events:?}");
    assert!(!trail.contains("alice"), "no address in the trail: {trail}");

    // The real owner, from home, with the right password.
    let home = from(&s.app.address, HOME);
    let (verifier, challenge) = pkce();
    let asked = log_in_for_app(&home, &client, &challenge).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let step_up = asked.location.clone().expect("to the step-up page");
    assert!(
        step_up.starts_with("/t/acme/step-up?return_to=%2Ft%2Facme%2Fauthorize"),
        "{step_up}"
    );
    let first = mailed_code(&s).await;
    let page = home.get(&step_up).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("name=\"code\""), "{}", page.body);
    let csp = page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Its form ends at the app (through `authorize`): the app's origin is
    // in `form-action`, as on the login page.
    assert!(
        csp.contains("form-action 'self' https://app.example"),
        "{csp}"
    );
    let return_to = page
        .between("name=\"return_to\" value=\"", "\"")
        .expect("return_to carried")
        .replace("&amp;", "&");
    assert!(
        login_outcomes(&s)
            .await
            .contains(&("login".into(), "step_up_required".into())),
        "audited"
    );
    // Not signed in before the code: the app gets nothing.
    let early = home.get("/t/acme/account").await;
    assert_ne!(early.status, 200, "{}", early.body);

    // Another code, and another: the budget (three mails in ten minutes,
    // the login's included) is then spent.
    for _ in 0..2 {
        let resent = home
            .post("/t/acme/step-up/resend", &[("return_to", &return_to)])
            .await;
        assert_eq!(resent.status, 200, "{}", resent.body);
    }
    let _second = mailed_code(&s).await;
    let latest = mailed_code(&s).await;
    let refused = home
        .post("/t/acme/step-up/resend", &[("return_to", &return_to)])
        .await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.headers.contains_key("retry-after"));

    // An older code, or a wrong one, is refused and audited; the session
    // stays where it was.
    let wrong = if latest == "000000" {
        "111111"
    } else {
        "000000"
    };
    for bad in [first.as_str(), wrong, "12ab56", ""] {
        if bad == latest {
            continue;
        }
        let page = home
            .post(
                "/t/acme/step-up",
                &[("code", bad), ("return_to", &return_to)],
            )
            .await;
        assert_eq!(page.status, 401, "{bad}: {}", page.body);
    }
    assert!(login_outcomes(&s)
        .await
        .contains(&("step_up".into(), "failure".into())));
    // A form without its CSRF token changes nothing.
    let forged = home.post_raw("/t/acme/step-up", &[("code", &latest)]).await;
    assert!(matches!(forged.status, 400 | 403), "{}", forged.body);

    // The right code finishes the login and goes back to the app.
    let done = home
        .post(
            "/t/acme/step-up",
            &[("code", &latest), ("return_to", &return_to)],
        )
        .await;
    let code = back_to_app(&home, &done).await;
    let amr = amr_of(&s, &client, &code, &verifier).await;
    assert_eq!(amr, ["pwd", "email"]);
    assert!(login_outcomes(&s)
        .await
        .contains(&("login".into(), "success".into())));
    // A code works once.
    let again = home
        .post(
            "/t/acme/step-up",
            &[("code", &latest), ("return_to", &return_to)],
        )
        .await;
    assert_eq!(again.status, 303, "signed in already: to the account");
    assert_eq!(again.location.as_deref(), Some("/t/acme/account"));
}
both_engines!(
    step_up_by_mailed_code,
    an_attacked_owner_confirms_by_mailed_code
);

async fn an_attacked_user_with_totp_gets_the_totp_challenge(engine: Engine) {
    let s = attacked_scene(engine, &[]).await;
    // Alice turns TOTP on (before the attack).
    let web = s.app.web();
    s.app.login(&web, "acme", ALICE, PASSWORD).await;
    web.enrol_totp("acme", PASSWORD, s.clock.now()).await;

    let incident = brute_force(&s).await;
    assert_eq!(incident["stepped_up"], 1, "{incident}");
    let home = from(&s.app.address, HOME);
    let asked = s.app.login(&home, "acme", ALICE, PASSWORD).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert_eq!(asked.location.as_deref(), Some("/t/acme/mfa"));
    // The mailed-code page sends a TOTP user to their own factor.
    let elsewhere = home.get("/t/acme/step-up").await;
    assert_eq!(elsewhere.location.as_deref(), Some("/t/acme/mfa"));
    let refused = home.post("/t/acme/step-up/resend", &[]).await;
    assert_eq!(refused.location.as_deref(), Some("/t/acme/mfa"));
}
both_engines!(
    step_up_with_totp,
    an_attacked_user_with_totp_gets_the_totp_challenge
);

/// Alice's login from home: where it leads.
async fn login_from_home(s: &Scene) -> Option<String> {
    let home = from(&s.app.address, HOME);
    let page = s.app.login(&home, "acme", ALICE, PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    page.location
}

async fn with_step_up_off_the_login_is_unchanged(engine: Engine) {
    let s = attacked_scene(engine, &[("AUTH_SENTINEL_STEP_UP_SECS", "0")]).await;
    let incident = brute_force(&s).await;
    assert_eq!(incident["stepped_up"], 0, "{incident}");
    assert!(event(&s, "stepped_up").await.is_none());
    assert_eq!(
        login_from_home(&s).await.as_deref(),
        Some("/t/acme/account")
    );
}
both_engines!(step_up_off, with_step_up_off_the_login_is_unchanged);

async fn the_step_up_ends_when_its_mark_expires(engine: Engine) {
    let s = attacked_scene(engine, &[("AUTH_SENTINEL_STEP_UP_SECS", "3600")]).await;
    let incident = brute_force(&s).await;
    assert_eq!(incident["stepped_up"], 1, "{incident}");
    s.clock.advance(3599);
    assert!(login_from_home(&s)
        .await
        .is_some_and(|l| l.starts_with("/t/acme/step-up")));
    s.clock.advance(1);
    assert_eq!(
        login_from_home(&s).await.as_deref(),
        Some("/t/acme/account")
    );
}
both_engines!(step_up_expiry, the_step_up_ends_when_its_mark_expires);

async fn wrong_mailed_codes_lock_the_account_like_wrong_passwords(engine: Engine) {
    // Twelve failures lock alice: the attack's ten do not (and her right
    // password clears them); wrong codes count on the same counter.
    let s = scene(engine, &[], json!({ "lockout_threshold": 12 })).await;
    s.app
        .signup_verified(&s.app.web(), "acme", ALICE, PASSWORD)
        .await;
    brute_force(&s).await;
    let home = from(&s.app.address, HOME);
    let asked = s.app.login(&home, "acme", ALICE, PASSWORD).await;
    assert!(asked
        .location
        .as_deref()
        .is_some_and(|l| l.starts_with("/t/acme/step-up")));
    let code = mailed_code(&s).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut statuses = Vec::new();
    for _ in 0..13 {
        statuses.push(
            home.post("/t/acme/step-up", &[("code", wrong)])
                .await
                .status,
        );
    }
    assert!(statuses[..12].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[12], 429, "{statuses:?}");
    // Locked: even the right code waits, and the owner got the unlock link.
    let locked = home.post("/t/acme/step-up", &[("code", &code)]).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    let unlock = s.app.mail_to(ALICE).await;
    assert!(
        unlock.text.unwrap_or_default().contains("/unlock?token="),
        "the unlock mail"
    );
    assert!(login_outcomes(&s)
        .await
        .contains(&("step_up".into(), "locked".into())));
}
both_engines!(
    step_up_lockout,
    wrong_mailed_codes_lock_the_account_like_wrong_passwords
);

async fn a_spray_steps_up_only_the_accounts_that_exist(engine: Engine) {
    let s = attacked_scene(engine, &[]).await;
    let bob = "bob@acme.example";
    s.app
        .signup_verified(&s.app.web(), "acme", bob, PASSWORD)
        .await;
    // One address, ten accounts, one try each: two of them exist.
    let sprayer = from(&s.app.address, "203.0.113.7");
    let mut targets: Vec<String> = (0..8).map(|i| format!("nobody{i}@acme.example")).collect();
    targets.extend([ALICE.to_owned(), bob.to_owned()]);
    for email in &targets {
        let status = s
            .app
            .login(&sprayer, "acme", email, "wrong guess!")
            .await
            .status;
        assert_eq!(status, 401, "{email}");
    }
    assert!(within(5, || async { event(&s, "password_spray").await.is_some() }).await);
    let incident = event(&s, "password_spray").await.expect("incident");
    assert_eq!(incident["evidence"]["accounts"], 10);
    assert_eq!(incident["stepped_up"], 2, "{incident}");
    let marked = sentinel_events(&s)
        .await
        .into_iter()
        .filter(|(o, _)| o == "stepped_up")
        .count();
    assert_eq!(marked, 2);
    // Both owners are asked for a code; the page is the same for each.
    for email in [ALICE, bob] {
        let home = from(&s.app.address, HOME);
        let page = s.app.login(&home, "acme", email, PASSWORD).await;
        assert_eq!(page.location.as_deref(), Some("/t/acme/step-up"), "{email}");
    }
}
both_engines!(
    step_up_after_spray,
    a_spray_steps_up_only_the_accounts_that_exist
);
