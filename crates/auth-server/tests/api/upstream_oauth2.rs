//! Sign-in through a plain OAuth 2.0 upstream provider (no ID token),
//! against a GitHub-shaped fake on loopback: `/login/oauth/authorize`
//! (simulated: the test reads the redirect and answers the callback as
//! GitHub would), `/login/oauth/access_token` (client_secret_post, JSON,
//! errors said with a 200 as GitHub does), `/user` (a numeric id, maybe a
//! null email) and `/user/emails`. Acme has the `github` preset pointed at
//! the fake (as a GitHub Enterprise Server would be).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use auth_server::domain::email::Email;
use auth_server::store::users::UserStore;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine as DbEngine;
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app, spawn_app_with, TestApp, PASSWORD};
use crate::oidc::create_client;
use crate::upstream_login::next_of;
use crate::web::Web;

const ACCESS_TOKEN: &str = "gho_fake_access_token";

/// What the fake answers next, and what it was asked last.
struct FakeState {
    token: Value,
    user: Value,
    emails: Value,
    token_form: Option<HashMap<String, String>>,
}

struct FakeGithub {
    base: String,
    state: Arc<Mutex<FakeState>>,
}

impl FakeGithub {
    fn set(&self, change: impl FnOnce(&mut FakeState)) {
        change(&mut self.state.lock().expect("lock"));
    }

    fn token_form(&self) -> HashMap<String, String> {
        self.state
            .lock()
            .expect("lock")
            .token_form
            .clone()
            .expect("the token endpoint was called")
    }
}

fn octocat() -> Value {
    json!({"id": 583231, "login": "octocat", "name": "Mona Lisa", "email": null})
}

fn emails() -> Value {
    json!([
        {"email": "old@example.com", "primary": false, "verified": true, "visibility": null},
        {"email": "mona@example.com", "primary": true, "verified": true, "visibility": "private"},
    ])
}

