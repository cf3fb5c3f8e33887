//! The GitHub-shaped fake on loopback: its token endpoint, `/user` and
//! `/user/emails`, answering what the test sets and keeping what it was
//! asked.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

pub(super) const ACCESS_TOKEN: &str = "gho_fake_access_token";

/// What the fake answers next, and what it was asked last.
pub(super) struct FakeState {
    pub(super) token: Value,
    pub(super) user: Value,
    pub(super) emails: Value,
    pub(super) token_form: Option<HashMap<String, String>>,
}

pub(crate) struct FakeGithub {
    pub(super) base: String,
    pub(super) state: Arc<Mutex<FakeState>>,
}

impl FakeGithub {
    pub(super) fn set(&self, change: impl FnOnce(&mut FakeState)) {
        change(&mut self.state.lock().expect("lock"));
    }

    pub(super) fn token_form(&self) -> HashMap<String, String> {
        self.state
            .lock()
            .expect("lock")
            .token_form
            .clone()
            .expect("the token endpoint was called")
    }
}

pub(super) fn octocat() -> Value {
    json!({"id": 583231, "login": "octocat", "name": "Mona Lisa", "email": null})
}

fn emails() -> Value {
    json!([
        {"email": "old@example.com", "primary": false, "verified": true, "visibility": null},
        {"email": "mona@example.com", "primary": true, "verified": true, "visibility": "private"},
    ])
}

pub(super) fn start_fake_github() -> FakeGithub {
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
