//! Passkey requests that must fail, and fail clearly, changing nothing: no
//! CSRF token, an unknown, reused or other tenant's ceremony, a malformed
//! answer, a registration without a session or started by someone else,
//! renaming or deleting a passkey that is not yours, and a server whose
//! address cannot be a WebAuthn relying party. (The ceremonies themselves,
//! with an authenticator, are tested in Chromium: tests/browser/passkeys.rs.)
use serde_json::Value;
use service_kit::both_engines;
use service_kit::db::Engine;
use sqlx::Row;

use crate::helpers::{spawn_app_with, TestApp, PASSWORD};
use crate::web::{Page, Web};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

/// The server with a public URL on `localhost` (a domain name, so passkeys
/// are on), and tenants `acme` and `globex`.
async fn passkey_app(engine: Engine) -> TestApp {
    let port = crate::billing_service::free_port();
    let bind = format!("127.0.0.1:{port}");
    let url = format!("http://localhost:{port}");
    let app = spawn_app_with(engine, &[("AUTH_BIND", &bind), ("AUTH_PUBLIC_URL", &url)]).await;
    app.tenant("acme", serde_json::json!({})).await;
    app.tenant("globex", serde_json::json!({})).await;
    app
}

async fn signed_in(app: &TestApp, slug: &str, email: &str) -> Web {
    let web = app.web();
    app.signup_verified(&web, slug, email, PASSWORD).await;
    web.get(&format!("/t/{slug}/login")).await;
    let done = web
        .post(
            &format!("/t/{slug}/login"),
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    web
}

fn json(page: &Page) -> Value {
    serde_json::from_str(&page.body).expect("json")
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(&app.database.pool)
        .await
        .expect("count")
        .get::<i64, _>("n")
}

async fn sign_in_ceremony(web: &Web, slug: &str) -> String {
    let started = web
        .post(&format!("/t/{slug}/passkeys/sign-in/options"), &[])
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    json(&started)["ceremony"]
        .as_str()
        .expect("ceremony")
        .to_owned()
}

async fn sign_in_options_are_fresh_and_single_use(engine: Engine) {
    let app = passkey_app(engine).await;
    let web = app.web();
    let login = web.get("/t/acme/login").await;
    assert!(login.contains("data-passkey=\"sign-in\""), "{}", login.body);
    assert!(login.contains("autocomplete=\"username webauthn\""));

    let started = web.post("/t/acme/passkeys/sign-in/options", &[]).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(
        started
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let body = json(&started);
    let options = &body["options"]["publicKey"];
    assert!(
        options["challenge"].as_str().is_some_and(|c| c.len() >= 43),
        "{body}"
    );
    assert_eq!(options["rpId"].as_str(), Some("localhost"), "{body}");
    assert_eq!(options["userVerification"], "required", "{body}");
    let again = json(&web.post("/t/acme/passkeys/sign-in/options", &[]).await);
    assert_ne!(
        again["options"]["publicKey"]["challenge"],
        options["challenge"]
    );

    // A malformed answer spends the ceremony; the same ceremony again is
    // unknown. No session either time.
    let ceremony = body["ceremony"].as_str().expect("ceremony");
    for (answer, says) in [
        ("{not json", "could not be read"),
        ("{}", "unknown, was already used"),
    ] {
        let page = web
            .post(
                "/t/acme/passkeys/sign-in",
                &[("ceremony", ceremony), ("credential", answer)],
            )
            .await;
        assert_eq!(page.status, 400, "{}", page.body);
        assert!(page.contains(says), "{}", page.body);
        assert!(web.cookie("ca_session_acme").is_none());
    }
}

async fn ceremonies_do_not_cross_tenants_or_lack_csrf(engine: Engine) {
    let app = passkey_app(engine).await;
    let web = app.web();
    web.get("/t/acme/login").await;
    let ceremony = sign_in_ceremony(&web, "acme").await;
    let answer = r#"{"id":"AA","rawId":"AA","type":"public-key","response":{"authenticatorData":"AA","clientDataJSON":"AA","signature":"AA","userHandle":null},"extensions":{}}"#;
    web.get("/t/globex/login").await;
    let elsewhere = web
        .post(
            "/t/globex/passkeys/sign-in",
            &[("ceremony", &ceremony), ("credential", answer)],
        )
        .await;
    assert_eq!(elsewhere.status, 400, "{}", elsewhere.body);
    assert!(elsewhere.contains("unknown, was already used"));

    let no_csrf = web
        .post_raw("/t/acme/passkeys/sign-in/options", &[("csrf", "forged")])
        .await;
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.body);
    let before = count(&app, "passkey_ceremonies").await;
    let no_csrf = web
        .post_raw(
            "/t/acme/passkeys/sign-in",
            &[("ceremony", &ceremony), ("credential", answer)],
        )
        .await;
    assert_eq!(no_csrf.status, 403);
    assert_eq!(
        count(&app, "passkey_ceremonies").await,
        before,
        "nothing taken"
    );

    // An answer with no user handle (not a discoverable credential) for a
    // live ceremony of the right tenant: refused, no session.
    let ceremony = sign_in_ceremony(&web, "acme").await;
    let page = web
        .post(
            "/t/acme/passkeys/sign-in",
            &[("ceremony", &ceremony), ("credential", answer)],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(web.cookie("ca_session_acme").is_none());
}

both_engines!(
    passkey_sign_in_options_are_fresh_and_single_use,
    sign_in_options_are_fresh_and_single_use
);
both_engines!(
    passkey_ceremonies_do_not_cross_tenants_or_lack_csrf,
    ceremonies_do_not_cross_tenants_or_lack_csrf
);

async fn registration_needs_its_own_session(engine: Engine) {
    let app = passkey_app(engine).await;
    let anonymous = app.web();
    anonymous.get("/t/acme/login").await;
    let page = anonymous
        .post("/t/acme/account/passkeys/options", &[])
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert!(json(&page)["error"].as_str().is_some());

    let alice = signed_in(&app, "acme", ALICE).await;
    let account = alice.get("/t/acme/account").await;
    assert!(account.contains("No passkey yet"), "{}", account.body);
    assert!(account.contains("data-passkey=\"register\""));
    let started = alice.post("/t/acme/account/passkeys/options", &[]).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let body = json(&started);
    let options = &body["options"]["publicKey"];
    assert_eq!(options["rp"]["id"], "localhost", "{body}");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"], "required",
        "{body}"
    );
    assert_eq!(options["attestation"], "none", "{body}");
    assert!(options["user"]["name"]
        .as_str()
        .is_some_and(|n| n.starts_with(ALICE) && n.contains("Tenant acme")));
    let ceremony = body["ceremony"].as_str().expect("ceremony").to_owned();

    // Bob cannot finish Alice's registration; Alice's ceremony is spent by
    // the attempt, and nothing is stored.
    let bob = signed_in(&app, "acme", BOB).await;
    let page = bob
        .post(
            "/t/acme/account/passkeys",
            &[
                ("ceremony", &ceremony),
                ("credential", "{}"),
                ("name", "Bob's"),
            ],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    let page = alice
        .post(
            "/t/acme/account/passkeys",
            &[
                ("ceremony", &ceremony),
                ("credential", "{}"),
                ("name", "Mine"),
            ],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    // A live ceremony with a malformed answer, or a bad name.
    let ceremony = json(&alice.post("/t/acme/account/passkeys/options", &[]).await)["ceremony"]
        .as_str()
        .expect("ceremony")
        .to_owned();
    let page = alice
        .post(
            "/t/acme/account/passkeys",
            &[
                ("ceremony", &ceremony),
                ("credential", "[1,2]"),
                ("name", "Laptop"),
            ],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    let page = alice
        .post(
            "/t/acme/account/passkeys",
            &[
                ("ceremony", &ceremony),
                ("credential", "{}"),
                ("name", &"x".repeat(65)),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(count(&app, "passkeys").await, 0);

    // Renaming or deleting a passkey that is not there (or not yours).
    for path in ["rename", "delete"] {
        let page = alice
            .post(
                &format!("/t/acme/account/passkeys/{}/{path}", uuid::Uuid::new_v4()),
                &[("name", "New name")],
            )
            .await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
    }
}

both_engines!(
    passkey_registration_needs_its_own_session,
    registration_needs_its_own_session
);

async fn no_passkeys_on_an_ip_address(engine: Engine) {
    let app = crate::helpers::spawn_app(engine).await;
    app.tenant("acme", serde_json::json!({})).await;
    let web = app.web();
    let login = web.get("/t/acme/login").await;
    assert_eq!(login.status, 200);
    assert!(!login.contains("data-passkey"), "{}", login.body);
    assert!(login.contains("autocomplete=\"username\""));
    let page = web.post("/t/acme/passkeys/sign-in/options", &[]).await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(json(&page)["error"]
        .as_str()
        .is_some_and(|e| e.contains("not available")));
    assert_eq!(count(&app, "passkey_ceremonies").await, 0);
}

both_engines!(
    passkeys_are_off_on_an_ip_address,
    no_passkeys_on_an_ip_address
);

/// A user with a passkey may remove the password (after proving it): the
/// account then signs in with passkeys only. Without a passkey, or with a
/// wrong password, nothing changes.
async fn passkeys_only(engine: Engine) {
    use auth_server::domain::email::Email;
    use auth_server::domain::passkey::PasskeyName;
    use auth_server::store::passkeys::{NewPasskey, PasskeyStore};
    use auth_server::store::users::UserStore;

    let app = passkey_app(engine).await;
    let acme = auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("acme")
        .await
        .expect("acme");
    let alice = signed_in(&app, "acme", ALICE).await;
    let users = UserStore::new(app.database.pool.clone());
    let find = || async {
        users
            .find_by_email(acme.id, &Email::parse(ALICE).expect("email"))
            .await
            .expect("read")
            .expect("alice")
    };
    // No passkey yet: refused, the password stays.
    let page = alice
        .post("/t/acme/account/password/remove", &[("password", PASSWORD)])
        .await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(find().await.password_hash.is_some());

    PasskeyStore::new(app.database.pool.clone())
        .create(NewPasskey {
            id: &uuid::Uuid::new_v4().to_string(),
            tenant: acme.id,
            user: find().await.id,
            credential_id: "Y3JlZGVudGlhbA",
            name: &PasskeyName::parse("Phone").expect("name"),
            credential: "{}",
            sign_count: 0,
            backup_eligible: true,
            backup_state: true,
            now: 1_700_000_000,
        })
        .await
        .expect("passkey stored");
    let account = alice.get("/t/acme/account").await;
    assert!(account.contains("Remove my password"), "{}", account.body);

    let page = alice
        .post(
            "/t/acme/account/password/remove",
            &[("password", "not the password")],
        )
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert!(
        find().await.password_hash.is_some(),
        "a wrong password changes nothing"
    );

    let page = alice
        .post("/t/acme/account/password/remove", &[("password", PASSWORD)])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("Your password is removed"));
    assert!(find().await.password_hash.is_none());
    assert!(!alice
        .get("/t/acme/account")
        .await
        .contains("Remove my password"));
    assert!(app
        .audit_kinds(&acme)
        .await
        .contains(&("password_removed".into(), "success".into())));

    // The password no longer signs in.
    let web = app.web();
    web.get("/t/acme/login").await;
    let login = web
        .post("/t/acme/login", &[("email", ALICE), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status, 401, "{}", login.body);
}

both_engines!(a_user_with_a_passkey_may_remove_the_password, passkeys_only);
