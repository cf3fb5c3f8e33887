//! `/manage/v1/tenants` over HTTP, on both engines.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app};

async fn create_read_update_disable(engine: Engine) {
    let app = spawn_app(engine).await;
    let resp = app
        .create_tenant(
            &json!({"slug": "acme", "display_name": "Acme Inc", "settings": {"brand_color": "#123456"}}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created: Value = resp.json().await.expect("json");
    assert_eq!(created["slug"], "acme");
    assert_eq!(created["display_name"], "Acme Inc");
    assert_eq!(created["status"], "active");
    assert_eq!(created["settings"]["brand_color"], "#123456");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(location, format!("/manage/v1/tenants/{id}"));

    let by_id: Value = app
        .admin(Method::GET, &location)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(by_id, created);
    let by_slug: Value = app
        .admin(Method::GET, "/manage/v1/tenants/by-slug/acme")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(by_slug["id"], created["id"]);

    let resp = app
        .admin(Method::PATCH, &location)
        .json(&json!({"display_name": "Acme SAS"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 200);
    let updated: Value = resp.json().await.expect("json");
    assert_eq!(updated["display_name"], "Acme SAS");
    assert_eq!(
        updated["settings"]["brand_color"], "#123456",
        "settings untouched"
    );

    let resp = app
        .admin(Method::POST, &format!("{location}/disable"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 200);
    let disabled: Value = resp.json().await.expect("json");
    assert_eq!(disabled["status"], "disabled");
    assert!(disabled["disabled_at"].is_string());
}
both_engines!(
    create_read_update_disable_tenant,
    create_read_update_disable
);

async fn list_paginates_in_slug_order(engine: Engine) {
    let app = spawn_app(engine).await;
    for slug in ["delta", "alpha", "charlie", "bravo", "echo"] {
        let resp = app
            .create_tenant(&json!({"slug": slug, "display_name": slug}))
            .await;
        assert_eq!(resp.status().as_u16(), 201);
    }
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page: Value = app
            .admin(
                Method::GET,
                &format!("/manage/v1/tenants?limit=2&after={after}"),
            )
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|t| t["slug"].as_str().expect("slug").to_owned()),
        );
        match page["next_after"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    // `platform` is made by the server at start.
    assert_eq!(
        seen,
        ["alpha", "bravo", "charlie", "delta", "echo", "platform"]
    );
}
both_engines!(
    list_paginates_in_slug_order_over_http,
    list_paginates_in_slug_order
);

async fn duplicate_slug_is_a_conflict(engine: Engine) {
    let app = spawn_app(engine).await;
    let body = json!({"slug": "acme", "display_name": "Acme"});
    assert_eq!(app.create_tenant(&body).await.status().as_u16(), 201);
    let second = app
        .create_tenant(&json!({"slug": "acme", "display_name": "Other"}))
        .await;
    assert_problem(second, 409, "tenant-slug-taken").await;
    assert_eq!(app.tenant_count().await, 1);
    let kept: Value = app
        .admin(Method::GET, "/manage/v1/tenants/by-slug/acme")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        kept["display_name"], "Acme",
        "the first tenant is unchanged"
    );
}
both_engines!(duplicate_slug_is_409, duplicate_slug_is_a_conflict);

async fn invalid_input_is_refused_and_nothing_written(engine: Engine) {
    let app = spawn_app(engine).await;
    let bad = [
        json!({"slug": "ab", "display_name": "x"}),
        json!({"slug": "Acme", "display_name": "x"}),
        json!({"slug": "acme_co", "display_name": "x"}),
        json!({"slug": "-acme", "display_name": "x"}),
        json!({"slug": "platform", "display_name": "x"}),
        json!({"slug": "admin", "display_name": "x"}),
        json!({"slug": "a".repeat(41), "display_name": "x"}),
        json!({"slug": "acme", "display_name": "   "}),
        json!({"slug": "acme", "display_name": "a".repeat(101)}),
        json!({"slug": "acme", "display_name": "x", "settings": [1, 2]}),
        json!({"slug": "acme", "display_name": "x", "settings": {"color": "#123456"}}),
        json!({"slug": "acme", "display_name": "x", "settings": {"require_mfa": "true"}}),
    ];
    for body in bad {
        let resp = app.create_tenant(&body).await;
        assert_problem(resp, 422, "invalid-input").await;
    }
    let malformed = [
        json!({"display_name": "no slug"}),
        json!({"slug": 42, "display_name": "x"}),
        json!({"slug": "acme", "display_name": "x", "unknown": true}),
    ];
    for body in malformed {
        assert_problem(app.create_tenant(&body).await, 400, "bad-request").await;
    }
    let not_json = app
        .admin(Method::POST, "/manage/v1/tenants")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_problem(not_json, 400, "bad-request").await;
    let wrong_type = app
        .admin(Method::POST, "/manage/v1/tenants")
        .header("content-type", "text/plain")
        .body(r#"{"slug":"acme","display_name":"x"}"#)
        .send()
        .await
        .expect("sent");
    assert_problem(wrong_type, 415, "unsupported-media-type").await;
    for limit in ["0", "101", "abc"] {
        let resp = app
            .admin(Method::GET, &format!("/manage/v1/tenants?limit={limit}"))
            .send()
            .await
            .expect("sent");
        assert!(matches!(resp.status().as_u16(), 400 | 422), "limit={limit}");
    }
    assert_eq!(app.tenant_count().await, 0);
}
both_engines!(
    invalid_input_is_4xx_and_nothing_written,
    invalid_input_is_refused_and_nothing_written
);

async fn update_refuses_bad_fields_and_keeps_data(engine: Engine) {
    let app = spawn_app(engine).await;
    let created: Value = app
        .create_tenant(&json!({"slug": "acme", "display_name": "Acme"}))
        .await
        .json()
        .await
        .expect("json");
    let path = format!("/manage/v1/tenants/{}", created["id"].as_str().expect("id"));
    for body in [json!({"display_name": ""}), json!({"settings": "x"})] {
        let resp = app
            .admin(Method::PATCH, &path)
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_problem(resp, 422, "invalid-input").await;
    }
    let slug_change = app
        .admin(Method::PATCH, &path)
        .json(&json!({"slug": "other"}))
        .send()
        .await
        .expect("sent");
    assert_problem(slug_change, 400, "bad-request").await;
    let now: Value = app
        .admin(Method::GET, &path)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(now, created);
}
both_engines!(
    update_with_bad_fields_changes_nothing,
    update_refuses_bad_fields_and_keeps_data
);

async fn unknown_tenants_are_404(engine: Engine) {
    let app = spawn_app(engine).await;
    let missing = uuid_like();
    for (method, path) in [
        (Method::GET, format!("/manage/v1/tenants/{missing}")),
        (Method::GET, "/manage/v1/tenants/not-a-uuid".to_owned()),
        (Method::GET, "/manage/v1/tenants/by-slug/nobody".to_owned()),
        (
            Method::POST,
            format!("/manage/v1/tenants/{missing}/disable"),
        ),
    ] {
        let resp = app.admin(method, &path).send().await.expect("sent");
        assert_problem(resp, 404, "tenant-not-found").await;
    }
    let resp = app
        .admin(Method::PATCH, &format!("/manage/v1/tenants/{missing}"))
        .json(&json!({"display_name": "x"}))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 404, "tenant-not-found").await;
}
both_engines!(unknown_tenant_is_404, unknown_tenants_are_404);

/// The platform tenant holds the owners and signs the services' tokens:
/// disabling it would lock every owner out and stop usage reports.
async fn the_platform_tenant_cannot_be_disabled(engine: Engine) {
    let app = spawn_app(engine).await;
    let platform = auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("platform")
        .await
        .expect("made at start");
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/disable", platform.id),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 409, "tenant-reserved").await;
    let after = app
        .admin(Method::GET, "/manage/v1/tenants/by-slug/platform")
        .send()
        .await
        .expect("sent");
    let body: Value = after.json().await.expect("json");
    assert_eq!(body["status"], "active");
}
both_engines!(
    platform_tenant_stays_enabled,
    the_platform_tenant_cannot_be_disabled
);

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".to_owned()
}

async fn operator_token_is_required(engine: Engine) {
    let app = spawn_app(engine).await;
    let body = json!({"slug": "acme", "display_name": "Acme"});
    let cases: [Option<String>; 5] = [
        None,
        Some(String::new()),
        Some("Bearer wrong-token".to_owned()),
        Some(format!("Basic {}", app.admin_token)),
        Some(format!("Bearer {}x", app.admin_token)),
    ];
    for header in cases {
        let mut req = app.client.post(app.url("/manage/v1/tenants")).json(&body);
        if let Some(h) = &header {
            req = req.header("authorization", h);
        }
        let resp = req.send().await.expect("sent");
        assert_eq!(
            resp.headers()
                .get("www-authenticate")
                .map(|v| v.to_str().ok()),
            Some(Some("Bearer"))
        );
        assert_problem(resp, 401, "unauthorized").await;
        let list = app
            .client
            .get(app.url("/manage/v1/tenants"))
            .send()
            .await
            .expect("sent");
        assert_eq!(list.status().as_u16(), 401);
    }
    assert_eq!(app.tenant_count().await, 0);
}
both_engines!(
    management_api_requires_operator_token,
    operator_token_is_required
);
