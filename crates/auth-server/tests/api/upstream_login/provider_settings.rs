//! The upstream providers' settings over the management API: bad ones are
//! refused and change nothing; presets (Google, Apple) fill the issuer,
//! slug and name; a provider turned off hides its button; two updates at
//! once both stay.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{federation, Federation};

async fn bad_settings_are_refused(engine: Engine) {
    let Federation {
        app,
        acme,
        provider_id,
    } = federation(engine).await;
    let base = format!("/manage/v1/tenants/{}/upstream-providers", acme.id);
    let before = app.admin_json(&base).await;
    for (body, field) in [
        (
            json!({"slug": "Bad Slug", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}),
            "slug",
        ),
        (
            json!({"slug": "x2", "issuer": "ftp://idp.example", "client_id": "c", "client_secret": "s"}),
            "issuer",
        ),
        (
            json!({"slug": "x2", "issuer": "http://idp.example", "client_id": "c", "client_secret": "s"}),
            "issuer",
        ),
        (
            json!({"slug": "x2", "display_name": "X", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s", "scopes": "email"}),
            "scopes",
        ),
        (
            json!({"preset": "myspace", "client_id": "c", "client_secret": "s"}),
            "preset",
        ),
        (
            json!({"preset": "google", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}),
            "preset",
        ),
        (
            json!({"slug": "x2", "display_name": "X", "issuer": "https://idp.example", "client_id": "c", "client_secret": ""}),
            "client_secret",
        ),
    ] {
        let resp = app
            .admin(Method::POST, &base)
            .json(&body)
            .send()
            .await
            .expect("sent");
        let problem = crate::helpers::assert_problem(resp, 422, "invalid-input").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{field}: {problem}"
        );
    }
    let taken = app
        .admin(Method::POST, &base)
        .json(&json!({"slug": "idp", "display_name": "Again", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}))
        .send()
        .await
        .expect("sent");
    crate::helpers::assert_problem(taken, 409, "provider-slug-taken").await;
    let bad_patch = app
        .admin(Method::PATCH, &format!("{base}/{provider_id}"))
        .json(&json!({"issuer": "not a url"}))
        .send()
        .await
        .expect("sent");
    crate::helpers::assert_problem(bad_patch, 422, "invalid-input").await;
    assert_eq!(app.admin_json(&base).await, before, "nothing changed");

    // A preset fills the issuer, slug and name; turning it off hides its button.
    let google = app
        .admin(Method::POST, &base)
        .json(&json!({"preset": "google", "client_id": "g.apps.googleusercontent.com", "client_secret": "s"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(google.status().as_u16(), 201);
    let google: Value = google.json().await.expect("json");
    assert_eq!(google["issuer"], "https://accounts.google.com");
    assert_eq!(google["slug"], "google");
    assert_eq!(google["scopes"], "openid email profile");
    assert!(app
        .web()
        .get("/t/acme/login")
        .await
        .contains("id=\"upstream-google\""));
    let off = app
        .admin(
            Method::PATCH,
            &format!("{base}/{}", google["id"].as_str().expect("id")),
        )
        .json(&json!({"enabled": false}))
        .send()
        .await
        .expect("sent");
    assert_eq!(off.status().as_u16(), 200);
    assert!(!app
        .web()
        .get("/t/acme/login")
        .await
        .contains("id=\"upstream-google\""));
    let gone = app
        .admin(
            Method::DELETE,
            &format!("{base}/{}", google["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(gone.status().as_u16(), 204);

    // Sign in with Apple: its issuer, and the name asked for (Apple answers
    // with a form post, relayed by the callback).
    let apple = app
        .admin(Method::POST, &base)
        .json(&json!({"preset": "apple", "client_id": "com.example.web", "client_secret": "eyJ.apple.jwt"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(apple.status().as_u16(), 201);
    let apple: Value = apple.json().await.expect("json");
    assert_eq!(apple["issuer"], "https://appleid.apple.com");
    assert_eq!(apple["kind"], "oidc");
    assert_eq!(apple["display_name"], "Apple");
    assert_eq!(apple["scopes"], "openid email name");
    let gone = app
        .admin(
            Method::DELETE,
            &format!("{base}/{}", apple["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(gone.status().as_u16(), 204);
    assert_eq!(app.admin_json(&base).await, before);
}

both_engines!(
    upstream_provider_settings_are_checked_and_nothing_changes_on_a_refusal,
    bad_settings_are_refused
);

/// Two updates of one provider at the same moment, naming other fields:
/// the one that read the provider before the other wrote is made again on
/// that one's result, so both stay (a provider turned off is not turned back
/// on by a rename made at the same moment).
async fn two_updates_at_once_both_stay(engine: Engine) {
    let Federation {
        app,
        acme,
        provider_id,
    } = federation(engine).await;
    let path = format!(
        "/manage/v1/tenants/{}/upstream-providers/{provider_id}",
        acme.id
    );
    let patch = |body: Value| {
        let request = app.admin(Method::PATCH, &path).json(&body);
        async move { request.send().await.expect("sent").status().as_u16() }
    };
    for round in 0..8 {
        let name = format!("Provider {round}");
        let enabled = round % 2 == 1;
        let statuses = tokio::join!(
            patch(json!({ "display_name": name })),
            patch(json!({ "enabled": enabled })),
        );
        assert_eq!(statuses, (200, 200), "round {round}");
        let stored = app.admin_json(&path).await;
        assert_eq!(
            (&stored["display_name"], &stored["enabled"]),
            (&json!(name), &json!(enabled)),
            "round {round}: an update was lost: {stored}"
        );
    }
}
both_engines!(
    two_updates_of_a_provider_at_once_both_stay,
    two_updates_at_once_both_stay
);
