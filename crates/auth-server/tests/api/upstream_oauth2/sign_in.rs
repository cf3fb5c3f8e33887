//! A GitHub sign-in from an app's authorization request: the code is
//! redeemed with the secret and the PKCE verifier, the user is made from
//! GitHub's primary verified address, found again by (provider, subject),
//! and the app gets its code.
use auth_server::domain::email::Email;
use auth_server::store::users::UserStore;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine as DbEngine;
use sha2::{Digest, Sha256};

use super::{github_says_yes, linked_count, param, setup, to_provider, Setup};
use crate::oidc::create_client;
use crate::upstream_login::next_of;

async fn github_sign_in_makes_the_user_and_the_app_gets_its_code(engine: DbEngine) {
    let Setup { app, acme, fake } = setup(engine).await;
    let client = create_client(&app, &acme.id.to_string(), json!({"first_party": true})).await;
    let (_, challenge) = crate::oidc::pkce();
    let web = app.web();
    // The app sends the browser to acme; acme's login page has the button.
    let to_login = web
        .get(&crate::oidc::authorize_path(
            "acme",
            &client,
            &challenge,
            &[],
        ))
        .await;
    let login = to_login.location.expect("to login");
    let login = login
        .strip_prefix(&app.address)
        .unwrap_or(&login)
        .to_owned();
    let page = web.get(&login).await;
    let button = page
        .between("id=\"upstream-github\" href=\"", "\"")
        .expect("a GitHub button carrying the request")
        .replace("&amp;", "&");
    let button = button
        .strip_prefix(&app.address)
        .unwrap_or(&button)
        .to_owned();

    let at = to_provider(&web, &button).await;
    assert_eq!(
        at.as_str().split('?').next(),
        Some(format!("{}/login/oauth/authorize", fake.base).as_str())
    );
    assert_eq!(param(&at, "client_id").as_deref(), Some("gh-client"));
    assert_eq!(param(&at, "scope").as_deref(), Some("read:user user:email"));
    assert_eq!(param(&at, "response_type").as_deref(), Some("code"));
    assert_eq!(param(&at, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param(&at, "nonce"), None, "no ID token, no nonce");
    let challenge_sent = param(&at, "code_challenge").expect("PKCE");

    let done = github_says_yes(&web, &at).await;
    let resumed = next_of(&done);
    assert!(resumed.starts_with("/t/acme/authorize?"), "{resumed}");
    let code = web.get(&resumed).await;
    let at_app = code.location.expect("to the app");
    assert!(
        at_app.starts_with(crate::oidc::REDIRECT) && at_app.contains("code="),
        "{at_app}"
    );

    // The code was redeemed with the secret in the body and the verifier.
    let form = fake.token_form();
    assert_eq!(
        form.get("grant_type").map(String::as_str),
        Some("authorization_code")
    );
    assert_eq!(form.get("code").map(String::as_str), Some("gh-code-1"));
    assert_eq!(form.get("client_id").map(String::as_str), Some("gh-client"));
    assert_eq!(
        form.get("client_secret").map(String::as_str),
        Some("gh-s3cret")
    );
    let verifier = form.get("code_verifier").expect("verifier");
    assert_eq!(
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        challenge_sent
    );

    // The user: GitHub's primary verified address (its /user said null).
    let users = UserStore::new(app.database.pool.clone());
    let mona = users
        .find_by_email(acme.id, &Email::parse("mona@example.com").expect("email"))
        .await
        .expect("read")
        .expect("mona was made in acme");
    assert!(
        mona.email_verified_at.is_some(),
        "GitHub's list vouches for it"
    );
    assert_eq!(mona.display_name.as_ref(), "Mona Lisa");
    let subject: String = sqlx::query_scalar("SELECT subject FROM upstream_identities")
        .fetch_one(&app.database.pool)
        .await
        .expect("the link");
    assert_eq!(subject, "583231", "the numeric id, as text");

    // The next sign-in (a new browser) finds her by (provider, subject),
    // even with another public address at GitHub now.
    fake.set(|s| s.user["email"] = json!("old@example.com"));
    let web = app.web();
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let done = github_says_yes(&web, &at).await;
    assert_eq!(next_of(&done), "/t/acme/account");
    assert!(web
        .get("/t/acme/account")
        .await
        .contains("mona@example.com"));
    assert_eq!(app.user_count(&acme).await, 1);
    assert_eq!(linked_count(&app).await, 1);
}

both_engines!(
    a_github_sign_in_makes_the_user_finds_them_again_and_the_app_gets_its_code,
    github_sign_in_makes_the_user_and_the_app_gets_its_code
);
