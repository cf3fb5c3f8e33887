//! Per-client policy at the OAuth endpoints: which resources a client may ask
//! tokens for (RFC 8707), PKCE for every client unless opted out, and which
//! tokens a client may introspect (RFC 7662 §4). On both engines.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app, TestApp, PASSWORD};
use crate::oidc::{
    authorize, authorize_path, callback_params, claims, create_client, introspect, param, pkce,
    token, TestClient, REDIRECT,
};

const ORDERS: &str = "https://orders.acme.example";
const EVIL: &str = "https://evil.example";

/// An app of tenant `acme` (default audience `acme-api`) with a logged-in
/// user, in a browser.
async fn acme(engine: Engine) -> (TestApp, String, crate::web::Web) {
    let app = spawn_app(engine).await;
    let tenant = app
        .tenant("acme", json!({"default_audience": "acme-api"}))
        .await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    app.login(&web, "acme", "alice@example.com", PASSWORD).await;
    (app, tenant.id.to_string(), web)
}

async fn client_credentials(
    app: &TestApp,
    client: &TestClient,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![("grant_type", "client_credentials"), ("scope", "api:read")];
    form.extend_from_slice(extra);
    token(app, "acme", client, &form).await
}

fn aud(access_token: &Value) -> Value {
    claims(access_token.as_str().expect("access token"))["aud"].clone()
}

/// Exchanges the code of a callback (with `verifier`, if any).
async fn exchange(
    app: &TestApp,
    client: &TestClient,
    cb: &[(String, String)],
    verifier: Option<&str>,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let code = param(cb, "code").expect("code");
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    form.extend_from_slice(extra);
    token(app, "acme", client, &form).await
}

async fn resources(engine: Engine) {
    let (app, tenant, web) = acme(engine).await;
    let client = create_client(
        &app,
        &tenant,
        json!({"first_party": true, "allowed_resources": [ORDERS]}),
    )
    .await;
    let plain = create_client(&app, &tenant, json!({})).await;

    // Client credentials: the default audience and the client's own list only.
    let (status, body) = client_credentials(&app, &client, &[("resource", EVIL)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "{body}"
    );
    assert!(body.get("access_token").is_none());
    let (status, body) = client_credentials(&app, &plain, &[("resource", ORDERS)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "another client's resource: {body}"
    );
    for (asked, expected) in [
        (None, "acme-api"),
        (Some("acme-api"), "acme-api"),
        (Some(ORDERS), ORDERS),
    ] {
        let extra: Vec<(&str, &str)> = asked.map(|r| ("resource", r)).into_iter().collect();
        let (status, body) = client_credentials(&app, &client, &extra).await;
        assert_eq!(status, 200, "{asked:?}: {body}");
        assert_eq!(aud(&body["access_token"]), json!([expected]), "{asked:?}");
    }

    // Authorize: once the redirect URI is known, an unallowed resource goes
    // back to the client as invalid_target, with no code.
    let (_, challenge) = pkce();
    let page = web
        .get(&authorize_path(
            "acme",
            &client,
            &challenge,
            &[("resource", EVIL)],
        ))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let cb = callback_params(page.location.as_deref().expect("redirect"));
    assert_eq!(param(&cb, "error").as_deref(), Some("invalid_target"));
    assert_eq!(param(&cb, "state").as_deref(), Some("st-123"));
    assert!(param(&cb, "code").is_none());
    // Before the redirect URI is validated, it is still a page of ours.
    let page = web
        .get(
            &authorize_path("acme", &client, &challenge, &[("resource", EVIL)])
                .replace("app.example%2Fcallback", "evil.example%2Fcallback"),
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());

    // An allowed resource becomes the audience of the code's tokens.
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", &client, &challenge, &[("resource", ORDERS)]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    let (status, tokens) = exchange(&app, &client, &cb, Some(&verifier), &[]).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(aud(&tokens["access_token"])[0], ORDERS);

    // At the token endpoint an unallowed resource is refused for codes too,
    // and the code is not spent by the refusal.
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", &client, &challenge, &[]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    let (status, body) = exchange(&app, &client, &cb, Some(&verifier), &[("resource", EVIL)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target"))
    );
    let (status, body) = exchange(&app, &client, &cb, Some(&verifier), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(aud(&body["access_token"])[0], "acme-api");

    // Taking the resource away stops the tokens already authorized for it.
    let resp = app
        .admin(
            Method::PATCH,
            &format!("/manage/v1/tenants/{tenant}/clients/{}", client.id),
        )
        .json(&json!({"allowed_resources": []}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 200);
    let (status, body) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("rt"),
            ),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "{body}"
    );
}
both_engines!(
    a_client_gets_tokens_only_for_its_allowed_resources,
    resources
);

