//! `/manage/v1/tenants/{id}/clients` over HTTP, on both engines.
use auth_server::domain::client::{verify_secret, Client, ClientId};
use auth_server::domain::tenant::Tenant;
use auth_server::store::clients::ClientStore;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app, TestApp};

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn clients_path(tenant: &Tenant) -> String {
    format!("/manage/v1/tenants/{}/clients", tenant.id)
}

async fn send(app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> Response {
    let req = app.admin(method, path);
    let req = match body {
        Some(b) => req.json(b),
        None => req,
    };
    req.send().await.expect("request sent")
}

async fn json_of(resp: Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    resp.json().await.expect("json body")
}

/// Creates a client; returns its answer (with the secret, if any).
async fn create(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    json_of(
        send(app, Method::POST, &clients_path(tenant), Some(&body)).await,
        201,
    )
    .await
}

fn web_app() -> Value {
    json!({"name": "Web app", "redirect_uris": ["https://app.example/cb"]})
}

async fn stored(app: &TestApp, tenant: &Tenant, client_id: &str) -> Client {
    let id = ClientId::parse(client_id).expect("client id");
    ClientStore::new(app.database.pool.clone())
        .get(tenant.id, &id)
        .await
        .expect("client stored")
}

async fn count(app: &TestApp, tenant: &Tenant) -> i64 {
    ClientStore::new(app.database.pool.clone())
        .count(tenant.id)
        .await
        .expect("count")
}

async fn lifecycle(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let resp = send(&app, Method::POST, &clients_path(&a), Some(&web_app())).await;
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created: Value = resp.json().await.expect("json");
    let id = created["client_id"].as_str().expect("client_id").to_owned();
    let secret = created["client_secret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();
    assert!(id.starts_with("cli_") && id.len() == 26, "{id}");
    assert_eq!(secret.len(), 43);
    assert_eq!(location, format!("{}/{id}", clients_path(&a)));
    assert_eq!(created["kind"], "confidential");
    assert_eq!(
        created["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        created["scopes"],
        json!(["openid", "profile", "email", "offline_access"])
    );
    assert_eq!(created["access_token_lifetime_secs"], 900);
    assert_eq!(created["refresh_token_lifetime_secs"], 30 * 86_400);
    assert_eq!(created["refresh_token_idle_secs"], 7 * 86_400);
    assert_eq!(created["refresh_token_reuse_interval_secs"], 0);
    assert_eq!(created["id_token_alg"], "ES256");
    assert_eq!(created["first_party"], false);
    assert_eq!(created["allowed_resources"], json!([]));
    assert_eq!(created["require_pkce"], true);
    assert_eq!(created["privileges"], json!([]));
    assert_eq!(created["status"], "active");

    // The secret never comes back: not in clear, not as its digest.
    let digest = auth_server::opaque_secret::digest(&secret);
    let got = send(&app, Method::GET, &location, None).await;
    let text = got.text().await.expect("body");
    assert!(!text.contains(&secret) && !text.contains(&digest), "{text}");
    let got: Value = serde_json::from_str(&text).expect("json");
    let mut expected = created.clone();
    if let Some(fields) = expected.as_object_mut() {
        fields.remove("client_secret");
    }
    assert_eq!(got, expected);
    assert!(verify_secret(&stored(&app, &a, &id).await, &secret, now()));

    let spa = create(
        &app,
        &a,
        json!({"name": "SPA", "kind": "public", "redirect_uris": ["http://localhost:3000/cb"],
               "grant_types": ["authorization_code"], "scopes": ["openid"]}),
    )
    .await;
    assert!(
        spa.get("client_secret").is_none(),
        "public clients have no secret"
    );
    assert_eq!(spa["kind"], "public");

    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = json_of(
            send(
                &app,
                Method::GET,
                &format!("{}?limit=1&after={after}", clients_path(&a)),
                None,
            )
            .await,
            200,
        )
        .await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 1);
        for item in items {
            assert!(item.get("client_secret").is_none());
            seen.push(item["client_id"].as_str().expect("id").to_owned());
        }
        match page["next_after"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    seen.sort();
    let mut both = vec![
        id.clone(),
        spa["client_id"].as_str().expect("id").to_owned(),
    ];
    both.sort();
    assert_eq!(seen, both);

    let patch = json!({
        "name": "Web app v2",
        "redirect_uris": ["https://app.example/cb2", "http://127.0.0.1:8080/cb"],
        "post_logout_redirect_uris": ["https://app.example/bye"],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "scopes": ["openid", "orders:read"],
        "cors_origins": ["https://App.Example:443"],
        "access_token_lifetime_secs": 300,
        "refresh_token_lifetime_secs": 86_400,
        "refresh_token_idle_secs": 3_600,
        "refresh_token_reuse_interval_secs": 60,
        "id_token_alg": "RS256",
        "first_party": true,
        "allowed_resources": ["https://api.app.example", "connectauth-billing"],
        "require_pkce": false,
        "privileges": ["introspect:any"],
    });
    let updated = json_of(
        send(&app, Method::PATCH, &location, Some(&patch)).await,
        200,
    )
    .await;
    for key in [
        "name",
        "redirect_uris",
        "post_logout_redirect_uris",
        "grant_types",
        "scopes",
        "access_token_lifetime_secs",
        "refresh_token_lifetime_secs",
        "refresh_token_idle_secs",
        "refresh_token_reuse_interval_secs",
        "id_token_alg",
        "first_party",
        "allowed_resources",
        "require_pkce",
        "privileges",
    ] {
        assert_eq!(updated[key], patch[key], "{key}");
    }
    assert_eq!(
        updated["cors_origins"],
        json!(["https://app.example"]),
        "stored as browsers send it"
    );
    assert_eq!(
        json_of(send(&app, Method::GET, &location, None).await, 200).await,
        updated
    );
    let partial = json_of(
        send(
            &app,
            Method::PATCH,
            &location,
            Some(&json!({"first_party": false})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(partial["first_party"], false);
    assert_eq!(partial["name"], "Web app v2", "other settings untouched");
    assert!(
        verify_secret(&stored(&app, &a, &id).await, &secret, now()),
        "updates keep the secret"
    );

    let disabled = json_of(
        send(&app, Method::POST, &format!("{location}/disable"), None).await,
        200,
    )
    .await;
    assert_eq!(disabled["status"], "disabled");
    assert!(disabled["disabled_at"].is_string());
    assert!(
        !verify_secret(&stored(&app, &a, &id).await, &secret, now()),
        "disabled clients do not authenticate"
    );
}
both_engines!(create_get_list_patch_disable_client, lifecycle);

async fn rotation(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let created = create(&app, &a, web_app()).await;
    let id = created["client_id"].as_str().expect("id").to_owned();
    let old = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let rotate = format!("{}/{id}/rotate-secret", clients_path(&a));

    let resp = send(
        &app,
        Method::POST,
        &rotate,
        Some(&json!({"overlap_secs": 3600})),
    )
    .await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let rotated = json_of(resp, 200).await;
    let new = rotated["client_secret"]
        .as_str()
        .expect("new secret shown once")
        .to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_expires_at"].is_string());
    let client = stored(&app, &a, &id).await;
    assert!(
        verify_secret(&client, &old, now()),
        "old secret valid during the overlap"
    );
    assert!(verify_secret(&client, &new, now()));
    let got = send(
        &app,
        Method::GET,
        &format!("{}/{id}", clients_path(&a)),
        None,
    )
    .await;
    let text = got.text().await.expect("body");
    assert!(!text.contains(&new) && !text.contains(&old));

    // The overlap is over.
    sqlx::query("UPDATE clients SET previous_secret_expires_at = $1 WHERE id = $2")
        .bind(now() - 1)
        .bind(&id)
        .execute(&app.database.pool)
        .await
        .expect("expire the previous secret");
    let client = stored(&app, &a, &id).await;
    assert!(
        !verify_secret(&client, &old, now()),
        "old secret refused after the overlap"
    );
    assert!(verify_secret(&client, &new, now()));

    for bad in [
        json!({"overlap_secs": -1}),
        json!({"overlap_secs": 604_801}),
    ] {
        assert_problem(
            send(&app, Method::POST, &rotate, Some(&bad)).await,
            422,
            "invalid-input",
        )
        .await;
    }
    assert_problem(
        send(&app, Method::POST, &rotate, Some(&json!({"overlap": 1}))).await,
        400,
        "bad-request",
    )
    .await;
    assert!(
        verify_secret(&stored(&app, &a, &id).await, &new, now()),
        "refused rotations change nothing"
    );

    let newest = json_of(
        send(&app, Method::POST, &rotate, Some(&json!({}))).await,
        200,
    )
    .await;
    let newest = newest["client_secret"].as_str().expect("secret").to_owned();
    let client = stored(&app, &a, &id).await;
    assert!(verify_secret(&client, &newest, now()));
    assert!(
        !verify_secret(&client, &new, now()),
        "no overlap by default"
    );

    let spa = create(
        &app,
        &a,
        json!({"name": "SPA", "kind": "public", "redirect_uris": ["https://spa.example/cb"]}),
    )
    .await;
    let spa_rotate = format!(
        "{}/{}/rotate-secret",
        clients_path(&a),
        spa["client_id"].as_str().expect("id")
    );
    let refused = assert_problem(
        send(&app, Method::POST, &spa_rotate, Some(&json!({}))).await,
        409,
        "client-has-no-secret",
    )
    .await;
    assert!(refused["detail"]
        .as_str()
        .is_some_and(|d| d.contains("public client has no secret")));
}
both_engines!(rotate_secret_with_overlap, rotation);

async fn isolation(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let b = app.tenant("tenant-b", json!({})).await;
    let created = create(&app, &a, web_app()).await;
    let id = created["client_id"].as_str().expect("id").to_owned();
    let secret = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let under_b = format!("{}/{id}", clients_path(&b));
    let calls = [
        (Method::GET, under_b.clone(), None),
        (
            Method::PATCH,
            under_b.clone(),
            Some(json!({"name": "stolen"})),
        ),
        (
            Method::POST,
            format!("{under_b}/rotate-secret"),
            Some(json!({})),
        ),
        (Method::POST, format!("{under_b}/disable"), None),
    ];
    for (method, path, body) in calls {
        let resp = send(&app, method.clone(), &path, body.as_ref()).await;
        assert_problem(resp, 404, "client-not-found").await;
    }
    let listed = json_of(send(&app, Method::GET, &clients_path(&b), None).await, 200).await;
    assert_eq!(listed["items"], json!([]));
    let kept = stored(&app, &a, &id).await;
    assert!(!kept.is_disabled());
    assert_eq!(kept.settings.name().as_ref(), "Web app");
    assert!(verify_secret(&kept, &secret, now()), "A's client untouched");

    let fake_tenant = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/manage/v1/tenants/{fake_tenant}/clients"),
        format!("/manage/v1/tenants/{fake_tenant}/clients/{id}"),
        format!("/manage/v1/tenants/not-a-uuid/clients/{id}"),
    ] {
        assert_problem(
            send(&app, Method::GET, &path, None).await,
            404,
            "tenant-not-found",
        )
        .await;
    }
    for bad_id in [
        "cli_AAAAAAAAAAAAAAAAAAAAAA",
        "nope",
        "00000000-0000-4000-8000-000000000000",
    ] {
        let path = format!("{}/{bad_id}", clients_path(&a));
        assert_problem(
            send(&app, Method::GET, &path, None).await,
            404,
            "client-not-found",
        )
        .await;
    }
    let no_token = app
        .client
        .get(app.url(&clients_path(&a)))
        .send()
        .await
        .expect("sent");
    assert_problem(no_token, 401, "unauthorized").await;
    let no_token = app
        .client
        .post(app.url(&format!("{}/{id}/rotate-secret", clients_path(&a))))
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_problem(no_token, 401, "unauthorized").await;
}
both_engines!(clients_are_isolated_per_tenant, isolation);

async fn bad_input(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let with = |extra: Value| {
        let mut body = web_app();
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let refused = [
        (
            with(json!({"redirect_uris": ["http://evil.example/cb"]})),
            "must use https",
        ),
        (
            with(json!({"redirect_uris": ["https://app.example/cb#frag"]})),
            "fragment",
        ),
        (
            with(json!({"redirect_uris": ["https://*.app.example/cb"]})),
            "wildcard",
        ),
        (
            with(json!({"redirect_uris": ["https://u:p@app.example/cb"]})),
            "user name",
        ),
        (with(json!({"redirect_uris": ["/cb"]})), "absolute"),
        (
            with(json!({"redirect_uris": [format!("https://app.example/{}", "a".repeat(2000))]})),
            "2000 bytes",
        ),
        (
            with(json!({"redirect_uris": []})),
            "at least one redirect URI",
        ),
        (
            with(json!({"post_logout_redirect_uris": ["http://evil.example/bye"]})),
            "post_logout_redirect_uris",
        ),
        (
            with(json!({"grant_types": ["implicit"]})),
            "implicit grant is not allowed",
        ),
        (
            with(json!({"grant_types": ["password"]})),
            "password grant is not allowed",
        ),
        (
            with(json!({"grant_types": ["device_code"]})),
            "unknown grant type",
        ),
        (with(json!({"grant_types": []})), "at least one grant"),
        (
            with(json!({"grant_types": ["refresh_token"]})),
            "refresh_token needs authorization_code",
        ),
        (
            with(json!({"kind": "public", "grant_types": ["client_credentials"]})),
            "public client cannot use client_credentials",
        ),
        (with(json!({"kind": "spa"})), "kind must be"),
        (
            with(json!({"allowed_resources": ["https://api.example/#x"]})),
            "allowed_resources",
        ),
        (
            with(json!({"allowed_resources": ["two words"]})),
            "allowed_resources",
        ),
        (
            with(json!({"allowed_resources": [""]})),
            "allowed_resources",
        ),
        (
            with(json!({"allowed_resources": ["r".repeat(513)]})),
            "512 visible ASCII",
        ),
        (
            with(
                json!({"allowed_resources": (0..51).map(|i| format!("r{i}")).collect::<Vec<_>>()}),
            ),
            "allowed_resources: at most 50",
        ),
        (with(json!({"privileges": ["admin"]})), "is not a privilege"),
        (
            with(json!({"kind": "public", "require_pkce": false})),
            "public client must use PKCE",
        ),
        (with(json!({"scopes": ["open id"]})), "scopes"),
        (with(json!({"scopes": ["a\"b"]})), "scopes"),
        (with(json!({"scopes": ["s".repeat(101)]})), "100 characters"),
        (
            with(json!({"scopes": (0..51).map(|i| format!("s{i}")).collect::<Vec<_>>()})),
            "at most 50",
        ),
        (
            with(json!({"cors_origins": ["https://app.example/"]})),
            "no path",
        ),
        (with(json!({"cors_origins": ["*"]})), "wildcard"),
        (
            with(json!({"access_token_lifetime_secs": 59})),
            "access_token_lifetime_secs",
        ),
        (
            with(json!({"access_token_lifetime_secs": 86_401})),
            "access_token_lifetime_secs",
        ),
        (
            with(json!({"refresh_token_lifetime_secs": -5})),
            "refresh_token_lifetime_secs",
        ),
        (
            with(json!({"refresh_token_idle_secs": 31 * 86_400})),
            "refresh_token_idle_secs",
        ),
        (
            with(json!({"refresh_token_reuse_interval_secs": 61})),
            "refresh_token_reuse_interval_secs must be between 0 and 60",
        ),
        (
            with(json!({"refresh_token_reuse_interval_secs": -1})),
            "refresh_token_reuse_interval_secs",
        ),
        (with(json!({"id_token_alg": "none"})), "id_token_alg"),
        (with(json!({"id_token_alg": "HS256"})), "id_token_alg"),
        (with(json!({"name": "  "})), "name"),
        (with(json!({"name": "x".repeat(101)})), "name"),
    ];
    for (body, message) in refused {
        let resp = send(&app, Method::POST, &clients_path(&a), Some(&body)).await;
        let problem = assert_problem(resp, 422, "invalid-input").await;
        let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
        assert!(detail.contains(message), "{body}: {detail}");
    }
    for malformed in [
        json!({"redirect_uris": ["https://app.example/cb"]}),
        with(json!({"client_id": "cli_AAAAAAAAAAAAAAAAAAAAAA"})),
        with(json!({"client_secret": "chosen"})),
        with(json!({"redirect_uris": "https://app.example/cb"})),
        with(json!({"first_party": "yes"})),
        with(json!({"refresh_token_reuse_interval_secs": "30"})),
        with(json!({"refresh_token_reuse_interval_secs": 1.5})),
    ] {
        let resp = send(&app, Method::POST, &clients_path(&a), Some(&malformed)).await;
        assert_problem(resp, 400, "bad-request").await;
    }
    assert_eq!(count(&app, &a).await, 0, "nothing written");

    let created = create(&app, &a, web_app()).await;
    let path = format!(
        "{}/{}",
        clients_path(&a),
        created["client_id"].as_str().expect("id")
    );
    let before = json_of(send(&app, Method::GET, &path, None).await, 200).await;
    for (patch, message) in [
        (
            json!({"redirect_uris": ["http://evil.example/cb"]}),
            "must use https",
        ),
        (json!({"redirect_uris": []}), "at least one redirect URI"),
        (json!({"grant_types": ["implicit"]}), "implicit"),
        (
            json!({"refresh_token_lifetime_secs": 3600}),
            "refresh_token_idle_secs",
        ),
        (json!({"scopes": ["x\\y"]}), "scopes"),
        (
            json!({"refresh_token_reuse_interval_secs": 61}),
            "refresh_token_reuse_interval_secs",
        ),
        (
            json!({"refresh_token_reuse_interval_secs": -5, "name": "Renamed"}),
            "refresh_token_reuse_interval_secs",
        ),
        (json!({"name": ""}), "name"),
        (json!({"allowed_resources": ["a b"]}), "allowed_resources"),
        (json!({"privileges": ["root"]}), "is not a privilege"),
    ] {
        let resp = send(&app, Method::PATCH, &path, Some(&patch)).await;
        let problem = assert_problem(resp, 422, "invalid-input").await;
        let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
        assert!(detail.contains(message), "{patch}: {detail}");
    }
    assert_problem(
        send(&app, Method::PATCH, &path, Some(&json!({"kind": "public"}))).await,
        400,
        "bad-request",
    )
    .await;
    let after = json_of(send(&app, Method::GET, &path, None).await, 200).await;
    assert_eq!(after, before, "refused updates change nothing");
    for limit in ["0", "101"] {
        let resp = send(
            &app,
            Method::GET,
            &format!("{}?limit={limit}", clients_path(&a)),
            None,
        )
        .await;
        assert_problem(resp, 422, "invalid-input").await;
    }
}
both_engines!(bad_input_is_422_and_nothing_written, bad_input);
