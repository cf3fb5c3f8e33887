//! Guards of the refresh grant that other checks usually stand in front of:
//! a response kept for replays is bound to its own token (a row's sealed
//! response copied to another token's row does not open), and a user
//! disabled by any path (here the store alone, with their grants left live)
//! gets no new tokens, and their grant is revoked; a rotated token is a
//! new token (issued now), not a copy of the one it replaces.
use auth_server::domain::email::Email;
use auth_server::store::users::UserStore;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;
use sqlx::Row;

use std::sync::Arc;

use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};

use crate::helpers::{spawn_app, spawn_app_with_clock, TestApp, PASSWORD};
use crate::oidc::{code_flow, create_client, introspect, token, TestClient};

const EMAIL: &str = "alice@example.com";

async fn refresh(app: &TestApp, client: &TestClient, refresh_token: &str) -> (u16, Value) {
    token(
        app,
        "acme",
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

fn refresh_token_of(tokens: &Value) -> String {
    tokens["refresh_token"].as_str().expect("rt").to_owned()
}

async fn kept_response_is_bound(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", EMAIL, PASSWORD).await;
    let client = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"first_party": true, "refresh_token_reuse_interval_secs": 60}),
    )
    .await;
    let a = refresh_token_of(&code_flow(&app, &web, "acme", &client, EMAIL, PASSWORD).await);
    let b = refresh_token_of(&code_flow(&app, &web, "acme", &client, EMAIL, PASSWORD).await);
    let (status, pair_a) = refresh(&app, &client, &a).await;
    assert_eq!(status, 200, "{pair_a}");
    let (status, pair_b) = refresh(&app, &client, &b).await;
    assert_eq!(status, 200, "{pair_b}");

    // Someone with write access to the table moves B's kept response to A.
    let pool = &app.database.pool;
    let b_kept: String =
        sqlx::query("SELECT retry_response FROM refresh_tokens WHERE token_hash = $1")
            .bind(auth_server::opaque_secret::digest(&b))
            .fetch_one(pool)
            .await
            .expect("B's row")
            .try_get("retry_response")
            .expect("kept response");
    sqlx::query("UPDATE refresh_tokens SET retry_response = $1 WHERE token_hash = $2")
        .bind(&b_kept)
        .bind(auth_server::opaque_secret::digest(&a))
        .execute(pool)
        .await
        .expect("moved");
    let (status, body) = refresh(&app, &client, &a).await;
    assert_ne!(status, 200, "{body}");
    assert_ne!(body, pair_b, "A's replay never gets B's tokens");
    // B's own replay still gets B's pair.
    assert_eq!(refresh(&app, &client, &b).await, (200, pair_b));
}

both_engines!(
    a_kept_refresh_response_opens_only_for_its_own_token,
    kept_response_is_bound
);

async fn disabled_user_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", EMAIL, PASSWORD).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let first = refresh_token_of(&code_flow(&app, &web, "acme", &client, EMAIL, PASSWORD).await);
    let users = UserStore::new(app.database.pool.clone());
    let user = users
        .find_by_email(tenant.id, &Email::parse(EMAIL).expect("email"))
        .await
        .expect("read")
        .expect("alice");
    assert_eq!(
        introspect(&app, "acme", &client, &first).await["active"],
        true
    );
    // Disabled in the store alone: her grant is still live.
    users
        .disable(tenant.id, user.id, 1)
        .await
        .expect("disabled");
    // Introspection already says the token is dead, and changes nothing.
    assert_eq!(
        introspect(&app, "acme", &client, &first).await,
        json!({"active": false})
    );
    let (status, body) = refresh(&app, &client, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    // The refusal revoked her grant: enabled again, the token stays dead.
    users.enable(tenant.id, user.id, 2).await.expect("enabled");
    let (status, body) = refresh(&app, &client, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

both_engines!(
    a_user_disabled_by_any_path_gets_no_refresh_and_loses_the_grant,
    disabled_user_refused
);

async fn rotated_token_is_issued_now(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", EMAIL, PASSWORD).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let first = refresh_token_of(&code_flow(&app, &web, "acme", &client, EMAIL, PASSWORD).await);
    let issued = introspect(&app, "acme", &client, &first).await["iat"].clone();
    clock.advance(120);
    let (status, rotated) = refresh(&app, &client, &first).await;
    assert_eq!(status, 200, "{rotated}");
    let next = introspect(&app, "acme", &client, &refresh_token_of(&rotated)).await;
    assert_eq!(next["active"], true, "{next}");
    assert_eq!(
        next["iat"].as_i64(),
        issued.as_i64().map(|t| t + 120),
        "issued at the rotation: {next}"
    );
}

both_engines!(
    a_rotated_refresh_token_is_issued_at_the_rotation,
    rotated_token_is_issued_now
);

async fn failed_first_use_is_not_waited_for(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", EMAIL, PASSWORD).await;
    let client = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"first_party": true, "refresh_token_reuse_interval_secs": 60}),
    )
    .await;
    let first = refresh_token_of(&code_flow(&app, &web, "acme", &client, EMAIL, PASSWORD).await);
    let users = UserStore::new(app.database.pool.clone());
    let user = users
        .find_by_email(tenant.id, &Email::parse(EMAIL).expect("email"))
        .await
        .expect("read")
        .expect("alice");
    users
        .disable(tenant.id, user.id, 1)
        .await
        .expect("disabled");
    // The first use claims the token, then fails (and revokes the grant):
    // no response will ever be kept for a replay to get.
    let (status, _) = refresh(&app, &client, &first).await;
    assert_eq!(status, 400);
    // A replay within the interval is refused at once, not after waiting
    // out the race window (5 s) for a response that cannot come.
    let replay = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        refresh(&app, &client, &first),
    )
    .await
    .expect("answered without waiting for the first use");
    assert_eq!(
        (replay.0, replay.1["error"].as_str()),
        (400, Some("invalid_grant")),
        "{}",
        replay.1
    );
}

both_engines!(
    a_replay_after_a_failed_first_use_is_refused_at_once,
    failed_first_use_is_not_waited_for
);

async fn stalled_first_use_is_waited_for_a_bounded_time(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", EMAIL, PASSWORD).await;
    let client = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"first_party": true, "refresh_token_reuse_interval_secs": 60}),
    )
    .await;
    let first = refresh_token_of(&code_flow(&app, &web, "acme", &client, EMAIL, PASSWORD).await);
    // A first use that claimed the token and stalled (its instance died
    // before answering): the grant is live, no response is kept.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    sqlx::query("UPDATE refresh_tokens SET used_at = $1, retry_until = $2 WHERE token_hash = $3")
        .bind(now)
        .bind(now + 60)
        .bind(auth_server::opaque_secret::digest(&first))
        .execute(&app.database.pool)
        .await
        .expect("claimed");
    // The replay waits for the response a while (the race window, 5 s),
    // then gives up without revoking: it never hangs.
    let replay = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        refresh(&app, &client, &first),
    )
    .await
    .expect("the replay gives up waiting");
    assert_eq!(
        (replay.0, replay.1["error"].as_str()),
        (400, Some("invalid_grant")),
        "{}",
        replay.1
    );
}

both_engines!(
    a_replay_of_a_stalled_first_use_gives_up_waiting,
    stalled_first_use_is_waited_for_a_bounded_time
);