async fn billing_operator(engine: Engine) {
    let app = spawn_app(engine).await;
    let platform = auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("platform")
        .await
        .expect("platform tenant");
    let operator = |resources: Value| {
        json!({"name": "ops", "grant_types": ["client_credentials"], "redirect_uris": [],
               "scopes": ["billing:admin"], "allowed_resources": resources})
    };
    let ops = create_client(
        &app,
        &platform.id.to_string(),
        operator(json!(["connectauth-billing"])),
    )
    .await;
    let form = [
        ("grant_type", "client_credentials"),
        ("resource", "connectauth-billing"),
        ("scope", "billing:admin"),
    ];
    let (status, body) = token(&app, "platform", &ops, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(aud(&body["access_token"]), json!(["connectauth-billing"]));
    let other = create_client(&app, &platform.id.to_string(), operator(json!([]))).await;
    let (status, body) = token(&app, "platform", &other, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "a platform client without the billing resource: {body}"
    );
}
both_engines!(
    the_billing_operator_client_gets_billing_tokens,
    billing_operator
);

async fn pkce_policy(engine: Engine) {
    let (app, tenant, web) = acme(engine).await;
    let without_pkce = |client: &TestClient| {
        authorize_path("acme", client, "x", &[])
            .replace("&code_challenge=x&code_challenge_method=S256", "")
    };
    // Confidential clients need PKCE by default.
    let client = create_client(&app, &tenant, json!({"first_party": true})).await;
    let page = web.get(&without_pkce(&client)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let cb = callback_params(page.location.as_deref().expect("redirect"));
    assert_eq!(param(&cb, "error").as_deref(), Some("invalid_request"));
    assert!(param(&cb, "error_description").is_some_and(|d| d.contains("PKCE")));
    assert!(param(&cb, "code").is_none());

    // A legacy confidential client opted out may leave it out.
    let legacy = create_client(
        &app,
        &tenant,
        json!({"first_party": true, "require_pkce": false}),
    )
    .await;
    let cb = authorize(&web, &without_pkce(&legacy), "alice@example.com", PASSWORD).await;
    let (status, body) = exchange(&app, &legacy, &cb, None, &[]).await;
    assert_eq!(status, 200, "{body}");

    // The setting shows, and a public client cannot opt out.
    let clients = format!("/manage/v1/tenants/{tenant}/clients");
    let view: Value = app
        .admin(Method::GET, &format!("{clients}/{}", legacy.id))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(view["require_pkce"], false);
    let resp = app
        .admin(Method::POST, &clients)
        .json(
            &json!({"name": "SPA", "kind": "public", "redirect_uris": [REDIRECT],
                      "grant_types": ["authorization_code"], "require_pkce": false}),
        )
        .send()
        .await
        .expect("sent");
    let problem = assert_problem(resp, 422, "invalid-input").await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("public client must use PKCE")));
}
both_engines!(confidential_clients_need_pkce_unless_opted_out, pkce_policy);

