//! OAuth 2.0 providers' settings over the management API: bad endpoints,
//! mappings and presets are refused and nothing is stored; good ones
//! (generic, Facebook, Microsoft) are kept, and changes are checked too.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine as DbEngine;

use crate::helpers::spawn_app;

async fn bad_oauth2_settings_are_refused(engine: DbEngine) {
    // Private upstreams are not allowed here: loopback http is refused too.
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    let base = format!("/manage/v1/tenants/{}/upstream-providers", acme.id);
    let good = |changes: Value| {
        let mut body = json!({
            "kind": "oauth2", "slug": "idp", "display_name": "IdP",
            "authorization_url": "https://idp.example/authorize",
            "token_url": "https://idp.example/token",
            "userinfo_url": "https://api.idp.example/me",
            "client_id": "c", "client_secret": "s",
        });
        for (k, v) in changes.as_object().expect("object") {
            if v.is_null() {
                body.as_object_mut().expect("object").remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    for (body, field) in [
        (
            good(json!({"authorization_url": "ftp://idp.example/a"})),
            "authorization_url",
        ),
        (
            good(json!({"token_url": "http://idp.example/token"})),
            "token_url",
        ),
        (
            good(json!({"token_url": "http://127.0.0.1:9/token"})),
            "token_url",
        ),
        (
            good(json!({"userinfo_url": "https://idp.example/me#x"})),
            "userinfo_url",
        ),
        (good(json!({"userinfo_url": null})), "userinfo_url"),
        (good(json!({"issuer": "https://idp.example"})), "issuer"),
        (
            good(json!({"claim_mapping": {"subject": "a.b"}})),
            "subject",
        ),
        (good(json!({"token_auth": "private_key_jwt"})), "token_auth"),
        (good(json!({"kind": "saml"})), "kind"),
        (
            json!({"preset": "microsoft", "issuer": "https://login.microsoftonline.com/common/v2.0", "client_id": "c", "client_secret": "s"}),
            "issuer",
        ),
        (
            json!({"preset": "github", "issuer": "https://github.com", "client_id": "c", "client_secret": "s"}),
            "issuer",
        ),
        (
            json!({"preset": "google", "userinfo_url": "https://idp.example/me", "client_id": "c", "client_secret": "s"}),
            "userinfo_url",
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
    assert_eq!(
        app.admin_json(&base).await["items"],
        json!([]),
        "nothing stored"
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM upstream_providers")
        .fetch_one(&app.database.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0);

    // Good settings: a generic provider with its own field names, Facebook
    // (emails unverified unless the tenant says so), Microsoft by directory.
    let created = app
        .admin(Method::POST, &base)
        .json(&good(
            json!({"claim_mapping": {"subject": "user_id", "email": "mail"}}),
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["claim_mapping"]["subject"], "user_id");
    assert_eq!(created["claim_mapping"]["email"], "mail");
    assert_eq!(created["claim_mapping"]["email_verified"], "email_verified");
    assert_eq!(created["scopes"], "");
    let facebook: Value = app
        .admin(Method::POST, &base)
        .json(&json!({"preset": "facebook", "client_id": "fb", "client_secret": "s"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(facebook["trust_email"], false);
    assert_eq!(
        facebook["userinfo_url"],
        "https://graph.facebook.com/me?fields=id,name,email"
    );
    let issuer = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0";
    let microsoft: Value = app
        .admin(Method::POST, &base)
        .json(&json!({"preset": "microsoft", "issuer": issuer, "client_id": "ms", "client_secret": "s"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(microsoft["kind"], "oidc");
    assert_eq!(microsoft["issuer"], issuer);
    assert_eq!(microsoft["scopes"], "openid email profile");

    // Changes: the kind stays; bad endpoints are refused; nothing changes.
    let before = app.admin_json(&base).await;
    let id = created["id"].as_str().expect("id");
    for (body, field) in [
        (
            json!({"userinfo_url": "http://idp.example/me"}),
            "userinfo_url",
        ),
        (json!({"issuer": "https://idp.example"}), "issuer"),
    ] {
        let resp = app
            .admin(Method::PATCH, &format!("{base}/{id}"))
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
    assert_eq!(app.admin_json(&base).await, before, "nothing changed");
    let trusted: Value = app
        .admin(
            Method::PATCH,
            &format!("{base}/{}", facebook["id"].as_str().expect("id")),
        )
        .json(&json!({"trust_email": true}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(trusted["trust_email"], true);
    assert_eq!(trusted["userinfo_url"], facebook["userinfo_url"]);
}

both_engines!(
    oauth2_provider_settings_are_checked_and_nothing_is_stored_on_a_refusal,
    bad_oauth2_settings_are_refused
);
