//! Users brought from another system with their password hashes: argon2
//! kept as is, bcrypt checked once and re-hashed with argon2id at the first
//! login; a batch with one bad user writes nothing; addresses that already
//! have an account are left as they are. Through the management API and
//! the console.
use argon2::Params;
use auth_server::domain::email::Email;
use auth_server::password::HashEngine;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::platform_user;
use crate::helpers::{spawn_app, TestApp, PASSWORD};

async fn stored_hash(
    app: &TestApp,
    tenant: &auth_server::domain::tenant::Tenant,
    email: &str,
) -> String {
    auth_server::store::users::UserStore::new(app.database.pool.clone())
        .find_by_email(tenant.id, &Email::parse(email).expect("email"))
        .await
        .expect("lookup")
        .expect("user")
        .password_hash
        .unwrap_or_default()
}

async fn import(app: &TestApp, tenant: &str, body: &Value) -> reqwest::Response {
    app.admin(
        Method::POST,
        &format!("/manage/v1/tenants/{tenant}/users/import"),
    )
    .json(body)
    .send()
    .await
    .expect("sent")
}

async fn imported_users_keep_their_passwords(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let id = tenant.id.to_string();
    app.signup_verified(&app.web(), "acme", "already@acme.example", PASSWORD)
        .await;
    let argon = HashEngine::new(Params::new(19_456, 2, 1, None).expect("params"))
        .hash(b"ann's old password")
        .expect("hash");
    let bcrypt = bcrypt::hash("bob's old password", 4).expect("hash");

    // One bad user refuses the batch; nothing is written.
    let resp = import(
        &app,
        &id,
        &json!({ "users": [
            { "email": "ann@acme.example", "password_hash": argon },
            { "email": "not an address" },
            { "email": "cy@acme.example", "password_hash": "md5$abc" },
        ]}),
    )
    .await;
    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.expect("json");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("row 2") && detail.contains("row 3"),
        "{detail}"
    );
    assert_eq!(app.user_count(&tenant).await, 1);

    let resp = import(
        &app,
        &id,
        &json!({ "users": [
            { "email": "ann@acme.example", "name": "Ann", "email_verified": true, "password_hash": argon },
            { "email": "bob@acme.example", "email_verified": true, "password_hash": bcrypt },
            { "email": "cy@acme.example" },
            { "email": "Already@acme.example", "name": "Someone else" },
        ]}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let report: Value = resp.json().await.expect("json");
    assert_eq!(report, json!({ "created": 3, "existing": 1 }));
    assert_eq!(app.user_count(&tenant).await, 4);

    // Ann's argon2 hash and Bob's bcrypt one both log them in; Bob's is
    // then argon2id.
    for (email, password) in [
        ("ann@acme.example", "ann's old password"),
        ("bob@acme.example", "bob's old password"),
    ] {
        let web = app.web();
        assert_eq!(
            app.login(&web, "acme", email, "not the password")
                .await
                .status,
            401
        );
        let login = app.login(&app.web(), "acme", email, password).await;
        assert_eq!(login.status, 303, "{email}: {}", login.body);
    }
    assert!(stored_hash(&app, &tenant, "bob@acme.example")
        .await
        .starts_with("$argon2id$"));
    assert_eq!(
        app.login(&app.web(), "acme", "bob@acme.example", "bob's old password")
            .await
            .status,
        303,
        "the re-hashed password still works"
    );
    // The existing account kept its own password and name.
    assert_eq!(
        app.login(&app.web(), "acme", "already@acme.example", PASSWORD)
            .await
            .status,
        303
    );
    // Cy has no password: the login refuses, like a wrong one.
    assert_eq!(
        app.login(&app.web(), "acme", "cy@acme.example", PASSWORD)
            .await
            .status,
        401
    );
    assert!(app
        .audit_kinds(&tenant)
        .await
        .contains(&("users_imported".to_owned(), "success".to_owned())));

    for bad in [
        json!({ "users": [] }),
        json!({ "users": [{ "email": "x@acme.example", "role": "admin" }] }),
    ] {
        let status = import(&app, &id, &bad).await.status().as_u16();
        assert!(status == 400 || status == 422, "{bad}: {status}");
    }
    assert_eq!(app.user_count(&tenant).await, 4);
}

both_engines!(
    imported_users_keep_their_passwords_and_are_rehashed,
    imported_users_keep_their_passwords
);

#[tokio::test]
async fn an_owner_imports_users_from_the_console() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let owner = platform_user(&app, "owner@acme.example").await;
    let viewer = platform_user(&app, "viewer@acme.example").await;
    for (email, role) in [
        ("owner@acme.example", "owner"),
        ("viewer@acme.example", "viewer"),
    ] {
        let resp = app
            .admin(
                Method::POST,
                &format!("/manage/v1/tenants/{}/owners", tenant.id),
            )
            .json(&json!({ "email": email, "role": role }))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 201);
    }
    let path = "/dashboard/t/acme/users/import";
    assert!(owner
        .get("/dashboard/t/acme/users")
        .await
        .contains("id=\"import-link\""));
    assert_eq!(owner.get(path).await.status, 200);
    let bcrypt = bcrypt::hash("dee's password", 4).expect("hash");
    let csv = format!("email,name,email_verified,password_hash\ndee@acme.example,Dee,true,{bcrypt}\neve@acme.example,,,\n");

    let bad = "email,email_verified\nfine@acme.example,true\nbroken,maybe\n";
    let page = owner.post(path, &[("data", bad)]).await;
    assert_eq!(page.status, 422);
    assert!(page.contains("row 2"), "{}", page.body);
    assert_eq!(
        viewer.post(path, &[("data", csv.as_str())]).await.status,
        403
    );
    assert_eq!(app.user_count(&tenant).await, 0);

    let page = owner.post(path, &[("data", csv.as_str())]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let list = owner.get(page.location.as_deref().expect("location")).await;
    assert!(
        list.contains("Imported: 2 created, 0 already had an account"),
        "{}",
        list.body
    );
    assert_eq!(
        app.login(&app.web(), "acme", "dee@acme.example", "dee's password")
            .await
            .status,
        303
    );
}
