//! Tokens an attacker made or changed, presented where the server checks its
//! own tokens (userinfo, introspection, the logout hint): every one is
//! refused by the one JWT verifier, the verify SDK's, fed from the server's
//! key cache. A genuine token is accepted by the same calls, so a refusal is
//! the forgery's doing; once expired (the server's clock moved), the access
//! token is refused too, while an expired ID token still names the user as
//! a logout hint.
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jws::{JwsHeader, HS256};
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine as DbEngine;

use crate::helpers::{spawn_app_with_clock, TestApp, PASSWORD};
use crate::oidc::{code_flow, create_client, header, introspect, TestClient};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// `token` with its payload replaced, keeping header and signature.
fn with_payload(token: &str, payload: &Value) -> String {
    let mut parts = token.split('.');
    let (h, _, s) = (parts.next(), parts.next(), parts.next());
    format!(
        "{}.{}.{}",
        h.unwrap_or_default(),
        b64(payload),
        s.unwrap_or_default()
    )
}

fn payload(token: &str) -> Value {
    crate::oidc::claims(token)
}

async fn userinfo_status(app: &TestApp, slug: &str, token: &str) -> u16 {
    userinfo(app, slug, token).await.0
}

/// The status and the challenge of userinfo for `token`.
async fn userinfo(app: &TestApp, slug: &str, token: &str) -> (u16, String) {
    let resp = app
        .client
        .get(app.url(&format!("/t/{slug}/userinfo")))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (resp.status().as_u16(), challenge)
}

async fn active(app: &TestApp, client: &TestClient, token: &str) -> bool {
    introspect(app, "acme", client, token).await["active"] == json!(true)
}

async fn forgeries_are_refused(engine: DbEngine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let tenant = app.tenant("acme", json!({})).await;
    app.tenant("beta", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let tokens = code_flow(&app, &web, "acme", &client, "alice@example.com", PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("access token");
    let id_token = tokens["id_token"].as_str().expect("id token");
    assert_eq!(userinfo_status(&app, "acme", access).await, 200);
    assert!(active(&app, &client, access).await);

    let genuine = payload(access);
    let kid = header(access)["kid"].clone();
    let mut forgeries: Vec<(&str, String)> = Vec::new();

    forgeries.push(("no JWS form", "not.a.jwt".to_owned()));
    // Claims changed under the original signature.
    let mut wider = genuine.clone();
    wider["scope"] = json!("openid profile email admin");
    forgeries.push(("a wider scope", with_payload(access, &wider)));
    let mut other_user = genuine.clone();
    other_user["sub"] = json!("usr_someone_else");
    forgeries.push(("changed sub", with_payload(access, &other_user)));
    let mut longer = genuine.clone();
    longer["exp"] = json!(genuine["exp"].as_i64().unwrap_or_default() + 86_400);
    forgeries.push(("extended exp", with_payload(access, &longer)));

    // No signature at all (RFC 8725 §3.1).
    let none = json!({"alg": "none", "typ": "at+jwt", "kid": kid});
    forgeries.push(("alg none", format!("{}.{}.", b64(&none), b64(&genuine))));

    // Algorithm confusion: HS256 with the tenant's public key as the secret.
    let jwks: Value = app
        .client
        .get(app.url("/t/acme/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("jwks");
    let public = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .expect("the token's key is published")
        .to_string();
    let mut hs = JwsHeader::new();
    hs.set_token_type("at+jwt");
    hs.set_key_id(kid.as_str().unwrap_or_default());
    let signer = HS256
        .signer_from_bytes(public.as_bytes())
        .expect("hmac key");
    let payload_map = genuine.as_object().cloned().unwrap_or_default();
    let confused = josekit::jwt::encode_with_signer(
        &josekit::jwt::JwtPayload::from_map(payload_map).expect("payload"),
        &hs,
        &signer,
    )
    .expect("signed");
    forgeries.push(("HS256 with the public key", confused));

    // A key the token names that the tenant never published.
    let mut unknown_kid = header(access);
    unknown_kid["kid"] = json!("not-a-key-of-ours");
    let sig = access.rsplit('.').next().unwrap_or_default();
    forgeries.push((
        "unknown kid",
        format!("{}.{}.{sig}", b64(&unknown_kid), b64(&genuine)),
    ));

    // A genuine token of another type: the ID token is not an access token.
    forgeries.push(("ID token as access token", id_token.to_owned()));

    for (what, forged) in &forgeries {
        assert_eq!(
            userinfo_status(&app, "acme", forged).await,
            401,
            "userinfo accepted a token with {what}"
        );
        assert!(
            !active(&app, &client, forged).await,
            "introspection called a token with {what} active"
        );
    }
    // An ID token is told apart by its type, before its signature.
    let (status, challenge) = userinfo(&app, "acme", id_token).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("another type"), "{challenge}");
    // Acme's genuine token is nobody's at beta.
    assert_eq!(userinfo_status(&app, "beta", access).await, 401);

    // The logout hint: a forged ID token is refused, the genuine one is not.
    let end_session = |hint: &str| {
        app.client
            .get(app.url("/t/acme/end_session"))
            .query(&[("id_token_hint", hint)])
            .send()
    };
    let mut forged_hint = payload(id_token);
    forged_hint["sub"] = json!("usr_someone_else");
    let refused = end_session(&with_payload(id_token, &forged_hint))
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 400, "a forged id_token_hint");
    let accepted = end_session(id_token).await.expect("sent");
    assert_ne!(accepted.status().as_u16(), 400, "the genuine id_token_hint");
    // The server now remembers the ID token as checked, as an ID token: it
    // is still not an access token.
    let (status, challenge) = userinfo(&app, "acme", id_token).await;
    assert_eq!(status, 401, "an ID token remembered from the logout hint");
    assert!(challenge.contains("another type"), "{challenge}");

    // Past their expiry: the access token is refused where it is checked,
    // the ID token still serves as a hint.
    clock.advance(genuine["exp"].as_i64().unwrap_or_default() - clock.now() + 1);
    let (status, challenge) = userinfo(&app, "acme", access).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("expired"), "{challenge}");
    assert!(!active(&app, &client, access).await, "an expired token");
    let expired_hint = end_session(id_token).await.expect("sent");
    assert_ne!(
        expired_hint.status().as_u16(),
        400,
        "an expired id_token_hint"
    );
}
both_engines!(forged_tokens_are_refused, forgeries_are_refused);
