//! The actix-web extractor and scope guard, in an app served by
//! `actix_web::test`, against a live (loopback) issuer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{test, web, App, HttpResponse, Responder};
use common::issuer::TestIssuer;
use common::{new_ec_p256, TestKey, AUDIENCE};
use connectauth_verify::actix::{
    AuthenticatedUser, BearerError, BearerErrorKind, RenderBearerError, RequireScopes,
};
use connectauth_verify::{LazyVerifier, Verifier, VerifierConfig};
use serde_json::{json, Value};

async fn whoami(user: AuthenticatedUser) -> impl Responder {
    HttpResponse::Ok().json(json!({
        "sub": user.subject(), "iss": user.issuer(), "tenant": user.tenant(),
        "client_id": user.client_id(), "profile": user.has_scope("profile"),
    }))
}

async fn orders(user: AuthenticatedUser) -> Result<impl Responder, BearerError> {
    user.require_scopes(&["orders:write"])?;
    Ok(HttpResponse::Ok().finish())
}

async fn setup() -> (
    TestIssuer,
    TestKey,
    impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
) {
    let key = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&key]);
    let verifier = Verifier::new(VerifierConfig {
        issuer: issuer.issuer.clone(),
        audience: AUDIENCE.into(),
        realm: Some("orders".into()),
        ..VerifierConfig::default()
    })
    .await
    .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .route("/me", web::get().to(whoami))
            .route("/orders", web::post().to(orders))
            .service(
                web::scope("/admin")
                    .wrap(RequireScopes::new(["admin"]))
                    .route("", web::get().to(whoami)),
            )
            .service(
                web::scope("/reports")
                    .wrap(RequireScopes::new(["orders:read"]))
                    .route("", web::get().to(whoami)),
            ),
    )
    .await;
    (issuer, key, app)
}

fn get(path: &str, authorization: Option<&str>) -> actix_http::Request {
    let mut req = test::TestRequest::get().uri(path);
    if let Some(value) = authorization {
        req = req.insert_header((AUTHORIZATION, value));
    }
    req.to_request()
}

