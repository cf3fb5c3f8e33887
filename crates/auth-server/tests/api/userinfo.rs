//! `/t/{slug}/userinfo` as OIDC Core §5.3 and RFC 6750 want it: GET and POST
//! alike, the token in the header or a form body, and the challenges.
use reqwest::{RequestBuilder, Response};
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::oidc::{code_flow, create_client};

const FORM: &str = "application/x-www-form-urlencoded";

/// An app with alice logged in, and an access token of hers for userinfo.
async fn app_with_token(engine: Engine) -> (TestApp, String) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let tokens = code_flow(&app, &web, "acme", &client, "alice@example.com", PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("at").to_owned();
    (app, access)
}

async fn sent(req: RequestBuilder) -> Response {
    req.send().await.expect("sent")
}

fn challenge(resp: &Response) -> String {
    resp.headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn claims_of(resp: Response) -> Value {
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    resp.json().await.expect("json")
}

async fn post_works_like_get(engine: Engine) {
    let (app, access) = app_with_token(engine).await;
    let url = app.url("/t/acme/userinfo");
    let by_get = claims_of(sent(app.client.get(&url).bearer_auth(&access)).await).await;
    assert_eq!(by_get["email"], "alice@example.com");

    let no_body = sent(app.client.post(&url).bearer_auth(&access)).await;
    assert_eq!(claims_of(no_body).await, by_get, "POST, header, no body");
    let empty_form = app
        .client
        .post(&url)
        .bearer_auth(&access)
        .header("content-type", FORM)
        .body("");
    assert_eq!(
        claims_of(sent(empty_form).await).await,
        by_get,
        "POST, header, empty form"
    );
    let in_form = app.client.post(&url).form(&[("access_token", &access)]);
    assert_eq!(
        claims_of(sent(in_form).await).await,
        by_get,
        "POST, token in the form"
    );

    // Both ways at once is a malformed request (RFC 6750 §2).
    let both = sent(
        app.client
            .post(&url)
            .bearer_auth(&access)
            .form(&[("access_token", &access)]),
    )
    .await;
    assert_eq!(both.status().as_u16(), 400);
    assert!(challenge(&both).contains("error=\"invalid_request\""));
}
both_engines!(userinfo_post_works_like_get, post_works_like_get);

async fn challenges(engine: Engine) {
    let (app, _) = app_with_token(engine).await;
    let url = app.url("/t/acme/userinfo");
    let meta: Value = sent(
        app.client
            .get(app.url("/t/acme/.well-known/openid-configuration")),
    )
    .await
    .json()
    .await
    .expect("json");
    let issuer = meta["issuer"].as_str().expect("issuer");
    let bare = format!("Bearer realm=\"{issuer}\"");

    // No credentials at all: a bare challenge, no error code (RFC 6750 §3.1).
    for req in [
        app.client.get(&url),
        app.client.post(&url),
        app.client.post(&url).header("content-type", FORM).body(""),
        app.client.get(&url).basic_auth("someone", Some("pw")),
    ] {
        let resp = sent(req).await;
        assert_eq!(resp.status().as_u16(), 401);
        assert_eq!(challenge(&resp), bare);
        assert!(resp.text().await.expect("body").is_empty(), "no error body");
    }

    // An invalid token: invalid_token, whichever way it came.
    for req in [
        app.client.get(&url).bearer_auth("not.a.jwt"),
        app.client.post(&url).bearer_auth("not.a.jwt"),
        app.client.post(&url).form(&[("access_token", "not.a.jwt")]),
    ] {
        let resp = sent(req).await;
        assert_eq!(resp.status().as_u16(), 401);
        let header = challenge(&resp);
        assert!(
            header.starts_with(&format!("{bare}, error=\"invalid_token\"")),
            "{header}"
        );
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["error"], "invalid_token");
    }
}
both_engines!(userinfo_challenges_follow_rfc_6750, challenges);
