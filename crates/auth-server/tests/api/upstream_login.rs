//! Sign-in through an upstream OpenID Connect provider, against a real one:
//! tenant `idp` of the same server (on a known loopback port, with private
//! upstreams allowed) is the provider of tenant `acme`. The round trip goes
//! through idp's authorize and token endpoints, its JWKS and discovery; the
//! first sign-in makes the user, the next finds them by (provider, subject);
//! an email that an acme account already has links nothing; a local user
//! links the provider after proving their password, and unlinks it.
use auth_server::domain::email::Email;
use auth_server::store::users::UserStore;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app_on_known_port_with, TestApp, PASSWORD};
use crate::oidc::create_client;
use crate::web::{Page, Web};

const BOB: &str = "bob@example.com";

struct Federation {
    app: TestApp,
    acme: auth_server::domain::tenant::Tenant,
    provider_id: String,
}

/// `idp` with Bob, a first-party client whose redirect URI is acme's
/// callback, and acme with `idp` as its provider.
async fn federation(engine: Engine) -> Federation {
    let app =
        spawn_app_on_known_port_with(engine, &[("AUTH_UPSTREAM_ALLOW_PRIVATE", "true")]).await;
    let idp = app.tenant("idp", json!({})).await;
    let acme = app.tenant("acme", json!({})).await;
    app.signup_verified(&app.web(), "idp", BOB, PASSWORD).await;
    let client = create_client(
        &app,
        &idp.id.to_string(),
        json!({"first_party": true, "redirect_uris": [app.url("/t/acme/upstream/callback")]}),
    )
    .await;
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/upstream-providers", acme.id),
        )
        .json(&json!({
            "slug": "idp",
            "display_name": "IdP",
            "issuer": app.url("/t/idp"),
            "client_id": client.id,
            "client_secret": client.secret.expect("secret"),
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 201);
    let created: Value = resp.json().await.expect("json");
    assert_eq!(
        created["callback_url"],
        app.url("/t/acme/upstream/callback")
    );
    assert!(
        created.get("client_secret").is_none(),
        "never shown: {created}"
    );
    Federation {
        provider_id: created["id"].as_str().expect("id").to_owned(),
        app,
        acme,
    }
}

/// `location` as a path of the server (every hop stays on it).
fn path_of(app: &TestApp, location: &str) -> String {
    if location.starts_with('/') {
        return location.to_owned();
    }
    location
        .strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{location} leaves the server"))
        .to_owned()
}

/// From the button on acme's login page to acme's callback answer, with
/// Bob logged in at idp in the same browser.
async fn round_trip(app: &TestApp, web: &Web, start: Page) -> Page {
    assert_eq!(start.status, 303, "{}", start.body);
    let to_idp = path_of(app, start.location.as_deref().expect("location"));
    assert!(to_idp.starts_with("/t/idp/authorize?"), "{to_idp}");
    for part in [
        "state=",
        "nonce=",
        "code_challenge=",
        "code_challenge_method=S256",
    ] {
        assert!(to_idp.contains(part), "{part} in {to_idp}");
    }
    let back = web.get(&to_idp).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let callback = path_of(app, back.location.as_deref().expect("location"));
    assert!(
        callback.starts_with("/t/acme/upstream/callback?code="),
        "{callback}"
    );
    web.get(&callback).await
}

/// Where a signed-in answer sends the browser next (a page whose refresh
/// and link go there: see the callback handler).
pub(crate) fn next_of(page: &Page) -> String {
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("http-equiv=\"refresh\""), "{}", page.body);
    page.between("<a href=\"", "\" class=\"button\" id=\"continue\"")
        .expect("a continue link")
        .replace("&amp;", "&")
}

async fn bob_at_idp(app: &TestApp) -> Web {
    let web = app.web();
    let logged = app.login(&web, "idp", BOB, PASSWORD).await;
    assert_eq!(logged.status, 303, "{}", logged.body);
    web
}

