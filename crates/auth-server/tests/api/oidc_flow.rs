//! The OIDC provider over real HTTP, as a relying party sees it: discovery →
//! authorize (hosted login, consent) → code → token with PKCE → userinfo →
//! refresh rotation → reuse revokes the family → revoke → introspect;
//! client_credentials; end_session.
use connectauth_verify::{KeySet, ValidationConfig, Validator};
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, PASSWORD};
use crate::oidc::{
    authorize, authorize_path, claims, code_flow_with_scope, create_client, header, introspect,
    param, pkce, token, REDIRECT,
};

const OFFLINE_SCOPE: &str = "openid profile email offline_access";
/// [`OFFLINE_SCOPE`] as it appears in a query string.
const OFFLINE: &str = "openid+profile+email+offline_access";

async fn relying_party_journey(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    let email = "alice@example.com";
    app.signup_verified(&web, "acme", email, PASSWORD).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({})).await;

    // Discovery and keys.
    let meta: Value = app
        .client
        .get(app.url("/t/acme/.well-known/openid-configuration"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let issuer = meta["issuer"].as_str().expect("issuer").to_owned();
    assert!(issuer.ends_with("/t/acme"));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert!(meta["id_token_signing_alg_values_supported"]
        .as_array()
        .expect("algs")
        .contains(&json!("RS256")));
    let rfc8414: Value = app
        .client
        .get(app.url("/.well-known/oauth-authorization-server/t/acme"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(rfc8414["issuer"], meta["issuer"]);
    let jwks_resp = app
        .client
        .get(app.url("/t/acme/jwks.json"))
        .send()
        .await
        .expect("sent");
    assert!(jwks_resp.headers()["cache-control"]
        .to_str()
        .expect("ascii")
        .contains("max-age="));
    let jwks = jwks_resp.text().await.expect("jwks");
    assert!(!jwks.contains("\"d\""), "no private members");

    // Authorization code flow with PKCE, through login and consent. A
    // third-party client gets a refresh token only with `offline_access`.
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", &client, &challenge, &[])
            .replace("scope=openid+profile+email", &format!("scope={OFFLINE}")),
        email,
        PASSWORD,
    )
    .await;
    assert_eq!(param(&cb, "state").as_deref(), Some("st-123"));
    assert_eq!(
        param(&cb, "iss").as_deref(),
        Some(issuer.as_str()),
        "RFC 9207"
    );
    let code = param(&cb, "code").expect("code");
    let (status, tokens) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let refresh1 = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let id_token = tokens["id_token"].as_str().expect("id token").to_owned();

    // The access token verifies with the SDK against the published JWKS.
    let keys = KeySet::from_jwks_json(&jwks).expect("jwks");
    let validator = Validator::new(ValidationConfig {
        issuer: issuer.clone(),
        audience: issuer.clone(),
        ..ValidationConfig::default()
    })
    .expect("validator");
    let at = validator
        .validate(&access, &keys)
        .expect("access token is valid");
    assert_eq!(at.client_id.as_deref(), Some(client.id.as_str()));
    assert!(at.scope.contains(&"openid".to_owned()));
    assert_eq!(header(&access)["typ"], "at+jwt");
    assert_eq!(header(&access)["alg"], "ES256");
    let id = claims(&id_token);
    assert_eq!(header(&id_token)["alg"], "ES256");
    assert_eq!(id["aud"], client.id.as_str());
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["email"], email);
    assert!(id["at_hash"].is_string() && id["auth_time"].is_i64());
    assert_eq!(id["sub"], claims(&access)["sub"]);

    // The same code again: refused, and what it produced is revoked.
    let (status, replay) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        introspect(&app, "acme", &client, &access).await["active"],
        false,
        "code replay revoked the access token"
    );
    let (status, _) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh1),
        ],
    )
    .await;
    assert_eq!(status, 400, "and the refresh token");

    // A fresh authorization: consent is remembered, no screen this time.
    let tokens =
        code_flow_with_scope(&app, &web, "acme", &client, email, PASSWORD, OFFLINE_SCOPE).await;
    let access = tokens["access_token"].as_str().expect("at").to_owned();
    let refresh1 = tokens["refresh_token"].as_str().expect("rt").to_owned();

    let info: Value = app
        .client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(info["email"], email);
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["sub"], claims(&access)["sub"]);
    let active = introspect(&app, "acme", &client, &access).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], client.id.as_str());

    // Refresh rotates; by default a spent token presented again revokes the
    // whole family at once (RFC 9700 §4.14.2; `refresh_reuse.rs` has the interval).
    let (status, rotated) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh1),
        ],
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let refresh2 = rotated["refresh_token"].as_str().expect("rt2").to_owned();
    assert_ne!(refresh2, refresh1);
    let (status, reuse) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh1),
        ],
    )
    .await;
    assert_eq!(
        (status, reuse["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh2),
        ],
    )
    .await;
    assert_eq!(status, 400, "the family is revoked");
    let rotated_access = rotated["access_token"].as_str().expect("at2");
    assert_eq!(
        introspect(&app, "acme", &client, rotated_access).await["active"],
        false
    );
    let gone = app
        .client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(rotated_access)
        .send()
        .await
        .expect("sent");
    assert_eq!(gone.status().as_u16(), 401);
    assert!(gone.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .contains("error=\"invalid_token\""));

    // Revocation (RFC 7009) of a refresh token.
    let tokens =
        code_flow_with_scope(&app, &web, "acme", &client, email, PASSWORD, OFFLINE_SCOPE).await;
    let revoke = app
        .client
        .post(app.url("/t/acme/revoke"))
        .header("authorization", crate::oidc::basic(&client))
        .form(&[("token", tokens["refresh_token"].as_str().expect("rt"))])
        .send()
        .await
        .expect("sent");
    assert_eq!(revoke.status().as_u16(), 200);
    assert_eq!(
        introspect(
            &app,
            "acme",
            &client,
            tokens["access_token"].as_str().expect("at")
        )
        .await["active"],
        false
    );

    // client_credentials: the client speaks for itself.
    let (status, cc) = token(
        &app,
        "acme",
        &client,
        &[("grant_type", "client_credentials"), ("scope", "api:read")],
    )
    .await;
    assert_eq!(status, 200, "{cc}");
    assert_eq!(
        claims(cc["access_token"].as_str().expect("at"))["sub"],
        client.id.as_str()
    );
    assert!(cc.get("refresh_token").is_none() && cc.get("id_token").is_none());
    let (status, bad_scope) = token(
        &app,
        "acme",
        &client,
        &[("grant_type", "client_credentials"), ("scope", "openid")],
    )
    .await;
    assert_eq!(
        (status, bad_scope["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    // RP-initiated logout with id_token_hint: back to the registered URI, session gone.
    let bye = web
        .get(&format!(
            "/t/acme/end_session?id_token_hint={}&post_logout_redirect_uri={}&state=bye-1",
            tokens["id_token"].as_str().expect("id token"),
            "https%3A%2F%2Fapp.example%2Fbye"
        ))
        .await;
    assert_eq!(bye.status, 303, "{}", bye.body);
    assert_eq!(
        bye.location.as_deref(),
        Some("https://app.example/bye?state=bye-1")
    );
    assert_eq!(
        web.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login")
    );
    let unregistered = web.get(&format!(
        "/t/acme/end_session?id_token_hint={}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
        tokens["id_token"].as_str().expect("id token")
    )).await;
    assert_eq!(unregistered.status, 400, "no open redirect after logout");
}
both_engines!(oidc_relying_party_journey, relying_party_journey);
