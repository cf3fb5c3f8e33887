//! The upstream ID token, against a fake provider that signs what the test
//! says: a wrong nonce, issuer, audience, expiry, key or type is refused;
//! an untyped token relayed by a form post is accepted; an unverified
//! email links nothing and must be proved by mail.
use auth_server::domain::email::Email;
use auth_server::store::users::UserStore;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use super::next_of;
use crate::helpers::PASSWORD;
use crate::web::Web;

/// A provider whose token endpoint answers with an ID token of the claims
/// the test sets next, signed by its own key (service-kit's test key,
/// jsonwebtoken: not the server's JOSE code).
struct FakeProvider {
    base: String,
    next: std::sync::Arc<std::sync::Mutex<Value>>,
    key: std::sync::Arc<service_kit::testing::issuer::TestKey>,
}

fn start_fake_provider() -> FakeProvider {
    use actix_web::{web, App, HttpResponse, HttpServer};
    use service_kit::testing::issuer::TestKey;
    use std::sync::{Arc, Mutex};

    let key = Arc::new(TestKey::generate("fake-1"));
    let next = Arc::new(Mutex::new(json!({})));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (origin, signer, claims) = (base.clone(), key.clone(), next.clone());
    let server = HttpServer::new(move || {
        let (origin, signer, claims) = (origin.clone(), signer.clone(), claims.clone());
        let jwk = signer.jwk.clone();
        App::new()
            .route(
                "/.well-known/openid-configuration",
                web::get().to(move || {
                    let o = origin.clone();
                    async move {
                        HttpResponse::Ok().json(json!({
                            "issuer": o,
                            "authorization_endpoint": format!("{o}/authorize"),
                            "token_endpoint": format!("{o}/token"),
                            "jwks_uri": format!("{o}/jwks"),
                        }))
                    }
                }),
            )
            .route(
                "/jwks",
                web::get().to(move || {
                    let jwk = jwk.clone();
                    async move { HttpResponse::Ok().json(json!({ "keys": [jwk] })) }
                }),
            )
            .route(
                "/token",
                web::post().to(move || {
                    let (signer, claims) = (signer.clone(), claims.clone());
                    async move {
                        let mut claims = claims.lock().expect("lock").clone();
                        // `header_typ`: the token's `typ` (null: none at all).
                        let typ = match claims.as_object_mut().and_then(|c| c.remove("header_typ")) {
                            Some(Value::String(t)) => Some(t),
                            Some(_) => None,
                            None => Some("JWT".to_owned()),
                        };
                        let claims = claims.as_object().expect("object");
                        let token = match claims.get("signed_by_another_key") {
                            Some(_) => TestKey::generate("fake-1").sign_with_typ(claims, typ.as_deref()),
                            None => signer.sign_with_typ(claims, typ.as_deref()),
                        };
                        HttpResponse::Ok().json(
                            json!({"access_token": "opaque", "token_type": "Bearer", "id_token": token}),
                        )
                    }
                }),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    FakeProvider { base, next, key }
}

/// Starts a sign-in at acme's `fake` provider: the attempt's state and nonce.
async fn attempt(web: &Web) -> (String, String) {
    let start = web.get("/t/acme/upstream/fake").await;
    assert_eq!(start.status, 303, "{}", start.body);
    let location = url::Url::parse(start.location.as_deref().expect("location")).expect("url");
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{name} in {location}"))
    };
    (param("state"), param("nonce"))
}

async fn id_tokens_are_checked(engine: Engine) {
    let app =
        crate::helpers::spawn_app_with(engine, &[("AUTH_UPSTREAM_ALLOW_PRIVATE", "true")]).await;
    let acme = app.tenant("acme", json!({})).await;
    let fake = start_fake_provider();
    assert_eq!(fake.key.kid, "fake-1");
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/upstream-providers", acme.id),
        )
        .json(
            &json!({"slug": "fake", "display_name": "Fake", "issuer": fake.base,
                      "client_id": "acme-client", "client_secret": "s3cret"}),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 201);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let claims = |nonce: &str, changes: Value| {
        let mut c = json!({"iss": fake.base, "aud": "acme-client", "sub": "fake-42",
                           "email": "carol@example.com", "email_verified": true,
                           "nonce": nonce, "iat": now, "exp": now + 300});
        for (k, v) in changes.as_object().expect("object") {
            c[k] = v.clone();
        }
        c
    };
    let web = app.web();
    for (changes, why) in [
        (json!({"nonce": "another-attempts-nonce"}), "a wrong nonce"),
        (json!({"iss": "https://evil.example"}), "another issuer"),
        (json!({"aud": "someone-else"}), "another audience"),
        (
            json!({"aud": ["acme-client", "other"], "azp": "other"}),
            "azp naming another client",
        ),
        (
            json!({"exp": now - 3600, "iat": now - 7200}),
            "an expired token",
        ),
        (
            json!({"signed_by_another_key": true}),
            "a signature by another key",
        ),
        (json!({"sub": ""}), "no subject"),
        (json!({"header_typ": "at+jwt"}), "an access token's type"),
    ] {
        let (state, nonce) = attempt(&web).await;
        *fake.next.lock().expect("lock") = claims(&nonce, changes);
        let answer = web
            .get(&format!("/t/acme/upstream/callback?code=c&state={state}"))
            .await;
        assert_eq!(answer.status, 502, "{why}: {}", answer.body);
        assert!(web.cookie("ca_session_acme").is_none(), "{why}: no session");
    }
    assert_eq!(
        app.user_count(&acme).await,
        0,
        "no account from a bad token"
    );

    // An ID token with no `typ` at all (as Apple's come), otherwise good,
    // answered as a form post from the provider's site (Apple's
    // `form_post`): relayed to the callback, accepted, bound by the
    // audience and the nonce.
    let (state, nonce) = attempt(&web).await;
    *fake.next.lock().expect("lock") = claims(
        &nonce,
        json!({"header_typ": null, "sub": "fake-untyped", "email": "untyped@example.com"}),
    );
    let relayed = web
        .post_raw(
            "/t/acme/upstream/callback",
            &[
                ("code", "c"),
                ("state", &state),
                ("user", r#"{"name":{"firstName":"Ann"}}"#),
            ],
        )
        .await;
    assert_eq!(relayed.status, 200, "{}", relayed.body);
    assert!(web.cookie("ca_session_acme").is_none(), "not signed in yet");
    let next = relayed
        .between("content=\"0;url=", "\"")
        .expect("a refresh")
        .replace("&amp;", "&");
    assert_eq!(
        next,
        format!("/t/acme/upstream/callback?code=c&state={state}"),
        "the answer, relayed as it came"
    );
    let answer = web.get(&next).await;
    assert_eq!(next_of(&answer), "/t/acme/account", "{}", answer.body);
    web.post("/t/acme/logout", &[]).await;
    web.remove_cookie("ca_session_acme");

    // A provider's error (the person said no) is told as such.
    let (state, _) = attempt(&web).await;
    let denied = web
        .get(&format!(
            "/t/acme/upstream/callback?error=access_denied&state={state}"
        ))
        .await;
    assert_eq!(denied.status, 400, "{}", denied.body);

    // Unverified at the provider, and an acme account has the address: no link.
    app.signup_verified(&app.web(), "acme", "carol@example.com", PASSWORD)
        .await;
    let (state, nonce) = attempt(&web).await;
    *fake.next.lock().expect("lock") = claims(&nonce, json!({"email_verified": false}));
    let answer = web
        .get(&format!("/t/acme/upstream/callback?code=c&state={state}"))
        .await;
    assert_eq!(answer.status, 409, "{}", answer.body);

    // Unverified and new: the account is made, its address must be proved
    // by mail before a session opens.
    let (state, nonce) = attempt(&web).await;
    *fake.next.lock().expect("lock") = claims(
        &nonce,
        json!({"sub": "fake-43", "email": "dave@example.com", "email_verified": false}),
    );
    let answer = web
        .get(&format!("/t/acme/upstream/callback?code=c&state={state}"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.contains("confirm your address"), "{}", answer.body);
    assert!(web.cookie("ca_session_acme").is_none());
    let dave = UserStore::new(app.database.pool.clone())
        .find_by_email(acme.id, &Email::parse("dave@example.com").expect("email"))
        .await
        .expect("read")
        .expect("dave");
    assert!(dave.email_verified_at.is_none());
    app.mail_to("dave@example.com").await;

    // A good token: a session, and the account's email verified.
    let (state, nonce) = attempt(&web).await;
    *fake.next.lock().expect("lock") = claims(
        &nonce,
        json!({"sub": "fake-44", "email": "erin@example.com", "name": "Erin"}),
    );
    let answer = web
        .get(&format!("/t/acme/upstream/callback?code=c&state={state}"))
        .await;
    assert_eq!(next_of(&answer), "/t/acme/account");
    assert!(web
        .get("/t/acme/account")
        .await
        .contains("erin@example.com"));
}

both_engines!(
    an_upstream_id_token_with_a_wrong_nonce_issuer_audience_expiry_or_key_is_refused,
    id_tokens_are_checked
);