async fn public_client_authentication(engine: Engine) {
    let (app, tenant, web) = acme(engine).await;
    let spa = create_client(
        &app,
        &tenant,
        json!({"kind": "public", "first_party": true, "grant_types": ["authorization_code"]}),
    )
    .await;
    assert!(spa.secret.is_none());
    let exchange_as =
        |cb: Vec<(String, String)>, verifier: String, secret: Option<&'static str>| {
            let app = &app;
            let spa = &spa;
            async move {
                let code = param(&cb, "code").expect("code");
                let mut form = vec![
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", verifier.as_str()),
                    ("client_id", spa.id.as_str()),
                ];
                if let Some(secret) = secret {
                    form.push(("client_secret", secret));
                }
                let resp = app
                    .client
                    .post(app.url("/t/acme/token"))
                    .form(&form)
                    .send()
                    .await
                    .expect("sent");
                let status = resp.status().as_u16();
                (status, resp.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
    // A public client (a single-page app) is known by its id alone, with PKCE.
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", &spa, &challenge, &[]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    let (status, body) = exchange_as(cb, verifier, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["id_token"].as_str().expect("id token"))["aud"],
        spa.id
    );
    assert!(body.get("refresh_token").is_none(), "{body}");

    // A public client presenting a secret is not authenticated.
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", &spa, &challenge, &[]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    let (status, body) = exchange_as(cb, verifier, Some("made-up")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );

    // A disabled public client is not authenticated either, even with a
    // code it got before.
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", &spa, &challenge, &[]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    let disabled = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant}/clients/{}/disable", spa.id),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);
    let (status, body) = exchange_as(cb, verifier, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
}
both_engines!(
    public_clients_authenticate_by_id_alone,
    public_client_authentication
);

async fn introspection(engine: Engine) {
    let (app, tenant, web) = acme(engine).await;
    let resource_server = create_client(
        &app,
        &tenant,
        json!({"grant_types": ["client_credentials"], "redirect_uris": [], "scopes": ["api:read"]}),
    )
    .await;
    let app_client = create_client(
        &app,
        &tenant,
        json!({"first_party": true, "allowed_resources": [resource_server.id]}),
    )
    .await;
    let other = create_client(&app, &tenant, json!({})).await;
    let auditor = create_client(&app, &tenant, json!({"privileges": ["introspect:any"]})).await;

    let tokens = crate::oidc::code_flow(
        &app,
        &web,
        "acme",
        &app_client,
        "alice@example.com",
        PASSWORD,
    )
    .await;
    let (status, for_rs) =
        client_credentials(&app, &app_client, &[("resource", &resource_server.id)]).await;
    assert_eq!(status, 200, "{for_rs}");
    let access = tokens["access_token"].as_str().expect("at");
    let refresh = tokens["refresh_token"].as_str().expect("rt");
    let for_rs = for_rs["access_token"].as_str().expect("at");

    let active = |v: Value| v["active"].as_bool();
    for t in [access, refresh, for_rs] {
        assert_eq!(
            active(introspect(&app, "acme", &app_client, t).await),
            Some(true),
            "own token"
        );
        assert_eq!(
            active(introspect(&app, "acme", &auditor, t).await),
            Some(true),
            "introspect:any"
        );
        let hidden = introspect(&app, "acme", &other, t).await;
        assert_eq!(hidden, json!({"active": false}), "another client's token");
    }
    let seen = introspect(&app, "acme", &resource_server, for_rs).await;
    assert_eq!(active(seen.clone()), Some(true), "its audience: {seen}");
    assert_eq!(seen["client_id"], app_client.id.as_str());
    for t in [access, refresh] {
        assert_eq!(
            introspect(&app, "acme", &resource_server, t).await,
            json!({"active": false}),
            "not meant for the resource server"
        );
    }
}
both_engines!(
    introspection_shows_a_client_only_its_tokens_and_those_meant_for_it,
    introspection
);

/// A confidential web app registered without `client_credentials` may not
/// use that grant, even with a correct secret: no token, unauthorized_client.
async fn grants_are_per_client(engine: Engine) {
    let (app, tenant, _) = acme(engine).await;
    let web_app = create_client(
        &app,
        &tenant,
        json!({"grant_types": ["authorization_code", "refresh_token"]}),
    )
    .await;
    let (status, body) = client_credentials(&app, &web_app, &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    assert!(body.get("access_token").is_none());
    let machine = create_client(&app, &tenant, json!({})).await;
    let (status, body) = client_credentials(&app, &machine, &[]).await;
    assert_eq!(
        status, 200,
        "the same request from a client with the grant: {body}"
    );
}
both_engines!(
    a_client_without_the_grant_gets_no_client_credentials_token,
    grants_are_per_client
);