fn challenge(res: &ServiceResponse) -> String {
    res.headers()
        .get(WWW_AUTHENTICATE)
        .expect("WWW-Authenticate")
        .to_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn good_token_reaches_the_handler_with_its_claims() {
    let (issuer, key, app) = setup().await;
    let bearer = format!("Bearer {}", issuer.token(&key));
    let res = test::call_service(&app, get("/me", Some(&bearer))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(
        body,
        json!({"sub": "user-7", "iss": issuer.issuer, "tenant": "tenant-42",
               "client_id": "cli-1", "profile": true})
    );
}

#[actix_web::test]
async fn no_token_is_401_with_a_bare_challenge() {
    let (_issuer, _key, app) = setup().await;
    for authorization in [None, Some("Basic dXNlcjpwYXNz")] {
        let res = test::call_service(&app, get("/me", authorization)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenge(&res), r#"Bearer realm="orders""#);
        let body: Value = test::read_body_json(res).await;
        assert_eq!(body["error"], "unauthorized");
    }
}

#[actix_web::test]
async fn bad_token_is_401_invalid_token() {
    let (issuer, key, app) = setup().await;
    let expired = issuer.token_with(&key, json!({"exp": 1_000_000}));
    let stranger = new_ec_p256("k1");
    for (token, description) in [
        ("not-a-jwt".to_owned(), "The access token is invalid"),
        (issuer.token(&stranger), "The access token is invalid"),
        (expired, "The access token expired"),
    ] {
        let res = test::call_service(&app, get("/me", Some(&format!("Bearer {token}")))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge(&res),
            format!(
                r#"Bearer realm="orders", error="invalid_token", error_description="{description}""#
            )
        );
        let body: Value = test::read_body_json(res).await;
        assert_eq!(
            body,
            json!({"error": "invalid_token", "error_description": description})
        );
    }
}

#[actix_web::test]
async fn malformed_authorization_is_400_invalid_request() {
    let (_issuer, _key, app) = setup().await;
    let res = test::call_service(&app, get("/me", Some("Bearer"))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(challenge(&res).contains(r#"error="invalid_request""#));
}

#[actix_web::test]
async fn missing_scope_is_403_insufficient_scope() {
    let (issuer, key, app) = setup().await;
    let bearer = format!("Bearer {}", issuer.token(&key));
    let req = test::TestRequest::post()
        .uri("/orders")
        .insert_header((AUTHORIZATION, bearer.as_str()))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let value = challenge(&res);
    assert!(value.contains(r#"error="insufficient_scope""#), "{value}");
    assert!(value.contains(r#"scope="orders:write""#), "{value}");
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["error"], "insufficient_scope");

    let writer = issuer.token_with(&key, json!({"scope": "orders:write"}));
    let req = test::TestRequest::post()
        .uri("/orders")
        .insert_header((AUTHORIZATION, format!("Bearer {writer}")))
        .to_request();
    assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn require_scopes_middleware_guards_a_scope() {
    let (issuer, key, app) = setup().await;
    let bearer = format!("Bearer {}", issuer.token(&key));

    let res = test::call_service(&app, get("/admin", Some(&bearer))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&res),
        r#"Bearer realm="orders", error="insufficient_scope", error_description="The access token does not have the required scope", scope="admin""#
    );

    let res = test::call_service(&app, get("/admin", None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&res), r#"Bearer realm="orders""#);

    let res = test::call_service(&app, get("/reports", Some(&bearer))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["sub"], "user-7");
}

#[actix_web::test]
async fn keys_unavailable_is_503_not_500() {
    let (issuer, key, app) = setup().await;
    issuer.set_down(true);
    let bearer = format!("Bearer {}", issuer.token(&key));
    let res = test::call_service(&app, get("/me", Some(&bearer))).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get(WWW_AUTHENTICATE).is_none());
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["error"], "temporarily_unavailable");
}

#[actix_web::test]
async fn missing_verifier_is_a_clear_server_error() {
    let app = test::init_service(App::new().route("/me", web::get().to(whoami))).await;
    let res = test::call_service(&app, get("/me", Some("Bearer x.y.z"))).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// The app's own answer: a plain-text body naming the kind, and the status
/// the app chooses.
fn plain(error: &BearerError) -> HttpResponse {
    let kind = match error.kind() {
        BearerErrorKind::MissingToken => "missing",
        BearerErrorKind::InvalidRequest(_) => "malformed",
        BearerErrorKind::Verify(e) if e.status_code() == 503 => "unavailable",
        BearerErrorKind::Verify(_) => "refused",
        BearerErrorKind::NotConfigured => "unset",
    };
    HttpResponse::build(StatusCode::IM_A_TEAPOT).body(kind)
}

#[actix_web::test]
async fn a_lazy_verifier_waits_for_its_issuer_and_refusals_take_the_apps_format() {
    let key = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&key]);
    issuer.set_down(true);
    let lazy = LazyVerifier::new(VerifierConfig {
        issuer: issuer.issuer.clone(),
        audience: AUDIENCE.into(),
        ..VerifierConfig::default()
    })
    .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(lazy))
            .app_data(RenderBearerError(plain))
            .route("/me", web::get().to(whoami))
            .service(
                web::scope("/admin")
                    .wrap(RequireScopes::new(["admin"]))
                    .route("", web::get().to(whoami)),
            ),
    )
    .await;
    let bearer = format!("Bearer {}", issuer.token(&key));
    let body = |res: ServiceResponse| async move {
        assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
        test::read_body(res).await
    };

    let res = test::call_service(&app, get("/me", Some(&bearer))).await;
    assert_eq!(body(res).await, "unavailable");
    issuer.set_down(false);
    let res = test::call_service(&app, get("/me", Some(&bearer))).await;
    assert_eq!(res.status(), StatusCode::OK);

    for (authorization, kind) in [
        (None, "missing"),
        (Some("Bearer a b"), "malformed"),
        (Some("Bearer x.y.z"), "refused"),
    ] {
        let res = test::call_service(&app, get("/me", authorization)).await;
        assert_eq!(body(res).await, kind);
    }
    let res = test::call_service(&app, get("/admin", Some(&bearer))).await;
    assert_eq!(body(res).await, "refused");
}
