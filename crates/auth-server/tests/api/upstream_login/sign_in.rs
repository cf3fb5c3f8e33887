//! The round trip through idp: the first sign-in makes the user, the next
//! finds them by (provider, subject); a pending authorization request
//! survives the trip and gets its code.
use auth_server::domain::email::Email;
use auth_server::store::users::UserStore;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{bob_at_idp, federation, next_of, path_of, round_trip, Federation, BOB};
use crate::oidc::create_client;

async fn first_sign_in_makes_the_user_and_the_next_finds_them(engine: Engine) {
    let Federation { app, acme, .. } = federation(engine).await;
    let web = bob_at_idp(&app).await;
    let login = web.get("/t/acme/login").await;
    assert!(login.contains("id=\"upstream-idp\""), "{}", login.body);

    let done = round_trip(&app, &web, web.get("/t/acme/upstream/idp").await).await;
    assert_eq!(next_of(&done), "/t/acme/account");
    let account = web.get("/t/acme/account").await;
    assert_eq!(account.status, 200);
    assert!(account.contains(BOB), "{}", account.body);
    let users = UserStore::new(app.database.pool.clone());
    let bob = users
        .find_by_email(acme.id, &Email::parse(BOB).expect("email"))
        .await
        .expect("read")
        .expect("bob was made in acme");
    assert!(
        bob.email_verified_at.is_some(),
        "idp said the email is verified"
    );
    assert!(
        bob.password_hash.is_none(),
        "no password: idp is his way in"
    );
    assert!(app
        .audit_kinds(&acme)
        .await
        .contains(&("signup".into(), "success".into())));

    // The next sign-in (a new browser, still Bob at idp) finds him.
    let web = bob_at_idp(&app).await;
    let done = round_trip(&app, &web, web.get("/t/acme/upstream/idp").await).await;
    assert_eq!(next_of(&done), "/t/acme/account");
    assert_eq!(app.user_count(&acme).await, 1);

    // His only way in cannot be unlinked.
    let account = web.get("/t/acme/account").await;
    let provider_unlink = account
        .between("action=\"/t/acme/account/upstream/", "/unlink\"")
        .expect("an unlink form");
    let refused = web
        .post(
            &format!("/t/acme/account/upstream/{provider_unlink}/unlink"),
            &[],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
}

both_engines!(
    an_upstream_sign_in_makes_the_user_then_finds_them_by_subject,
    first_sign_in_makes_the_user_and_the_next_finds_them
);

async fn the_pending_authorization_request_survives(engine: Engine) {
    let Federation { app, acme, .. } = federation(engine).await;
    let client = create_client(&app, &acme.id.to_string(), json!({"first_party": true})).await;
    let (_, challenge) = crate::oidc::pkce();
    let authorize = crate::oidc::authorize_path("acme", &client, &challenge, &[]);
    let web = bob_at_idp(&app).await;
    let to_login = web.get(&authorize).await;
    let login = path_of(&app, to_login.location.as_deref().expect("to login"));
    let page = web.get(&login).await;
    let button = page
        .between("id=\"upstream-idp\" href=\"", "\"")
        .expect("the button carries the request")
        .replace("&amp;", "&");
    assert!(button.contains("return_to="), "{button}");
    let done = round_trip(&app, &web, web.get(&path_of(&app, &app.url(&button))).await).await;
    let resumed = next_of(&done);
    assert!(resumed.starts_with("/t/acme/authorize?"), "{resumed}");
    let code = web.get(&resumed).await;
    let at_app = code.location.expect("to the app");
    assert!(
        at_app.starts_with(crate::oidc::REDIRECT) && at_app.contains("code="),
        "{at_app}"
    );
}

both_engines!(
    an_upstream_sign_in_returns_to_the_pending_authorization_request,
    the_pending_authorization_request_survives
);
