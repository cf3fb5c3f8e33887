//! `/dashboard/t/{slug}/users`: an owner finds their tenant's users by the
//! start of their email, sees one's account and sessions, ends the sessions
//! and disables the user. Anyone else gets the platform login or a 404, and
//! a refused form changes nothing.
use reqwest::Method;
use serde_json::Value;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{spawn_app, TestApp, PASSWORD};

const OWNER: &str = "founder@startup.example";

/// The id of the user of `tenant` with `email`, from the management API.
async fn user_id(app: &TestApp, tenant: &str, email: &str) -> String {
    let list: Value = app
        .admin(Method::GET, &format!("/manage/v1/tenants/{tenant}/users"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["email"] == email)
        .and_then(|u| u["id"].as_str())
        .unwrap_or_else(|| panic!("no {email} in {list}"))
        .to_owned()
}

async fn owner_looks_after_users(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "startup").await;
    let alice = app.web();
    for email in [
        "alice@startup.example",
        "alina@startup.example",
        "bob@startup.example",
    ] {
        app.signup_verified(&alice, "startup", email, PASSWORD)
            .await;
    }
    let login = app
        .login(&alice, "startup", "alice@startup.example", PASSWORD)
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    let users = "/dashboard/t/startup/users";
    assert!(owner
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{users}\"")));

    let all = owner.get(users).await;
    assert_eq!(all.status, 200, "{}", all.body);
    for email in ["alice@", "alina@", "bob@"] {
        assert!(all.contains(email), "{email}: {}", all.body);
    }
    for q in ["ali", "ALI", " ali "] {
        let found = owner
            .get(&format!("{users}?q={}", q.replace(' ', "+")))
            .await;
        assert!(
            found.contains("alice@startup.example") && found.contains("alina@startup.example"),
            "{q}: {}",
            found.body
        );
        assert!(!found.contains("bob@startup.example"), "{q}");
    }
    // LIKE's wildcards are searched as themselves.
    for q in ["%25", "_", "a%25"] {
        let found = owner.get(&format!("{users}?q={q}")).await;
        assert_eq!(found.status, 200);
        assert!(
            !found.contains("<table id=\"users\">"),
            "{q}: {}",
            found.body
        );
        assert!(found.contains("email begins with that"), "{q}");
    }

    // Alice's account: one open session.
    let id = user_id(&app, &tenant, "alice@startup.example").await;
    let page_of = format!("{users}/{id}");
    let page = owner.get(&page_of).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("<table id=\"sessions\">"), "{}", page.body);
    let page = owner.post(&format!("{page_of}/end-sessions"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location.as_deref(),
        Some(&*format!("{page_of}?done=ended&ended=1"))
    );
    let page = owner.get(&format!("{page_of}?done=ended&ended=1")).await;
    assert!(page.contains("Sessions ended: 1."), "{}", page.body);
    assert!(page.contains("id=\"no-sessions\""), "{}", page.body);
    // Alice's browser is logged out.
    assert_eq!(alice.get("/t/startup/account").await.status, 303);

    // Disabling asks for confirmation, then she cannot log in.
    let page = owner.post(&format!("{page_of}/disable"), &[]).await;
    assert_eq!(page.status, 422, "{}", page.body);
    let login = app
        .login(&alice, "startup", "alice@startup.example", PASSWORD)
        .await;
    assert_eq!(login.status, 303, "still enabled: {}", login.body);
    let page = owner
        .post(&format!("{page_of}/disable"), &[("confirm", "on")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let user: Value = app
        .admin(
            Method::GET,
            &format!("/manage/v1/tenants/{tenant}/users/{id}"),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(user["status"], "disabled", "{user}");
    let retry = app.web();
    let login = app
        .login(&retry, "startup", "alice@startup.example", PASSWORD)
        .await;
    assert_ne!(login.status, 303, "a disabled user cannot log in");
    let page = owner.get(&format!("{page_of}?done=disabled")).await;
    assert!(page.contains("The user is disabled"), "{}", page.body);
    assert!(!page.contains("id=\"disable\""), "{}", page.body);

    // Enabled again: she logs in again.
    let page = owner.post(&format!("{page_of}/enable"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let again = app.web();
    let login = app
        .login(&again, "startup", "alice@startup.example", PASSWORD)
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
}

both_engines!(
    an_owner_finds_a_user_ends_their_sessions_and_disables_them,
    owner_looks_after_users
);

#[tokio::test]
async fn only_the_owner_reaches_a_tenants_users_and_refusals_change_nothing() {
    let app = spawn_app(Engine::Sqlite).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "startup").await;
    let rival_owner = platform_user(&app, "other@rival.example").await;
    let rival = onboarded(&app, &rival_owner, "rival", "rival").await;
    let end_user = app.web();
    app.signup_verified(&end_user, "startup", "carol@startup.example", PASSWORD)
        .await;
    app.signup_verified(&end_user, "rival", "dave@rival.example", PASSWORD)
        .await;
    let login = app
        .login(&end_user, "startup", "carol@startup.example", PASSWORD)
        .await;
    assert_eq!(login.status, 303);
    let carol = user_id(&app, &tenant, "carol@startup.example").await;
    let dave = user_id(&app, &rival, "dave@rival.example").await;
    let users = "/dashboard/t/startup/users";
    let page_of = format!("{users}/{carol}");

    for path in [users.to_owned(), page_of.clone()] {
        assert_eq!(rival_owner.get(&path).await.status, 404, "{path}");
    }
    for (path, fields) in [
        (format!("{page_of}/end-sessions"), vec![]),
        (format!("{page_of}/disable"), vec![("confirm", "on")]),
        (format!("{page_of}/enable"), vec![]),
        (format!("{page_of}/reset-mfa"), vec![("confirm", "on")]),
        (format!("{page_of}/resend-verification"), vec![]),
        (format!("{page_of}/delete"), vec![("confirm", "on")]),
    ] {
        assert_eq!(rival_owner.post(&path, &fields).await.status, 404, "{path}");
    }
    assert_eq!(
        rival_owner.get(&format!("{page_of}/export")).await.status,
        404
    );
    assert_eq!(
        app.web().get(&format!("{page_of}/export")).await.status,
        303
    );
    // Another tenant's user, or no user id at all, under the owner's tenant.
    assert_eq!(owner.get(&format!("{users}/{dave}")).await.status, 404);
    assert_eq!(owner.get(&format!("{users}/not-a-uuid")).await.status, 404);
    let page = owner
        .post(&format!("{users}/{dave}/disable"), &[("confirm", "on")])
        .await;
    assert_eq!(page.status, 404);
    // No session: the platform login; no CSRF token: refused.
    let page = app.web().get(&page_of).await;
    assert_eq!(page.status, 303);
    for action in ["disable", "delete", "reset-mfa"] {
        let page = owner
            .post_raw(&format!("{page_of}/{action}"), &[("confirm", "on")])
            .await;
        assert_eq!(page.status, 403, "{action}");
    }
    // Deleting without ticking the box: refused, the user stays.
    let page = owner.post(&format!("{page_of}/delete"), &[]).await;
    assert_eq!(page.status, 422);
    assert!(page.contains("cannot be undone"), "{}", page.body);

    // Nothing happened to either user: both still log in, Carol's session lives.
    assert_eq!(end_user.get("/t/startup/account").await.status, 200);
    for (slug, email) in [
        ("startup", "carol@startup.example"),
        ("rival", "dave@rival.example"),
    ] {
        let web = app.web();
        assert_eq!(
            app.login(&web, slug, email, PASSWORD).await.status,
            303,
            "{email}"
        );
    }
}

async fn owner_resets_exports_and_deletes(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "startup").await;
    let web = app.web();
    app.signup_verified(&web, "startup", "erin@startup.example", PASSWORD)
        .await;
    assert_eq!(
        app.login(&web, "startup", "erin@startup.example", PASSWORD)
            .await
            .status,
        303
    );
    web.get("/t/startup/mfa/enroll").await;
    let keyed = web
        .post("/t/startup/mfa/enroll/key", &[("password", PASSWORD)])
        .await;
    let key = keyed
        .between("<code class=\"secret\">", "</code>")
        .expect("manual key");
    let done = web
        .post(
            "/t/startup/mfa/enroll",
            &[("code", &crate::web::totp_code(&key, 0))],
        )
        .await;
    assert_eq!(done.status, 200);
    let erin = user_id(&app, &tenant, "erin@startup.example").await;
    let page_of = format!("/dashboard/t/startup/users/{erin}");

    // MFA reset: confirmed only; the audit trail names the owner.
    let page = owner.get(&page_of).await;
    assert!(page.contains("id=\"reset-mfa\""), "{}", page.body);
    assert!(
        !page.contains("id=\"resend-verification\""),
        "verified: no resend"
    );
    let page = owner.post(&format!("{page_of}/reset-mfa"), &[]).await;
    assert_eq!(page.status, 422);
    let page = owner
        .post(&format!("{page_of}/reset-mfa"), &[("confirm", "on")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = owner.get(&format!("{page_of}?done=mfa_reset")).await;
    assert!(page.contains("Their second factor is off"), "{}", page.body);
    assert!(!page.contains("id=\"reset-mfa\""));
    app.mail_to("erin@startup.example").await;
    let events: Value = app
        .admin(Method::GET, &format!("/manage/v1/tenants/{tenant}/events"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let reset = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["kind"] == "mfa_reset")
        .expect("an mfa_reset event");
    assert!(
        reset["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("by owner ")),
        "{reset}"
    );

    // A verified address: resending is refused with the reason.
    let page = owner
        .post(&format!("{page_of}/resend-verification"), &[])
        .await;
    assert_eq!(page.status, 409);
    assert!(page.contains("already verified"), "{}", page.body);

    // Export: the same JSON as the management API's.
    let export = owner.get(&format!("{page_of}/export")).await;
    assert_eq!(export.status, 200);
    assert!(export
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|d| d.starts_with("attachment")));
    let json: Value = serde_json::from_str(&export.body).expect("json");
    assert_eq!(json["user"]["email"], "erin@startup.example");
    assert_eq!(json["user"]["mfa_enabled"], false);

    // Delete, confirmed: the list says so, the user and their session are gone.
    let page = owner
        .post(&format!("{page_of}/delete"), &[("confirm", "on")])
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/dashboard/t/startup/users?done=deleted")
    );
    let list = owner.get("/dashboard/t/startup/users?done=deleted").await;
    assert!(
        list.contains("The user and their data are deleted"),
        "{}",
        list.body
    );
    assert!(!list.contains("erin@startup.example"));
    assert_eq!(owner.get(&page_of).await.status, 404);
    assert_eq!(web.get("/t/startup/account").await.status, 303);
}

both_engines!(
    an_owner_resets_mfa_exports_and_deletes_a_user,
    owner_resets_exports_and_deletes
);