fn start_fake_github() -> FakeGithub {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

    let state = Arc::new(Mutex::new(FakeState {
        token: json!({"access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": "read:user,user:email"}),
        user: octocat(),
        emails: emails(),
        token_form: None,
    }));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let shared = state.clone();
    let bearer = |req: &HttpRequest| {
        req.headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {ACCESS_TOKEN}"))
    };
    let server = HttpServer::new(move || {
        let (token, user, list) = (shared.clone(), shared.clone(), shared.clone());
        App::new()
            .route(
                "/login/oauth/access_token",
                web::post().to(
                    move |req: HttpRequest, form: web::Form<HashMap<String, String>>| {
                        let token = token.clone();
                        async move {
                            let mut s = token.lock().expect("lock");
                            s.token_form = Some(form.into_inner());
                            let json = req.headers().get("accept").and_then(|v| v.to_str().ok())
                                == Some("application/json");
                            if !json {
                                // GitHub answers form-encoded unless asked for JSON.
                                return HttpResponse::Ok().body("access_token=x&token_type=bearer");
                            }
                            match s.token.get("http_status").and_then(Value::as_u64) {
                                Some(401) => HttpResponse::Unauthorized().json(&s.token),
                                _ => HttpResponse::Ok().json(&s.token),
                            }
                        }
                    },
                ),
            )
            .route(
                "/user",
                web::get().to(move |req: HttpRequest| {
                    let user = user.clone();
                    async move {
                        if !bearer(&req) {
                            return HttpResponse::Unauthorized()
                                .json(json!({"message": "Bad credentials"}));
                        }
                        HttpResponse::Ok().json(&user.lock().expect("lock").user)
                    }
                }),
            )
            .route(
                "/user/emails",
                web::get().to(move |req: HttpRequest| {
                    let list = list.clone();
                    async move {
                        if !bearer(&req) {
                            return HttpResponse::Unauthorized()
                                .json(json!({"message": "Bad credentials"}));
                        }
                        HttpResponse::Ok().json(&list.lock().expect("lock").emails)
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
    FakeGithub { base, state }
}

struct Setup {
    app: TestApp,
    acme: auth_server::domain::tenant::Tenant,
    fake: FakeGithub,
}

/// Acme with the `github` preset on the fake's endpoints.
async fn setup(engine: DbEngine) -> Setup {
    let app = spawn_app_with(engine, &[("AUTH_UPSTREAM_ALLOW_PRIVATE", "true")]).await;
    let acme = app.tenant("acme", json!({})).await;
    let fake = start_fake_github();
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/upstream-providers", acme.id),
        )
        .json(&json!({
            "preset": "github",
            "client_id": "gh-client",
            "client_secret": "gh-s3cret",
            "authorization_url": format!("{}/login/oauth/authorize", fake.base),
            "token_url": format!("{}/login/oauth/access_token", fake.base),
            "userinfo_url": format!("{}/user", fake.base),
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 201);
    let created: Value = resp.json().await.expect("json");
    assert_eq!(created["kind"], "oauth2");
    assert_eq!(created["preset"], "github");
    assert_eq!(created["slug"], "github");
    assert_eq!(created["display_name"], "GitHub");
    assert_eq!(created["scopes"], "read:user user:email");
    assert_eq!(created["token_auth"], "client_secret_post");
    assert_eq!(created["issuer"], Value::Null);
    assert_eq!(created["claim_mapping"]["email"], "email");
    assert!(created.get("client_secret").is_none(), "{created}");
    Setup { app, acme, fake }
}

/// The browser's way to the provider: its authorization URL, parsed.
async fn to_provider(web: &Web, start_path: &str) -> url::Url {
    let start = web.get(start_path).await;
    assert_eq!(start.status, 303, "{}", start.body);
    url::Url::parse(start.location.as_deref().expect("location")).expect("url")
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// GitHub's answer to the browser after the person said yes: back to the
/// redirect URI with the code and the state.
async fn github_says_yes(web: &Web, at: &url::Url) -> crate::web::Page {
    // The public URL of a test server names port 0: the path is what counts.
    let redirect_uri = param(at, "redirect_uri").expect("redirect_uri");
    assert!(
        redirect_uri.ends_with("/t/acme/upstream/callback") && redirect_uri.starts_with("http"),
        "{redirect_uri}"
    );
    let state = param(at, "state").expect("state");
    web.get(&format!(
        "/t/acme/upstream/callback?code=gh-code-1&state={state}"
    ))
    .await
}

async fn linked_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM upstream_identities")
        .fetch_one(&app.database.pool)
        .await
        .expect("count")
}

async fn github_sign_in_makes_the_user_and_the_app_gets_its_code(engine: DbEngine) {
    let Setup { app, acme, fake } = setup(engine).await;
    let client = create_client(&app, &acme.id.to_string(), json!({"first_party": true})).await;
    let (_, challenge) = crate::oidc::pkce();
    let web = app.web();
    // The app sends the browser to acme; acme's login page has the button.
    let to_login = web
        .get(&crate::oidc::authorize_path(
            "acme",
            &client,
            &challenge,
            &[],
        ))
        .await;
    let login = to_login.location.expect("to login");
    let login = login
        .strip_prefix(&app.address)
        .unwrap_or(&login)
        .to_owned();
    let page = web.get(&login).await;
    let button = page
        .between("id=\"upstream-github\" href=\"", "\"")
        .expect("a GitHub button carrying the request")
        .replace("&amp;", "&");
    let button = button
        .strip_prefix(&app.address)
        .unwrap_or(&button)
        .to_owned();

    let at = to_provider(&web, &button).await;
    assert_eq!(
        at.as_str().split('?').next(),
        Some(format!("{}/login/oauth/authorize", fake.base).as_str())
    );
    assert_eq!(param(&at, "client_id").as_deref(), Some("gh-client"));
    assert_eq!(param(&at, "scope").as_deref(), Some("read:user user:email"));
    assert_eq!(param(&at, "response_type").as_deref(), Some("code"));
    assert_eq!(param(&at, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param(&at, "nonce"), None, "no ID token, no nonce");
    let challenge_sent = param(&at, "code_challenge").expect("PKCE");

    let done = github_says_yes(&web, &at).await;
    let resumed = next_of(&done);
    assert!(resumed.starts_with("/t/acme/authorize?"), "{resumed}");
    let code = web.get(&resumed).await;
    let at_app = code.location.expect("to the app");
    assert!(
        at_app.starts_with(crate::oidc::REDIRECT) && at_app.contains("code="),
        "{at_app}"
    );

    // The code was redeemed with the secret in the body and the verifier.
    let form = fake.token_form();
    assert_eq!(
        form.get("grant_type").map(String::as_str),
        Some("authorization_code")
    );
    assert_eq!(form.get("code").map(String::as_str), Some("gh-code-1"));
    assert_eq!(form.get("client_id").map(String::as_str), Some("gh-client"));
    assert_eq!(
        form.get("client_secret").map(String::as_str),
        Some("gh-s3cret")
    );
    let verifier = form.get("code_verifier").expect("verifier");
    assert_eq!(
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        challenge_sent
    );

    // The user: GitHub's primary verified address (its /user said null).
    let users = UserStore::new(app.database.pool.clone());
    let mona = users
        .find_by_email(acme.id, &Email::parse("mona@example.com").expect("email"))
        .await
        .expect("read")
        .expect("mona was made in acme");
    assert!(
        mona.email_verified_at.is_some(),
        "GitHub's list vouches for it"
    );
    assert_eq!(mona.display_name.as_ref(), "Mona Lisa");
    let subject: String = sqlx::query_scalar("SELECT subject FROM upstream_identities")
        .fetch_one(&app.database.pool)
        .await
        .expect("the link");
    assert_eq!(subject, "583231", "the numeric id, as text");

    // The next sign-in (a new browser) finds her by (provider, subject),
    // even with another public address at GitHub now.
    fake.set(|s| s.user["email"] = json!("old@example.com"));
    let web = app.web();
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let done = github_says_yes(&web, &at).await;
    assert_eq!(next_of(&done), "/t/acme/account");
    assert!(web
        .get("/t/acme/account")
        .await
        .contains("mona@example.com"));
    assert_eq!(app.user_count(&acme).await, 1);
    assert_eq!(linked_count(&app).await, 1);
}

both_engines!(
    a_github_sign_in_makes_the_user_finds_them_again_and_the_app_gets_its_code,
    github_sign_in_makes_the_user_and_the_app_gets_its_code
);

async fn refusals_open_no_session_and_link_nothing(engine: DbEngine) {
    let Setup { app, acme, fake } = setup(engine).await;
    let web = app.web();

    // An answer with another state than the attempt's.
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    assert!(param(&at, "state").is_some());
    let forged = web
        .get("/t/acme/upstream/callback?code=gh-code-1&state=forged")
        .await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(
        fake.state.lock().expect("lock").token_form.is_none(),
        "no code redeemed"
    );

    // The token endpoint refuses the code, as GitHub does (a 200 with an
    // error), or with an error status.
    for answer in [
        json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}),
        json!({"http_status": 401, "error": "invalid_client"}),
        json!({"token_type": "bearer"}),
    ] {
        fake.set(|s| s.token = answer.clone());
        let at = to_provider(&web, "/t/acme/upstream/github").await;
        let refused = github_says_yes(&web, &at).await;
        assert_eq!(refused.status, 502, "{answer}: {}", refused.body);
        assert!(web.cookie("ca_session_acme").is_none());
    }
    fake.set(|s| {
        s.token = json!({"access_token": ACCESS_TOKEN, "token_type": "bearer"});
    });

    // A userinfo answer without an id names nobody.
    fake.set(|s| s.user = json!({"login": "octocat", "email": "mona@example.com"}));
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let refused = github_says_yes(&web, &at).await;
    assert_eq!(refused.status, 502, "{}", refused.body);

    // No verified primary address and none public: no account is made.
    fake.set(|s| {
        s.user = octocat();
        s.emails = json!([{"email": "mona@example.com", "primary": true, "verified": false}]);
    });
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let refused = github_says_yes(&web, &at).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(app.user_count(&acme).await, 0);

    // A public address GitHub has not verified, which an acme account
    // has: never linked silently; the person proves the account first.
    app.signup_verified(&app.web(), "acme", "mona@example.com", PASSWORD)
        .await;
    fake.set(|s| {
        s.user["email"] = json!("mona@example.com");
        s.emails = json!([{"email": "mona@example.com", "primary": true, "verified": false}]);
    });
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let refused = github_says_yes(&web, &at).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.contains("already exists"), "{}", refused.body);
    assert!(web.cookie("ca_session_acme").is_none(), "no session");
    assert_eq!(app.user_count(&acme).await, 1);
    assert_eq!(linked_count(&app).await, 0, "never a silent link");

    // She signs in with her password and links GitHub from her account.
    assert_eq!(
        app.login(&web, "acme", "mona@example.com", PASSWORD)
            .await
            .status,
        303
    );
    let start = web.post("/t/acme/upstream/github/link", &[]).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let at = url::Url::parse(start.location.as_deref().expect("location")).expect("url");
    let linked = github_says_yes(&web, &at).await;
    assert_eq!(linked.status, 200, "{}", linked.body);
    assert!(linked.contains("is linked"), "{}", linked.body);
    assert_eq!(linked_count(&app).await, 1);
}

both_engines!(
    oauth2_upstream_refusals_open_no_session_and_link_nothing,
    refusals_open_no_session_and_link_nothing
);

async fn bad_oauth2_settings_are_refused(engine: DbEngine) {
    // Private upstreams are not allowed here: loopback http is refused too.
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    let base = format!("/manage/v1/tenants/{}/upstream-providers", acme.id);
    let good = |changes: Value| {
        let mut body = json!({
            "kind": "oauth2", "slug": "idp", "display_name": "IdP",
            "authorization_url": "https://idp.example/authorize",
            "token_url": "https://idp.example/token",
            "userinfo_url": "https://api.idp.example/me",
            "client_id": "c", "client_secret": "s",
        });
        for (k, v) in changes.as_object().expect("object") {
            if v.is_null() {
                body.as_object_mut().expect("object").remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    for (body, field) in [
        (
            good(json!({"authorization_url": "ftp://idp.example/a"})),
            "authorization_url",
        ),
        (
            good(json!({"token_url": "http://idp.example/token"})),
            "token_url",
        ),
        (
            good(json!({"token_url": "http://127.0.0.1:9/token"})),
            "token_url",
        ),
        (
            good(json!({"userinfo_url": "https://idp.example/me#x"})),
            "userinfo_url",
        ),
        (good(json!({"userinfo_url": null})), "userinfo_url"),
        (good(json!({"issuer": "https://idp.example"})), "issuer"),
        (
            good(json!({"claim_mapping": {"subject": "a.b"}})),
            "subject",
        ),
        (good(json!({"token_auth": "private_key_jwt"})), "token_auth"),
        (good(json!({"kind": "saml"})), "kind"),
        (
            json!({"preset": "microsoft", "issuer": "https://login.microsoftonline.com/common/v2.0", "client_id": "c", "client_secret": "s"}),
            "issuer",
        ),
        (
            json!({"preset": "github", "issuer": "https://github.com", "client_id": "c", "client_secret": "s"}),
            "issuer",
        ),
        (
            json!({"preset": "google", "userinfo_url": "https://idp.example/me", "client_id": "c", "client_secret": "s"}),
            "userinfo_url",
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
    assert_eq!(
        app.admin_json(&base).await["items"],
        json!([]),
        "nothing stored"
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM upstream_providers")
        .fetch_one(&app.database.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0);

    // Good settings: a generic provider with its own field names, Facebook
    // (emails unverified unless the tenant says so), Microsoft by directory.
    let created = app
        .admin(Method::POST, &base)
        .json(&good(
            json!({"claim_mapping": {"subject": "user_id", "email": "mail"}}),
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["claim_mapping"]["subject"], "user_id");
    assert_eq!(created["claim_mapping"]["email"], "mail");
    assert_eq!(created["claim_mapping"]["email_verified"], "email_verified");
    assert_eq!(created["scopes"], "");
    let facebook: Value = app
        .admin(Method::POST, &base)
        .json(&json!({"preset": "facebook", "client_id": "fb", "client_secret": "s"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(facebook["trust_email"], false);
    assert_eq!(
        facebook["userinfo_url"],
        "https://graph.facebook.com/me?fields=id,name,email"
    );
    let issuer = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0";
    let microsoft: Value = app
        .admin(Method::POST, &base)
        .json(&json!({"preset": "microsoft", "issuer": issuer, "client_id": "ms", "client_secret": "s"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(microsoft["kind"], "oidc");
    assert_eq!(microsoft["issuer"], issuer);
    assert_eq!(microsoft["scopes"], "openid email profile");

    // Changes: the kind stays; bad endpoints are refused; nothing changes.
    let before = app.admin_json(&base).await;
    let id = created["id"].as_str().expect("id");
    for (body, field) in [
        (
            json!({"userinfo_url": "http://idp.example/me"}),
            "userinfo_url",
        ),
        (json!({"issuer": "https://idp.example"}), "issuer"),
    ] {
        let resp = app
            .admin(Method::PATCH, &format!("{base}/{id}"))
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
    assert_eq!(app.admin_json(&base).await, before, "nothing changed");
    let trusted: Value = app
        .admin(
            Method::PATCH,
            &format!("{base}/{}", facebook["id"].as_str().expect("id")),
        )
        .json(&json!({"trust_email": true}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(trusted["trust_email"], true);
    assert_eq!(trusted["userinfo_url"], facebook["userinfo_url"]);
}

both_engines!(
    oauth2_provider_settings_are_checked_and_nothing_is_stored_on_a_refusal,
    bad_oauth2_settings_are_refused
);

/// A provider set to keep tokens keeps each sign-in's, sealed; the
/// tenant's backend reads them with `manage:upstream-tokens` only; turning
/// the setting off deletes them.
async fn kept_tokens_are_read_with_their_own_scope(engine: DbEngine) {
    use crate::api_credentials::{credential, owner_of, token, MANAGE};

    let Setup { app, acme, fake } = setup(engine).await;
    let provider = app
        .admin_json(&format!(
            "/manage/v1/tenants/{}/upstream-providers",
            acme.id
        ))
        .await;
    let provider_id = provider["items"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(provider["items"][0]["keep_tokens"], false, "off by default");
    let patch = |keep: bool| {
        app.admin(
            Method::PATCH,
            &format!(
                "/manage/v1/tenants/{}/upstream-providers/{provider_id}",
                acme.id
            ),
        )
        .json(&json!({ "keep_tokens": keep }))
        .send()
    };
    let on: Value = patch(true).await.expect("sent").json().await.expect("json");
    assert_eq!(on["keep_tokens"], true, "{on}");
    fake.set(|s| {
        s.token = json!({
            "access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": "read:user,user:email",
            "refresh_token": "ghr_fake_refresh", "expires_in": 28800,
        })
    });

    let web = app.web();
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let done = github_says_yes(&web, &at).await;
    assert_eq!(next_of(&done), "/t/acme/account");
    let user = UserStore::new(app.database.pool.clone())
        .find_by_email(acme.id, &Email::parse("mona@example.com").expect("email"))
        .await
        .expect("read")
        .expect("mona");
    let sealed: Option<String> =
        sqlx::query_scalar("SELECT tokens_sealed FROM upstream_identities")
            .fetch_one(&app.database.pool)
            .await
            .expect("read");
    let sealed = sealed.expect("kept");
    assert!(!sealed.contains(ACCESS_TOKEN) && !sealed.contains("ghr_fake_refresh"));

    let path = format!(
        "/manage/v1/tenants/{}/users/{}/upstream-tokens",
        acme.id, user.id
    );
    let resp = app.admin(Method::GET, &path).send().await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let kept: Value = resp.json().await.expect("json");
    let item = &kept["items"][0];
    assert_eq!(item["provider"], "github", "{kept}");
    assert_eq!(item["subject"], "583231");
    assert_eq!(item["access_token"], ACCESS_TOKEN);
    assert_eq!(item["refresh_token"], "ghr_fake_refresh");
    assert!(item["expires_at"].as_str().is_some(), "{kept}");
    assert!(item["obtained_at"].as_str().is_some(), "{kept}");

    // A credential of the tenant: only with the scope of its own.
    let owner = owner_of(&app, &acme.id.to_string(), "owner@example.com").await;
    for (scopes, status) in [
        (&["manage:users", "manage:read", "manage:write"][..], 403),
        (&["manage:upstream-tokens"][..], 200),
    ] {
        let cred = credential(&owner, "acme", scopes).await;
        let bearer = token(&app, &cred, Some(MANAGE)).await;
        let resp = app
            .client
            .get(app.url(&path))
            .bearer_auth(&bearer)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status().as_u16(), status, "{scopes:?}");
    }
    // A user the tenant does not have.
    let unknown = app
        .admin(
            Method::GET,
            &format!(
                "/manage/v1/tenants/{}/users/{}/upstream-tokens",
                acme.id,
                uuid::Uuid::new_v4()
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 404);

    // Turned off: what was kept is gone.
    let off: Value = patch(false)
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(off["keep_tokens"], false);
    let kept = app.admin_json(&path).await;
    assert_eq!(kept["items"], json!([]), "{kept}");
    let left: Option<String> = sqlx::query_scalar("SELECT tokens_sealed FROM upstream_identities")
        .fetch_one(&app.database.pool)
        .await
        .expect("read");
    assert!(left.is_none());
}

both_engines!(
    kept_upstream_tokens_are_read_with_their_own_scope_and_go_when_turned_off,
    kept_tokens_are_read_with_their_own_scope
);
