//! The rules behind the browser journeys, over plain HTTP: the page CSP
//! names exactly the validated redirect URI's origin, the typed email code
//! has five tries, and logout asks for confirmation unless the hint is the
//! session's own user.
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::oidc::{authorize, authorize_path, create_client, param, pkce, token, REDIRECT};
use crate::web::Web;

fn csp(page: &crate::web::Page) -> String {
    page.headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test]
async fn the_login_page_admits_exactly_the_validated_redirect_origin() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({})).await;
    let web = app.web();
    let to_login = web
        .get(&authorize_path("acme", &client, &pkce().1, &[]))
        .await;
    let login = web
        .get(to_login.location.as_deref().expect("to the login page"))
        .await;
    assert_eq!(login.status, 200);
    let policy = csp(&login);
    assert!(
        policy.contains("form-action 'self' https://app.example;"),
        "{policy}"
    );
    assert!(!policy.contains('*'), "{policy}");
    assert!(login.contains("/signup?return_to=%2Ft%2Facme%2Fauthorize"));
    assert!(login.contains("/forgot-password?return_to=%2Ft%2Facme%2Fauthorize"));
    assert!(login.contains("lang=fr") && login.contains("return_to=%2Ft%2Facme%2Fauthorize"));

    // Without a request, or with one whose redirect URI is not registered,
    // forms stay on our origin.
    let plain = web.get("/t/acme/login").await;
    assert!(
        csp(&plain).contains("form-action 'self';"),
        "{}",
        csp(&plain)
    );
    let forged = format!(
        "/t/acme/login?return_to={}",
        url::form_urlencoded::byte_serialize(
            format!(
                "/t/acme/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
                client.id
            )
            .as_bytes()
        )
        .collect::<String>()
    );
    let forged = web.get(&forged).await;
    assert_eq!(forged.status, 200);
    assert!(
        csp(&forged).contains("form-action 'self';"),
        "{}",
        csp(&forged)
    );
    assert!(!csp(&forged).contains("evil.example"));
}

