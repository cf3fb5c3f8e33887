//! Helpers for OAuth/OIDC tests: clients, PKCE, the browser part of the
//! authorization code flow, token requests.
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;
use crate::web::Web;

pub const REDIRECT: &str = "https://app.example/callback";

pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
}

/// A client through the management API; `extra` overrides the defaults.
pub async fn create_client(app: &TestApp, tenant_id: &str, extra: Value) -> TestClient {
    let mut body = json!({
        "name": "Acme App",
        "kind": "confidential",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": ["https://app.example/bye"],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "scopes": ["openid", "profile", "email", "offline_access", "api:read"],
        "cors_origins": ["https://app.example"],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant_id}/clients"),
        )
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.status().as_u16(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let created: Value = resp.json().await.expect("json");
    TestClient {
        id: created["client_id"].as_str().expect("client_id").to_owned(),
        secret: created["client_secret"].as_str().map(str::to_owned),
    }
}

pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(service_kit::secret::random_bytes(32).expect("csprng"));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn authorize_path(
    slug: &str,
    client: &TestClient,
    challenge: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid profile email")
        .append_pair("state", "st-123")
        .append_pair("nonce", "n-456")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("/t/{slug}/authorize?{}", q.finish())
}

/// Query parameters of a redirect back to the client.
pub fn callback_params(location: &str) -> Vec<(String, String)> {
    assert!(location.starts_with(REDIRECT), "redirected to {location}");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

pub fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// Follows the authorize request through login (and consent when asked) to
/// the redirect back to the client; returns its query parameters.
pub async fn authorize(
    web: &Web,
    path: &str,
    email: &str,
    password: &str,
) -> Vec<(String, String)> {
    let mut page = web.get(path).await;
    if page
        .location
        .as_deref()
        .is_some_and(|l| l.contains("/login?"))
    {
        let login_path = page.location.clone().expect("login location");
        let login = web.get(&login_path).await;
        let return_to = login
            .between("name=\"return_to\" value=\"", "\"")
            .expect("return_to field")
            .replace("&amp;", "&");
        let slug = path.split('/').nth(2).expect("slug");
        page = web
            .post(
                &format!("/t/{slug}/login"),
                &[
                    ("email", email),
                    ("password", password),
                    ("return_to", &return_to),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        page = web
            .get(page.location.as_deref().expect("back to authorize"))
            .await;
    }
    if page.status == 200 && page.contains("name=\"authz\"") {
        let authz = page
            .between("name=\"authz\" value=\"", "\"")
            .expect("authz")
            .replace("&amp;", "&");
        let slug = path.split('/').nth(2).expect("slug");
        page = web
            .post(
                &format!("/t/{slug}/authorize/consent"),
                &[("authz", &authz), ("decision", "allow")],
            )
            .await;
    }
    assert_eq!(page.status, 303, "{}", page.body);
    callback_params(page.location.as_deref().expect("redirect"))
}

pub fn basic(client: &TestClient) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            client.id,
            client.secret.clone().unwrap_or_default()
        ))
    )
}

/// POST /token with Basic client authentication.
pub async fn token(
    app: &TestApp,
    slug: &str,
    client: &TestClient,
    form: &[(&str, &str)],
) -> (u16, Value) {
    token_via(app, slug, client, None, form).await
}

/// A token request, through a proxy that forwards for `forwarded_for` when
/// given: status and body.
pub async fn token_via(
    app: &TestApp,
    slug: &str,
    client: &TestClient,
    forwarded_for: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/t/{slug}/token")))
        .header("authorization", basic(client));
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    let resp = request.form(form).send().await.expect("sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub async fn introspect(app: &TestApp, slug: &str, client: &TestClient, token: &str) -> Value {
    app.client
        .post(app.url(&format!("/t/{slug}/introspect")))
        .header("authorization", basic(client))
        .form(&[("token", token)])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

/// The claims of a JWT, without checking it (the test checks them itself).
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

pub fn header(jwt: &str) -> Value {
    let h = jwt.split('.').next().expect("header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).expect("base64url")).expect("json")
}

/// A whole authorization code flow (login and consent as needed, PKCE, token
/// exchange) for `email`, asking for `openid profile email`; the token response.
pub async fn code_flow(
    app: &TestApp,
    web: &Web,
    slug: &str,
    client: &TestClient,
    email: &str,
    password: &str,
) -> Value {
    code_flow_with_scope(
        app,
        web,
        slug,
        client,
        email,
        password,
        "openid profile email",
    )
    .await
}

/// [`code_flow`] asking for `scope`.
pub async fn code_flow_with_scope(
    app: &TestApp,
    web: &Web,
    slug: &str,
    client: &TestClient,
    email: &str,
    password: &str,
    scope: &str,
) -> Value {
    let (verifier, challenge) = pkce();
    let scope: String = url::form_urlencoded::byte_serialize(scope.as_bytes()).collect();
    let path = authorize_path(slug, client, &challenge, &[])
        .replace("scope=openid+profile+email", &format!("scope={scope}"));
    let cb = authorize(web, &path, email, password).await;
    let (status, tokens) = token(
        app,
        slug,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&cb, "code").expect("code")),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// A fresh code of tenant `acme` for `client`, `email` logged in (with
/// [`PASSWORD`](crate::helpers::PASSWORD)), and its PKCE verifier.
pub async fn acme_code(web: &Web, client: &TestClient, email: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let callback = authorize(
        web,
        &authorize_path("acme", client, &challenge, &[]),
        email,
        crate::helpers::PASSWORD,
    )
    .await;
    (param(&callback, "code").expect("code"), verifier)
}

/// Exchanges an `acme` code with its verifier (see [`acme_code`]).
pub async fn exchange_acme_code(
    app: &TestApp,
    client: &TestClient,
    (code, verifier): &(String, String),
) -> (u16, Value) {
    token(
        app,
        "acme",
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}
