//! `/v1/me` and `/v1/people/{id}`: profiles.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, send, spawn_app};

async fn me_is_created_on_the_first_call(engine: Engine) {
    let app = spawn_app(engine).await;
    let resp = send(app.as_person("user-alice", Method::GET, "/v1/me")).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let first: Value = resp.json().await.expect("json");
    assert_eq!(first["id"], "user-alice");
    assert_eq!(first["display_name"], Value::Null);
    assert_eq!(first["bio"], Value::Null);
    assert!(first["created_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        app.me("user-alice").await,
        first,
        "the second call reads the same row"
    );

    // Others see the profile; unknown ids are 404.
    let seen: Value = send(app.as_person("user-bob", Method::GET, "/v1/people/user-alice"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen, first);
    for unknown in ["/v1/people/user-nobody", "/v1/people/%20"] {
        let resp = send(app.as_person("user-bob", Method::GET, unknown)).await;
        assert_problem(resp, 404, "person-not-found").await;
    }
}
both_engines!(me_created_on_first_call, me_is_created_on_the_first_call);

async fn put_me_replaces_the_profile(engine: Engine) {
    let app = spawn_app(engine).await;
    // A first call that writes creates the person too.
    let put = |body: Value| send(app.as_person("user-zoe", Method::PUT, "/v1/me").json(&body));
    let resp = put(json!({
        "display_name": "  Zoé 👩‍💻 ",
        "bio": "Line one\r\nLine two",
        "location": "Lyon"
    }))
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let saved: Value = resp.json().await.expect("json");
    assert_eq!(saved["display_name"], "Zoé 👩‍💻");
    assert_eq!(saved["bio"], "Line one\nLine two");
    assert_eq!(saved["location"], "Lyon");
    assert_eq!(app.me("user-zoe").await, saved);

    let resp = put(json!({"display_name": "Zoé", "bio": null})).await;
    let cleared: Value = resp.json().await.expect("json");
    assert_eq!(cleared["bio"], Value::Null, "absent or null clears");
    assert_eq!(cleared["location"], Value::Null);
    assert_eq!(cleared["created_at"], saved["created_at"]);
    let limits = json!({
        "display_name": "n".repeat(100), "bio": "é".repeat(500), "location": "l".repeat(100)
    });
    assert_eq!(
        put(limits).await.status().as_u16(),
        200,
        "limits are inclusive"
    );
}
both_engines!(put_me, put_me_replaces_the_profile);

async fn bad_profiles_are_refused_and_change_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let good = json!({"display_name": "Alice", "bio": "Hello", "location": "Paris"});
    let resp = send(
        app.as_person("user-alice", Method::PUT, "/v1/me")
            .json(&good),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let before = app.me("user-alice").await;

    let invalid = [
        json!({"display_name": ""}),
        json!({"display_name": "   "}),
        json!({"display_name": "n".repeat(101)}),
        json!({"display_name": "Al\u{0}ice"}),
        json!({"display_name": "Ali\nce"}),
        json!({"display_name": "evil\u{202E}gpj.exe"}),
        json!({"display_name": "zero\u{200B}width"}),
        json!({"display_name": "A", "bio": "b".repeat(501)}),
        json!({"display_name": "A", "bio": "tab\there"}),
        json!({"display_name": "A", "location": "l".repeat(101)}),
    ];
    for body in invalid {
        let resp = send(
            app.as_person("user-alice", Method::PUT, "/v1/me")
                .json(&body),
        )
        .await;
        assert_problem(resp, 422, "invalid-input").await;
    }
    let malformed = [
        json!({}),
        json!({"display_name": "A", "email": "a@example.com"}),
        json!({"display_name": 5}),
        json!({"display_name": "A", "bio": ["x"]}),
        json!(["Alice"]),
    ];
    for body in malformed {
        let resp = send(
            app.as_person("user-alice", Method::PUT, "/v1/me")
                .json(&body),
        )
        .await;
        assert_problem(resp, 400, "bad-request").await;
    }
    let not_json = send(
        app.as_person("user-alice", Method::PUT, "/v1/me")
            .header("content-type", "application/json")
            .body("{\"display_name\":"),
    )
    .await;
    assert_problem(not_json, 400, "bad-request").await;
    let form = send(
        app.as_person("user-alice", Method::PUT, "/v1/me")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("display_name=Bob"),
    )
    .await;
    assert_problem(form, 415, "unsupported-media-type").await;

    assert_eq!(
        app.me("user-alice").await,
        before,
        "every refusal left the profile alone"
    );
}
both_engines!(
    put_me_validation,
    bad_profiles_are_refused_and_change_nothing
);
