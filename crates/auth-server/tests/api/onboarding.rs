//! `/dashboard/new`: a platform user with a verified email creates their
//! tenant and its first app, becomes its owner, and leaves with a client id
//! and secret that work at once. Every refusal is a clear 4xx that creates
//! nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::platform_user;
use crate::helpers::{spawn_app, spawn_app_on_known_port, TestApp, PASSWORD};
use crate::web::{Page, Web};

const FOUNDER: &str = "founder@startup.example";

async fn create(web: &Web, fields: &[(&str, &str)]) -> Page {
    let form = web.get("/dashboard/new").await;
    assert_eq!(form.status, 200, "{}", form.body);
    web.post("/dashboard/new", fields).await
}

fn code(page: &Page, id: &str) -> String {
    page.between(&format!("<code id=\"{id}\">"), "</code>")
        .unwrap_or_else(|| panic!("no {id} in {}", page.body))
}

async fn tenant_exists(app: &TestApp, slug: &str) -> bool {
    let resp = app
        .admin(Method::GET, &format!("/manage/v1/tenants/by-slug/{slug}"))
        .send()
        .await
        .expect("sent");
    match resp.status().as_u16() {
        200 => true,
        404 => false,
        other => panic!("by-slug answered {other}"),
    }
}

async fn machine_app_gets_a_token_at_once(engine: Engine) {
    let app = spawn_app_on_known_port(engine).await;
    let web = platform_user(&app, FOUNDER).await;
    let dashboard = web.get("/dashboard").await;
    assert!(
        dashboard.contains("href=\"/dashboard/new\""),
        "{}",
        dashboard.body
    );

    let page = create(
        &web,
        &[
            ("display_name", "Startup"),
            ("slug", "startup"),
            ("app", "m2m"),
            ("callback_url", ""),
        ],
    )
    .await;
    assert_eq!(page.status, 201, "{}", page.body);
    assert_eq!(
        page.headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..]),
        "the secret is never cached"
    );
    let issuer = app.url("/t/startup");
    assert_eq!(code(&page, "issuer"), issuer);
    let client_id = code(&page, "client-id");
    let secret = code(&page, "client-secret");
    assert!(client_id.starts_with("cli_"), "{client_id}");
    assert!(
        page.contains(&format!("-u '{client_id}:{secret}'")),
        "the curl snippet carries the credentials: {}",
        page.body
    );

    // The quickstart's curl: a client_credentials token from the new tenant.
    let token = app
        .client
        .post(format!("{issuer}/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    assert_eq!(token.status(), 200);
    let body: Value = token.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    let discovery: Value = app
        .client
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(discovery["issuer"], issuer);

    // Its creator owns it: the dashboard lists it and the operator sees the owner.
    let dashboard = web.get("/dashboard").await;
    assert!(
        dashboard.contains("<code>startup</code>"),
        "{}",
        dashboard.body
    );
    let tenant: Value = app
        .admin(Method::GET, "/manage/v1/tenants/by-slug/startup")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let owners: Value = app
        .admin(
            Method::GET,
            &format!(
                "/manage/v1/tenants/{}/owners",
                tenant["id"].as_str().unwrap_or_default()
            ),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(owners["items"][0]["email"], FOUNDER, "{owners}");
}

both_engines!(
    a_machine_to_machine_app_gets_a_token_with_the_quickstart_credentials,
    machine_app_gets_a_token_at_once
);

async fn web_and_spa_apps_come_back_to_their_callback(engine: Engine) {
    let app = spawn_app(engine).await;
    let web = platform_user(&app, FOUNDER).await;
    let page = create(
        &web,
        &[
            ("display_name", "Web startup"),
            ("slug", "webstartup"),
            ("app", "web"),
            ("callback_url", "https://app.webstartup.example/callback"),
        ],
    )
    .await;
    assert_eq!(page.status, 201, "{}", page.body);
    assert!(page.contains("openid-client"), "{}", page.body);
    let web_client = code(&page, "client-id");
    assert!(
        page.contains("id=\"client-secret\""),
        "a web app is confidential"
    );

    let page = create(
        &web,
        &[
            ("display_name", "Spa startup"),
            ("slug", "spastartup"),
            ("app", "spa"),
            ("callback_url", "http://localhost:5173/callback"),
        ],
    )
    .await;
    assert_eq!(page.status, 201, "{}", page.body);
    assert!(page.contains("oidc-client-ts"), "{}", page.body);
    assert!(
        !page.contains("id=\"client-secret\""),
        "a SPA has no secret"
    );
    let spa_client = code(&page, "client-id");

    for (slug, client, redirect, kind) in [
        (
            "webstartup",
            &web_client,
            "https://app.webstartup.example/callback",
            "confidential",
        ),
        (
            "spastartup",
            &spa_client,
            "http://localhost:5173/callback",
            "public",
        ),
    ] {
        let tenant: Value = app
            .admin(Method::GET, &format!("/manage/v1/tenants/by-slug/{slug}"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        let id = tenant["id"].as_str().unwrap_or_default();
        let resp = app
            .admin(
                Method::GET,
                &format!("/manage/v1/tenants/{id}/clients/{client}"),
            )
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 200);
        let c: Value = resp.json().await.expect("json");
        assert_eq!(c["kind"], kind, "{c}");
        assert_eq!(c["redirect_uris"], json!([redirect]), "{c}");
        assert_eq!(
            c["grant_types"],
            json!(["authorization_code", "refresh_token"]),
            "{c}"
        );
    }
}

both_engines!(
    web_and_single_page_apps_are_registered_with_their_callback,
    web_and_spa_apps_come_back_to_their_callback
);

#[tokio::test]
async fn bad_forms_are_refused_with_a_reason_and_create_nothing() {
    let app = spawn_app(Engine::Sqlite).await;
    app.tenant("taken", json!({})).await;
    let web = platform_user(&app, FOUNDER).await;
    let before = app.tenant_count().await;
    let valid = [
        ("display_name", "Startup"),
        ("slug", "startup"),
        ("app", "web"),
        ("callback_url", "https://startup.example/cb"),
    ];
    let with = |name: &'static str, value: &'static str| {
        valid
            .iter()
            .map(|&(k, v)| if k == name { (k, value) } else { (k, v) })
            .collect::<Vec<_>>()
    };
    for (fields, status, text) in [
        (with("slug", "taken"), 409, "This slug is taken"),
        (with("slug", "platform"), 409, "This slug is taken"),
        (with("slug", "No Caps"), 422, "lowercase letters"),
        (with("slug", "ab"), 422, "lowercase letters"),
        (with("display_name", ""), 422, "a name of 1 to 100"),
        (with("app", "native"), 422, "Choose the kind"),
        (with("callback_url", ""), 422, "needs its callback URL"),
        (
            with("callback_url", "http://startup.example/cb"),
            422,
            "needs its callback URL",
        ),
        (
            with("callback_url", "https://startup.example/cb#frag"),
            422,
            "needs its callback URL",
        ),
    ] {
        let page = create(&web, &fields).await;
        assert_eq!(page.status, status, "{fields:?}: {}", page.body);
        assert!(page.contains(text), "{fields:?}: {}", page.body);
        assert!(!page.contains("client-secret"), "{fields:?}");
        // What was typed comes back in the form.
        assert!(page.contains("name=\"slug\""), "{}", page.body);
    }
    assert_eq!(app.tenant_count().await, before, "nothing was created");
    assert!(!tenant_exists(&app, "startup").await);

    // No CSRF token: refused before anything is read.
    web.get("/dashboard/new").await;
    let page = web.post_raw("/dashboard/new", &valid).await;
    assert_eq!(page.status, 403);
    assert!(!tenant_exists(&app, "startup").await);

    // No platform session: to the platform login, nothing created.
    let stranger = app.web();
    let page = stranger.get("/dashboard/new").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/t/platform/login?return_to=%2Fdashboard%2Fnew")
    );
    assert_eq!(app.tenant_count().await, before);
}

#[tokio::test]
async fn one_person_creates_a_bounded_number_of_tenants() {
    let app = spawn_app(Engine::Sqlite).await;
    let web = platform_user(&app, FOUNDER).await;
    for slug in ["first", "second", "third"] {
        let page = create(
            &web,
            &[("display_name", slug), ("slug", slug), ("app", "m2m")],
        )
        .await;
        assert_eq!(page.status, 201, "{slug}: {}", page.body);
    }
    let page = create(
        &web,
        &[
            ("display_name", "Fourth"),
            ("slug", "fourth"),
            ("app", "m2m"),
        ],
    )
    .await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.contains("already own 3 tenants"), "{}", page.body);
    assert!(!tenant_exists(&app, "fourth").await);
    // Another person is not held by the first one's tenants.
    let other = platform_user(&app, "other@startup.example").await;
    let page = create(
        &other,
        &[
            ("display_name", "Fourth"),
            ("slug", "fourth"),
            ("app", "m2m"),
        ],
    )
    .await;
    assert_eq!(page.status, 201, "{}", page.body);
}

#[tokio::test]
async fn an_unverified_platform_user_cannot_reach_the_form() {
    let app = spawn_app(Engine::Sqlite).await;
    let web = app.web();
    web.get("/t/platform/signup").await;
    let done = web
        .post(
            "/t/platform/signup",
            &[
                ("email", FOUNDER),
                ("password", PASSWORD),
                ("display_name", "F"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    // The platform login waits for the verified address (the use case
    // checks it again), so there is no session to create a tenant with.
    let login = app.login(&web, "platform", FOUNDER, PASSWORD).await;
    assert_ne!(login.status, 303, "{}", login.body);
    let page = web.get("/dashboard/new").await;
    assert_eq!(page.status, 303);
    let page = web
        .post(
            "/dashboard/new",
            &[
                ("display_name", "Startup"),
                ("slug", "startup"),
                ("app", "m2m"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(!tenant_exists(&app, "startup").await);
}
