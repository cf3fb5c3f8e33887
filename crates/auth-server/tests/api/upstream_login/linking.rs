//! Linking and unlinking: a local user links the provider after proving
//! their password, and unlinks it; a federated user with a passkey may
//! unlink, and keeps the last passkey.
use auth_server::domain::email::Email;
use auth_server::store::users::UserStore;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{bob_at_idp, federation, next_of, round_trip, Federation, BOB};
use crate::helpers::PASSWORD;

async fn a_local_user_links_then_unlinks(engine: Engine) {
    let Federation {
        app,
        acme,
        provider_id,
    } = federation(engine).await;
    // Bob has a password account at acme; he proves it, then links idp.
    app.signup_verified(&app.web(), "acme", BOB, PASSWORD).await;
    let web = bob_at_idp(&app).await;
    assert_eq!(app.login(&web, "acme", BOB, PASSWORD).await.status, 303);
    let start = web.post("/t/acme/upstream/idp/link", &[]).await;
    let done = round_trip(&app, &web, start).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.contains("is linked"), "{}", done.body);

    // Logged out of acme, Bob signs in through idp into the same account.
    let users = UserStore::new(app.database.pool.clone());
    let bob = users
        .find_by_email(acme.id, &Email::parse(BOB).expect("email"))
        .await
        .expect("read")
        .expect("bob");
    let fresh = bob_at_idp(&app).await;
    let signed_in = round_trip(&app, &fresh, fresh.get("/t/acme/upstream/idp").await).await;
    assert_eq!(next_of(&signed_in), "/t/acme/account");
    assert_eq!(app.user_count(&acme).await, 1);
    assert!(fresh.get("/t/acme/account").await.contains(BOB));

    // Linking needs the form's CSRF token.
    let no_csrf = web
        .post_raw("/t/acme/upstream/idp/link", &[("csrf", "wrong")])
        .await;
    assert_eq!(no_csrf.status, 403);

    // He has a password: unlinking is allowed, and the link is gone.
    let unlinked = web
        .post(
            &format!("/t/acme/account/upstream/{provider_id}/unlink"),
            &[],
        )
        .await;
    assert_eq!(unlinked.status, 303, "{}", unlinked.body);
    let linked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM upstream_identities WHERE user_id = $1")
            .bind(bob.id.to_string())
            .fetch_one(&app.database.pool)
            .await
            .expect("count");
    assert_eq!(linked, 0);
    let kinds = app.audit_kinds(&acme).await;
    assert!(
        kinds.contains(&("upstream_link".into(), "success".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("upstream_unlink".into(), "success".into())),
        "{kinds:?}"
    );
}

both_engines!(
    a_password_user_links_an_upstream_account_and_unlinks_it,
    a_local_user_links_then_unlinks
);

/// A federated user with a passkey may unlink the provider (the passkey is
/// a way in), and then has passkeys only: the last one cannot be deleted.
async fn a_passkey_is_a_way_in_too(engine: Engine) {
    use auth_server::domain::passkey::PasskeyName;
    use auth_server::store::passkeys::{NewPasskey, PasskeyStore};

    let Federation { app, acme, .. } = federation(engine).await;
    let web = bob_at_idp(&app).await;
    round_trip(&app, &web, web.get("/t/acme/upstream/idp").await).await;
    let bob = UserStore::new(app.database.pool.clone())
        .find_by_email(acme.id, &Email::parse(BOB).expect("email"))
        .await
        .expect("read")
        .expect("bob");
    // A stored passkey (its credential is never read by these rules).
    let passkey_id = uuid::Uuid::new_v4().to_string();
    PasskeyStore::new(app.database.pool.clone())
        .create(NewPasskey {
            id: &passkey_id,
            tenant: acme.id,
            user: bob.id,
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

    let account = web.get("/t/acme/account").await;
    let provider = account
        .between("action=\"/t/acme/account/upstream/", "/unlink\"")
        .expect("an unlink form");
    let unlinked = web
        .post(&format!("/t/acme/account/upstream/{provider}/unlink"), &[])
        .await;
    assert!(unlinked.status < 400, "{}", unlinked.body);
    assert!(!web.get("/t/acme/account").await.contains("/unlink\""));

    let refused = web
        .post(
            &format!("/t/acme/account/passkeys/{passkey_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.contains("only way to sign in"), "{}", refused.body);
    let left = PasskeyStore::new(app.database.pool.clone())
        .list(acme.id, bob.id)
        .await
        .expect("list");
    assert_eq!(left.len(), 1, "the last passkey stays");
}

both_engines!(
    a_federated_user_with_a_passkey_may_unlink_and_keeps_the_last_passkey,
    a_passkey_is_a_way_in_too
);
