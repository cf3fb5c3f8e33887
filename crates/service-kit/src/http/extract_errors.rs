//! Extractor failures (bad JSON, wrong content type, oversized bodies, bad
//! query or path values) answered as problem+json instead of actix's text.
use actix_web::error::{
    JsonPayloadError, PathError, PayloadError, QueryPayloadError, UrlencodedError,
};
use actix_web::web;

use crate::problem::{ApiError, Code};

fn payload(e: &PayloadError) -> ApiError {
    match e {
        PayloadError::Overflow => {
            ApiError::new(Code::PayloadTooLarge, "The request body is too large.")
        }
        other => ApiError::new(
            Code::BadRequest,
            format!("The request body could not be read: {other}"),
        ),
    }
}

fn json(e: JsonPayloadError) -> ApiError {
    match e {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::new(
            Code::PayloadTooLarge,
            format!("The JSON body exceeds {limit} bytes."),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            Code::UnsupportedMediaType,
            "Send the body as application/json.",
        ),
        JsonPayloadError::Deserialize(e) => {
            ApiError::new(Code::BadRequest, format!("Invalid JSON: {e}"))
        }
        JsonPayloadError::Payload(e) => payload(&e),
        // A foreign, non-exhaustive enum: anything new is still the client's malformed body.
        other => ApiError::new(Code::BadRequest, format!("Invalid JSON body: {other}")),
    }
}

fn form(e: UrlencodedError) -> ApiError {
    match e {
        UrlencodedError::Overflow { limit, .. } => ApiError::new(
            Code::PayloadTooLarge,
            format!("The form exceeds {limit} bytes."),
        ),
        UrlencodedError::ContentType => ApiError::new(
            Code::UnsupportedMediaType,
            "Send the form as application/x-www-form-urlencoded.",
        ),
        UrlencodedError::Payload(e) => payload(&e),
        other => ApiError::new(Code::BadRequest, format!("Invalid form: {other}")),
    }
}

fn query(e: QueryPayloadError) -> ApiError {
    ApiError::new(Code::BadRequest, format!("Invalid query string: {e}"))
}

fn path(e: PathError) -> ApiError {
    ApiError::new(Code::BadRequest, format!("Invalid path: {e}"))
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|e, _| json(e).into())
}

pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(|e, _| form(e).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| query(e).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|e, _| path(e).into())
}
