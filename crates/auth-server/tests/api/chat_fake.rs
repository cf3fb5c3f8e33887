//! A fake OpenAI-compatible chat-completions server for the AI analyst's
//! tests: an HTTP server on loopback that records every request (path,
//! `Authorization`, raw body) and answers each with the next scripted
//! behaviour (then the last one again).
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::fake_server;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// How the fake answers one request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 with a chat completion of `text` that used `tokens`.
    Answer { text: String, tokens: i64 },
    /// This status, with an OpenAI-style error body.
    Status(u16),
    /// 200 with a body that is not a chat completion.
    Malformed,
    /// Answers after this long (past the analyst's timeout).
    Slow(Duration),
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub authorization: String,
    pub body: String,
}

impl Request {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Request>,
    script: VecDeque<Behaviour>,
    last: Option<Behaviour>,
}

pub struct ChatFake {
    /// `http://127.0.0.1:<port>/v1`: what `AUTH_AI_BASE_URL` is set to.
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
}

pub fn answer(text: &str, tokens: i64) -> Behaviour {
    Behaviour::Answer {
        text: text.to_owned(),
        tokens,
    }
}

impl ChatFake {
    pub async fn start(script: Vec<Behaviour>) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            script: script.into(),
            ..Inner::default()
        }));
        let port = fake_server::serve(inner.clone(), 2, reply);
        Self {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            inner,
        }
    }

    pub fn received(&self) -> Vec<Request> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .received
            .clone()
    }

    /// Waits up to 10 s for `n` requests in all; what was received.
    pub async fn wait_for(&self, n: usize) -> Vec<Request> {
        fake_server::wait_for(n, || self.received()).await
    }
}

async fn reply(
    req: HttpRequest,
    body: web::Bytes,
    inner: web::Data<Arc<Mutex<Inner>>>,
) -> HttpResponse {
    let behaviour = {
        let mut inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.received.push(Request {
            path: req.path().to_owned(),
            authorization: req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let next = inner.script.pop_front().or_else(|| inner.last.clone());
        inner.last.clone_from(&next);
        next.unwrap_or_else(|| answer("A quiet day.", 10))
    };
    match behaviour {
        Behaviour::Answer { text, tokens } => HttpResponse::Ok().json(json!({
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": tokens - 1, "completion_tokens": 1, "total_tokens": tokens},
        })),
        Behaviour::Status(status) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
        )
        .json(json!({"error": {"message": "the fake failed on purpose"}})),
        Behaviour::Malformed => HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"choices\": \"not a list\""),
        Behaviour::Slow(wait) => {
            tokio::time::sleep(wait).await;
            HttpResponse::Ok().json(json!({
                "choices": [{"message": {"content": "too late"}}],
                "usage": {"total_tokens": 5},
            }))
        }
    }
}
