//! What the callback refuses (another state, a spent attempt, an unknown or
//! removed provider, a request too long to keep): no session is opened and
//! nothing is linked, not even to an acme account with the same email.
use reqwest::Method;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{bob_at_idp, federation, path_of, round_trip, Federation, BOB};
use crate::helpers::PASSWORD;

async fn refusals_change_nothing(engine: Engine) {
    let Federation {
        app,
        acme,
        provider_id,
    } = federation(engine).await;
    let web = bob_at_idp(&app).await;

    // A callback with another state than the attempt's.
    let start = web.get("/t/acme/upstream/idp").await;
    let to_idp = path_of(&app, start.location.as_deref().expect("location"));
    let back = web.get(&to_idp).await;
    let callback = path_of(&app, back.location.as_deref().expect("location"));
    let state = callback
        .split("state=")
        .nth(1)
        .expect("state")
        .split('&')
        .next()
        .expect("value");
    let forged = callback.replace(state, "forged-state");
    let refused = web.get(&forged).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    // The attempt is spent: the genuine answer afterwards is refused too.
    assert_eq!(web.get(&callback).await.status, 400);
    // A callback with no attempt in this browser at all.
    assert_eq!(app.web().get(&callback).await.status, 400);
    // An unknown provider.
    assert_eq!(web.get("/t/acme/upstream/nope").await.status, 404);
    // A pending request too long for the attempt's cookie: said, not lost.
    let long = format!("/t/acme/authorize?state={}", "x".repeat(3_500));
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", &long)
        .finish();
    let too_long = web.get(&format!("/t/acme/upstream/idp?{query}")).await;
    assert_eq!(too_long.status, 400, "{}", too_long.body);
    assert!(too_long.contains("too long"), "{}", too_long.body);
    assert!(web.cookie("ca_upstream_acme").is_none());
    assert_eq!(app.user_count(&acme).await, 0, "no account was made");

    // An acme account already has Bob's email: nothing is linked.
    app.signup_verified(&app.web(), "acme", BOB, PASSWORD).await;
    let done = round_trip(&app, &web, web.get("/t/acme/upstream/idp").await).await;
    assert_eq!(done.status, 409, "{}", done.body);
    assert!(done.contains("already exists"), "{}", done.body);
    assert!(
        web.cookie("ca_session_acme").is_none(),
        "no session was opened"
    );
    assert_eq!(app.user_count(&acme).await, 1);
    let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM upstream_identities")
        .fetch_one(&app.database.pool)
        .await
        .expect("count");
    assert_eq!(linked, 0, "never a silent link");

    // A provider removed while someone was signing in there: unknown now.
    let start = web.get("/t/acme/upstream/idp").await;
    let back = web
        .get(&path_of(&app, start.location.as_deref().expect("location")))
        .await;
    let callback = path_of(&app, back.location.as_deref().expect("location"));
    let removed = app
        .admin(
            Method::DELETE,
            &format!(
                "/manage/v1/tenants/{}/upstream-providers/{provider_id}",
                acme.id
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(removed.status().as_u16(), 204);
    assert_eq!(web.get(&callback).await.status, 404);
}

both_engines!(
    upstream_refusals_open_no_session_and_link_nothing,
    refusals_change_nothing
);