/// Signs up `email` and answers the six-digit code of its mail.
async fn signup(app: &TestApp, web: &Web, email: &str) -> String {
    web.get("/t/acme/signup").await;
    let done = web
        .post(
            "/t/acme/signup",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.contains("/verify-email/code"), "{}", done.body);
    // Its "log in" link must not claim the address is confirmed yet.
    assert!(done.contains("/login?login_hint="), "{}", done.body);
    assert!(!done.contains("notice=verified"), "{}", done.body);
    let mail = app.mail_to(email).await;
    let text = mail.text.clone().unwrap_or_default();
    text.split_whitespace()
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

async fn verified(app: &TestApp, email: &str) -> bool {
    app.login(&app.web(), "acme", email, PASSWORD).await.status == 303
}

async fn typed_code_has_five_tries(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();

    let email = "ana@example.com";
    let code = signup(&app, &web, email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let post = |code: String| {
        let web = &web;
        async move {
            web.post(
                "/t/acme/verify-email/code",
                &[("email", email), ("code", &code)],
            )
            .await
        }
    };
    for _ in 0..5 {
        let refused = post(wrong.to_owned()).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.contains("not right or no longer valid"));
    }
    let spent = post(code.clone()).await;
    assert_eq!(spent.status, 422, "the sixth try fails, right or not");
    assert!(!verified(&app, email).await, "nothing was verified");

    // A fresh address: malformed codes cost no try, and the right code
    // verifies it and the login page follows.
    let email = "ben@example.com";
    let code = signup(&app, &web, email).await;
    for malformed in ["12ab56", "1234567", "12345", "abcdef", "0000000"] {
        let refused = web
            .post(
                "/t/acme/verify-email/code",
                &[("email", email), ("code", malformed)],
            )
            .await;
        assert_eq!(refused.status, 422, "{malformed}");
    }
    let ok = web
        .post(
            "/t/acme/verify-email/code",
            &[("email", email), ("code", &code)],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        ok.location.as_deref(),
        Some("/t/acme/login?login_hint=ben%40example.com&notice=verified")
    );
    assert!(verified(&app, email).await);
    let again = web
        .post(
            "/t/acme/verify-email/code",
            &[("email", email), ("code", &code)],
        )
        .await;
    assert_eq!(again.status, 422, "a code works once");

    // Unknown addresses and malformed codes get the same refusal.
    for (email, code) in [
        ("nobody@example.com", "123456"),
        (email, "12ab56"),
        (email, ""),
    ] {
        let refused = web
            .post(
                "/t/acme/verify-email/code",
                &[("email", email), ("code", code)],
            )
            .await;
        assert_eq!(refused.status, 422, "{email} {code}");
    }

    // A user an operator disabled cannot verify their address, right code
    // or not.
    let email = "cleo@example.com";
    let code = signup(&app, &web, email).await;
    let users: Value = app
        .admin(
            reqwest::Method::GET,
            &format!("/manage/v1/tenants/{}/users", tenant.id),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let cleo = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["email"] == email)
        .expect("cleo");
    let disabled = app
        .admin(
            reqwest::Method::POST,
            &format!(
                "/manage/v1/tenants/{}/users/{}/disable",
                tenant.id,
                cleo["id"].as_str().expect("id")
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);
    let refused = web
        .post(
            "/t/acme/verify-email/code",
            &[("email", email), ("code", &code)],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
}
both_engines!(typed_email_code_has_five_tries, typed_code_has_five_tries);

/// `email`'s ID token for `client`, and the browser holding its session.
async fn log_in_to_app(
    app: &TestApp,
    client: &crate::oidc::TestClient,
    email: &str,
) -> (Web, String) {
    let web = app.web();
    app.signup_verified(&web, "acme", email, PASSWORD).await;
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", client, &challenge, &[]),
        email,
        PASSWORD,
    )
    .await;
    let code = param(&cb, "code").expect("code");
    let (status, tokens): (u16, Value) = token(
        app,
        "acme",
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().expect("id token").to_owned();
    (web, id_token)
}

async fn logout_needs_the_sessions_own_hint(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let other = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let (_ana, ana_token) = log_in_to_app(&app, &client, "ana@example.com").await;
    let (ben, _) = log_in_to_app(&app, &client, "ben@example.com").await;
    let bye = "https%3A%2F%2Fapp.example%2Fbye";

    // Ana's hint in Ben's browser: Ben is asked, and stays logged in.
    let asked = ben
        .get(&format!(
            "/t/acme/end_session?id_token_hint={ana_token}&post_logout_redirect_uri={bye}&state=s1"
        ))
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.contains("Do you want to log out?"));
    assert!(asked.contains("name=\"post_logout_redirect_uri\" value=\"https://app.example/bye\""));
    assert!(asked.contains("name=\"state\" value=\"s1\""));
    assert!(
        csp(&asked).contains("form-action 'self' https://app.example;"),
        "{}",
        csp(&asked)
    );
    assert_eq!(
        ben.get("/t/acme/account").await.status,
        200,
        "still logged in"
    );

    // A hint for another client than the one named: refused.
    let mismatch = ben
        .get(&format!(
            "/t/acme/end_session?id_token_hint={ana_token}&client_id={}",
            other.id
        ))
        .await;
    assert_eq!(mismatch.status, 400, "{}", mismatch.body);
    // A malformed client_id is a 400, not a 500.
    let malformed = ben
        .get(&format!(
            "/t/acme/end_session?client_id=%00%01&post_logout_redirect_uri={bye}"
        ))
        .await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    assert_eq!(
        ben.get("/t/acme/account").await.status,
        200,
        "still logged in"
    );

    // Ben confirms: the form's body carries where to go and the state.
    let done = ben
        .post(
            "/t/acme/end_session",
            &[
                ("confirm", "yes"),
                ("client_id", &client.id),
                ("post_logout_redirect_uri", "https://app.example/bye"),
                ("state", "s1"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some("https://app.example/bye?state=s1")
    );
    assert_eq!(
        ben.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login")
    );
}
both_engines!(
    logout_confirms_unless_the_hint_is_the_sessions_user,
    logout_needs_the_sessions_own_hint
);