async fn first_sign_in_makes_the_user_and_the_next_finds_them(engine: Engine) {
    let Federation { app, acme, .. } = federation(engine).await;
    let web = bob_at_idp(&app).await;
    let login = web.get("/t/acme/login").await;
    assert!(login.contains("id=\"upstream-idp\""), "{}", login.body);

    let done = round_trip(&app, &web, web.get("/t/acme/upstream/idp").await).await;
    assert_eq!(next_of(&done), "/t/acme/account");
    let account = web.get("/t/acme/account").await;
    assert_eq!(account.status, 200);
    assert!(account.contains(BOB), "{}", account.body);
    let users = UserStore::new(app.database.pool.clone());
    let bob = users
        .find_by_email(acme.id, &Email::parse(BOB).expect("email"))
        .await
        .expect("read")
        .expect("bob was made in acme");
    assert!(
        bob.email_verified_at.is_some(),
        "idp said the email is verified"
    );
    assert!(
        bob.password_hash.is_none(),
        "no password: idp is his way in"
    );
    assert!(app
        .audit_kinds(&acme)
        .await
        .contains(&("signup".into(), "success".into())));

    // The next sign-in (a new browser, still Bob at idp) finds him.
    let web = bob_at_idp(&app).await;
    let done = round_trip(&app, &web, web.get("/t/acme/upstream/idp").await).await;
    assert_eq!(next_of(&done), "/t/acme/account");
    assert_eq!(app.user_count(&acme).await, 1);

    // His only way in cannot be unlinked.
    let account = web.get("/t/acme/account").await;
    let provider_unlink = account
        .between("action=\"/t/acme/account/upstream/", "/unlink\"")
        .expect("an unlink form");
    let refused = web
        .post(
            &format!("/t/acme/account/upstream/{provider_unlink}/unlink"),
            &[],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
}

both_engines!(
    an_upstream_sign_in_makes_the_user_then_finds_them_by_subject,
    first_sign_in_makes_the_user_and_the_next_finds_them
);

async fn the_pending_authorization_request_survives(engine: Engine) {
    let Federation { app, acme, .. } = federation(engine).await;
    let client = create_client(&app, &acme.id.to_string(), json!({"first_party": true})).await;
    let (_, challenge) = crate::oidc::pkce();
    let authorize = crate::oidc::authorize_path("acme", &client, &challenge, &[]);
    let web = bob_at_idp(&app).await;
    let to_login = web.get(&authorize).await;
    let login = path_of(&app, to_login.location.as_deref().expect("to login"));
    let page = web.get(&login).await;
    let button = page
        .between("id=\"upstream-idp\" href=\"", "\"")
        .expect("the button carries the request")
        .replace("&amp;", "&");
    assert!(button.contains("return_to="), "{button}");
    let done = round_trip(&app, &web, web.get(&path_of(&app, &app.url(&button))).await).await;
    let resumed = next_of(&done);
    assert!(resumed.starts_with("/t/acme/authorize?"), "{resumed}");
    let code = web.get(&resumed).await;
    let at_app = code.location.expect("to the app");
    assert!(
        at_app.starts_with(crate::oidc::REDIRECT) && at_app.contains("code="),
        "{at_app}"
    );
}

both_engines!(
    an_upstream_sign_in_returns_to_the_pending_authorization_request,
    the_pending_authorization_request_survives
);

async fn refusals_change_nothing(engine: Engine) {
    let Federation {
        app,
        acme,
        provider_id,
    } = federation(engine).await;
    let web = bob_at_idp(&app).await;

    // A callback with another state than the attempt's.
    let start = web.get("/t/acme/upstream/idp").await;
    let to_idp = path_of(&app, start.location.as_deref().expect("location"));
    let back = web.get(&to_idp).await;
    let callback = path_of(&app, back.location.as_deref().expect("location"));
    let state = callback
        .split("state=")
        .nth(1)
        .expect("state")
        .split('&')
        .next()
        .expect("value");
    let forged = callback.replace(state, "forged-state");
    let refused = web.get(&forged).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    // The attempt is spent: the genuine answer afterwards is refused too.
    assert_eq!(web.get(&callback).await.status, 400);
    // A callback with no attempt in this browser at all.
    assert_eq!(app.web().get(&callback).await.status, 400);
    // An unknown provider.
    assert_eq!(web.get("/t/acme/upstream/nope").await.status, 404);
    // A pending request too long for the attempt's cookie: said, not lost.
    let long = format!("/t/acme/authorize?state={}", "x".repeat(3_500));
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", &long)
        .finish();
    let too_long = web.get(&format!("/t/acme/upstream/idp?{query}")).await;
    assert_eq!(too_long.status, 400, "{}", too_long.body);
    assert!(too_long.contains("too long"), "{}", too_long.body);
    assert!(web.cookie("ca_upstream_acme").is_none());
    assert_eq!(app.user_count(&acme).await, 0, "no account was made");

    // An acme account already has Bob's email: nothing is linked.
    app.signup_verified(&app.web(), "acme", BOB, PASSWORD).await;
    let done = round_trip(&app, &web, web.get("/t/acme/upstream/idp").await).await;
    assert_eq!(done.status, 409, "{}", done.body);
    assert!(done.contains("already exists"), "{}", done.body);
    assert!(
        web.cookie("ca_session_acme").is_none(),
        "no session was opened"
    );
    assert_eq!(app.user_count(&acme).await, 1);
    let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM upstream_identities")
        .fetch_one(&app.database.pool)
        .await
        .expect("count");
    assert_eq!(linked, 0, "never a silent link");

    // A provider removed while someone was signing in there: unknown now.
    let start = web.get("/t/acme/upstream/idp").await;
    let back = web
        .get(&path_of(&app, start.location.as_deref().expect("location")))
        .await;
    let callback = path_of(&app, back.location.as_deref().expect("location"));
    let removed = app
        .admin(
            Method::DELETE,
            &format!(
                "/manage/v1/tenants/{}/upstream-providers/{provider_id}",
                acme.id
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(removed.status().as_u16(), 204);
    assert_eq!(web.get(&callback).await.status, 404);
}

both_engines!(
    upstream_refusals_open_no_session_and_link_nothing,
    refusals_change_nothing
);

async fn a_local_user_links_then_unlinks(engine: Engine) {
    let Federation {
        app,
        acme,
        provider_id,
    } = federation(engine).await;
    // Bob has a password account at acme; he proves it, then links idp.
    app.signup_verified(&app.web(), "acme", BOB, PASSWORD).await;
    let web = bob_at_idp(&app).await;
    assert_eq!(app.login(&web, "acme", BOB, PASSWORD).await.status, 303);
    let start = web.post("/t/acme/upstream/idp/link", &[]).await;
    let done = round_trip(&app, &web, start).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.contains("is linked"), "{}", done.body);

    // Logged out of acme, Bob signs in through idp into the same account.
    let users = UserStore::new(app.database.pool.clone());
    let bob = users
        .find_by_email(acme.id, &Email::parse(BOB).expect("email"))
        .await
        .expect("read")
        .expect("bob");
    let fresh = bob_at_idp(&app).await;
    let signed_in = round_trip(&app, &fresh, fresh.get("/t/acme/upstream/idp").await).await;
    assert_eq!(next_of(&signed_in), "/t/acme/account");
    assert_eq!(app.user_count(&acme).await, 1);
    assert!(fresh.get("/t/acme/account").await.contains(BOB));

    // Linking needs the form's CSRF token.
    let no_csrf = web
        .post_raw("/t/acme/upstream/idp/link", &[("csrf", "wrong")])
        .await;
    assert_eq!(no_csrf.status, 403);

    // He has a password: unlinking is allowed, and the link is gone.
    let unlinked = web
        .post(
            &format!("/t/acme/account/upstream/{provider_id}/unlink"),
            &[],
        )
        .await;
    assert_eq!(unlinked.status, 303, "{}", unlinked.body);
    let linked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM upstream_identities WHERE user_id = $1")
            .bind(bob.id.to_string())
            .fetch_one(&app.database.pool)
            .await
            .expect("count");
    assert_eq!(linked, 0);
    let kinds = app.audit_kinds(&acme).await;
    assert!(
        kinds.contains(&("upstream_link".into(), "success".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("upstream_unlink".into(), "success".into())),
        "{kinds:?}"
    );
}

both_engines!(
    a_password_user_links_an_upstream_account_and_unlinks_it,
    a_local_user_links_then_unlinks
);

async fn bad_settings_are_refused(engine: Engine) {
    let Federation {
        app,
        acme,
        provider_id,
    } = federation(engine).await;
    let base = format!("/manage/v1/tenants/{}/upstream-providers", acme.id);
    let before = app.admin_json(&base).await;
    for (body, field) in [
        (
            json!({"slug": "Bad Slug", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}),
            "slug",
        ),
        (
            json!({"slug": "x2", "issuer": "ftp://idp.example", "client_id": "c", "client_secret": "s"}),
            "issuer",
        ),
        (
            json!({"slug": "x2", "issuer": "http://idp.example", "client_id": "c", "client_secret": "s"}),
            "issuer",
        ),
        (
            json!({"slug": "x2", "display_name": "X", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s", "scopes": "email"}),
            "scopes",
        ),
        (
            json!({"preset": "myspace", "client_id": "c", "client_secret": "s"}),
            "preset",
        ),
        (
            json!({"preset": "google", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}),
            "preset",
        ),
        (
            json!({"slug": "x2", "display_name": "X", "issuer": "https://idp.example", "client_id": "c", "client_secret": ""}),
            "client_secret",
        ),
    ] {
        let resp = app
            .admin(Method::POST, &base)
            .json(&body)
            .send()
            .await
            .expect("sent");
        let problem = crate::helpers::assert_problem(resp, 422, "invalid-input").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{field}: {problem}"
        );
    }
    let taken = app
        .admin(Method::POST, &base)
        .json(&json!({"slug": "idp", "display_name": "Again", "issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}))
        .send()
        .await
        .expect("sent");
    crate::helpers::assert_problem(taken, 409, "provider-slug-taken").await;
    let bad_patch = app
        .admin(Method::PATCH, &format!("{base}/{provider_id}"))
        .json(&json!({"issuer": "not a url"}))
        .send()
        .await
        .expect("sent");
    crate::helpers::assert_problem(bad_patch, 422, "invalid-input").await;
    assert_eq!(app.admin_json(&base).await, before, "nothing changed");

    // A preset fills the issuer, slug and name; turning it off hides its button.
    let google = app
        .admin(Method::POST, &base)
        .json(&json!({"preset": "google", "client_id": "g.apps.googleusercontent.com", "client_secret": "s"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(google.status().as_u16(), 201);
    let google: Value = google.json().await.expect("json");
    assert_eq!(google["issuer"], "https://accounts.google.com");
    assert_eq!(google["slug"], "google");
    assert_eq!(google["scopes"], "openid email profile");
    assert!(app
        .web()
        .get("/t/acme/login")
        .await
        .contains("id=\"upstream-google\""));
    let off = app
        .admin(
            Method::PATCH,
            &format!("{base}/{}", google["id"].as_str().expect("id")),
        )
        .json(&json!({"enabled": false}))
        .send()
        .await
        .expect("sent");
    assert_eq!(off.status().as_u16(), 200);
    assert!(!app
        .web()
        .get("/t/acme/login")
        .await
        .contains("id=\"upstream-google\""));
    let gone = app
        .admin(
            Method::DELETE,
            &format!("{base}/{}", google["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(gone.status().as_u16(), 204);

    // Sign in with Apple: its issuer, and the name asked for (Apple answers
    // with a form post, relayed by the callback).
    let apple = app
        .admin(Method::POST, &base)
        .json(&json!({"preset": "apple", "client_id": "com.example.web", "client_secret": "eyJ.apple.jwt"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(apple.status().as_u16(), 201);
    let apple: Value = apple.json().await.expect("json");
    assert_eq!(apple["issuer"], "https://appleid.apple.com");
    assert_eq!(apple["kind"], "oidc");
    assert_eq!(apple["display_name"], "Apple");
    assert_eq!(apple["scopes"], "openid email name");
    let gone = app
        .admin(
            Method::DELETE,
            &format!("{base}/{}", apple["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(gone.status().as_u16(), 204);
    assert_eq!(app.admin_json(&base).await, before);
}

both_engines!(
    upstream_provider_settings_are_checked_and_nothing_changes_on_a_refusal,
    bad_settings_are_refused
);

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

/// A federated user with a passkey may unlink the provider (the passkey is
/// a way in), and then has passkeys only: the last one cannot be deleted.
async fn a_passkey_is_a_way_in_too(engine: Engine) {
    use auth_server::domain::passkey::PasskeyName;
    use auth_server::store::passkeys::{NewPasskey, PasskeyStore};

    let Federation { app, acme, .. } = federation(engine).await;
    let web = bob_at_idp(&app).await;
    round_trip(&app, &web, web.get("/t/acme/upstream/idp").await).await;
    let bob = UserStore::new(app.database.pool.clone())
        .find_by_email(acme.id, &Email::parse(BOB).expect("email"))
        .await
        .expect("read")
        .expect("bob");
    // A stored passkey (its credential is never read by these rules).
    let passkey_id = uuid::Uuid::new_v4().to_string();
    PasskeyStore::new(app.database.pool.clone())
        .create(NewPasskey {
            id: &passkey_id,
            tenant: acme.id,
            user: bob.id,
            credential_id: "Y3JlZGVudGlhbA",
            name: &PasskeyName::parse("Phone").expect("name"),
            credential: "{}",
            sign_count: 0,
            backup_eligible: true,
            backup_state: true,
            now: 1_700_000_000,
        })
        .await
        .expect("passkey stored");

    let account = web.get("/t/acme/account").await;
    let provider = account
        .between("action=\"/t/acme/account/upstream/", "/unlink\"")
        .expect("an unlink form");
    let unlinked = web
        .post(&format!("/t/acme/account/upstream/{provider}/unlink"), &[])
        .await;
    assert!(unlinked.status < 400, "{}", unlinked.body);
    assert!(!web.get("/t/acme/account").await.contains("/unlink\""));

    let refused = web
        .post(
            &format!("/t/acme/account/passkeys/{passkey_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.contains("only way to sign in"), "{}", refused.body);
    let left = PasskeyStore::new(app.database.pool.clone())
        .list(acme.id, bob.id)
        .await
        .expect("list");
    assert_eq!(left.len(), 1, "the last passkey stays");
}

both_engines!(
    a_federated_user_with_a_passkey_may_unlink_and_keeps_the_last_passkey,
    a_passkey_is_a_way_in_too
);
