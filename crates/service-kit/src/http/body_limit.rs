//! Refuses a body over the limit before any handler runs, when its length is
//! declared; extractor configs (see `server.rs`) catch chunked bodies.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error};

use crate::config::{HttpSettings, DEFAULT_BODY_LIMIT};
use crate::problem::{problem_response, Code};

pub async fn enforce<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let limit = req
        .app_data::<web::Data<HttpSettings>>()
        .map_or(DEFAULT_BODY_LIMIT, |s| s.body_limit);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        let detail = format!("The request body exceeds the limit of {limit} bytes.");
        let res = problem_response(Code::PayloadTooLarge, &detail, None);
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
