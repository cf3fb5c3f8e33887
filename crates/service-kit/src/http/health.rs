//! `/healthz`: the process answers. `/readyz`: and its database does too, so
//! a load balancer stops sending traffic to an instance that lost it.
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sqlx::AnyPool;

use crate::problem::{problem_response, Code};

/// What readiness depends on.
#[derive(Clone)]
pub struct Readiness {
    pub pool: AnyPool,
    pub timeout: Duration,
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    if crate::db::is_ready(&readiness.pool, readiness.timeout).await {
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "status": "ready", "database": "ok" }))
    } else {
        tracing::warn!("readiness check failed: the database does not answer");
        let mut res = problem_response(
            Code::ServiceUnavailable,
            "The database does not answer.",
            Some(5),
        );
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        res
    }
}

pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    problem_response(
        Code::NotFound,
        &format!("No route for {} {}.", req.method(), req.path()),
        None,
    )
}
