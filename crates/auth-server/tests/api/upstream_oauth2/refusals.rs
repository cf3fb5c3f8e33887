//! What a GitHub sign-in refuses (another state, a refused code, no id, no
//! verified address): no session is opened and nothing is linked silently;
//! the owner of the address links GitHub after proving their password.
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine as DbEngine;

use super::fake_github::{octocat, ACCESS_TOKEN};
use super::{github_says_yes, linked_count, param, setup, to_provider, Setup};
use crate::helpers::PASSWORD;

async fn refusals_open_no_session_and_link_nothing(engine: DbEngine) {
    let Setup { app, acme, fake } = setup(engine).await;
    let web = app.web();

    // An answer with another state than the attempt's.
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    assert!(param(&at, "state").is_some());
    let forged = web
        .get("/t/acme/upstream/callback?code=gh-code-1&state=forged")
        .await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(
        fake.state.lock().expect("lock").token_form.is_none(),
        "no code redeemed"
    );

    // The token endpoint refuses the code, as GitHub does (a 200 with an
    // error), or with an error status.
    for answer in [
        json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}),
        json!({"http_status": 401, "error": "invalid_client"}),
        json!({"token_type": "bearer"}),
    ] {
        fake.set(|s| s.token = answer.clone());
        let at = to_provider(&web, "/t/acme/upstream/github").await;
        let refused = github_says_yes(&web, &at).await;
        assert_eq!(refused.status, 502, "{answer}: {}", refused.body);
        assert!(web.cookie("ca_session_acme").is_none());
    }
    fake.set(|s| {
        s.token = json!({"access_token": ACCESS_TOKEN, "token_type": "bearer"});
    });

    // A userinfo answer without an id names nobody.
    fake.set(|s| s.user = json!({"login": "octocat", "email": "mona@example.com"}));
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let refused = github_says_yes(&web, &at).await;
    assert_eq!(refused.status, 502, "{}", refused.body);

    // No verified primary address and none public: no account is made.
    fake.set(|s| {
        s.user = octocat();
        s.emails = json!([{"email": "mona@example.com", "primary": true, "verified": false}]);
    });
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let refused = github_says_yes(&web, &at).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(app.user_count(&acme).await, 0);

    // A public address GitHub has not verified, which an acme account
    // has: never linked silently; the person proves the account first.
    app.signup_verified(&app.web(), "acme", "mona@example.com", PASSWORD)
        .await;
    fake.set(|s| {
        s.user["email"] = json!("mona@example.com");
        s.emails = json!([{"email": "mona@example.com", "primary": true, "verified": false}]);
    });
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let refused = github_says_yes(&web, &at).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.contains("already exists"), "{}", refused.body);
    assert!(web.cookie("ca_session_acme").is_none(), "no session");
    assert_eq!(app.user_count(&acme).await, 1);
    assert_eq!(linked_count(&app).await, 0, "never a silent link");

    // She signs in with her password and links GitHub from her account.
    assert_eq!(
        app.login(&web, "acme", "mona@example.com", PASSWORD)
            .await
            .status,
        303
    );
    let start = web.post("/t/acme/upstream/github/link", &[]).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let at = url::Url::parse(start.location.as_deref().expect("location")).expect("url");
    let linked = github_says_yes(&web, &at).await;
    assert_eq!(linked.status, 200, "{}", linked.body);
    assert!(linked.contains("is linked"), "{}", linked.body);
    assert_eq!(linked_count(&app).await, 1);
}

both_engines!(
    oauth2_upstream_refusals_open_no_session_and_link_nothing,
    refusals_open_no_session_and_link_nothing
);
