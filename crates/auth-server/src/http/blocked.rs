//! The edges where blocked addresses are refused before any handler runs:
//! a tenant's pages and endpoints (`/t/{slug}/…`), answered 403 in plain
//! text, and the management API (`/manage/v1`), answered 403 as a problem,
//! where the 401s each address gets are also counted for the sentinel's
//! `manage_probe` detector. The client's address is derived as the per-IP
//! limits see it (behind trusted proxies included); the blocks come from
//! memory (`sentinel::Blocklist`), never from the database per request.
use std::net::IpAddr;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use service_kit::http::client_address;
use service_kit::{ApiError, Code};

use crate::state::AppState;

/// What a blocked client reads: short, and the same for every reason.
pub const BLOCKED_BODY: &str =
    "Access from your address is blocked for a while after suspicious activity.\n";

pub async fn refuse_blocked<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let blocked = state_and_ip(&req)
        .and_then(|(state, ip)| state.blocklist.refuses(req.match_info().get("slug"), ip));
    if let Some(retry_after) = blocked {
        let answer = HttpResponse::Forbidden()
            .insert_header((header::RETRY_AFTER, retry_after.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("text/plain; charset=utf-8")
            .body(BLOCKED_BODY);
        return Ok(req.into_response(answer).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The management API's edge: an address the sentinel blocked there is
/// refused (403 `forbidden`, with `Retry-After`), whatever token it sends;
/// every 401 answered is counted for its address.
pub async fn guard_manage<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let caller = state_and_ip(&req);
    if let Some((state, ip)) = &caller {
        if let Some(retry_after) = state.blocklist.refuses_manage(*ip) {
            let wait = u64::try_from(retry_after).unwrap_or(1).max(1);
            let mut answer = ApiError::new(Code::Forbidden, BLOCKED_BODY.trim_end())
                .with_retry_after(wait)
                .error_response();
            answer.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            return Ok(req.into_response(answer).map_into_right_body());
        }
    }
    let answer = next.call(req).await?;
    if answer.status() == StatusCode::UNAUTHORIZED {
        if let Some((state, ip)) = &caller {
            state.manage_probes.record(*ip);
        }
    }
    Ok(answer.map_into_left_body())
}

/// The app's state and the request's client address, when known.
fn state_and_ip(req: &ServiceRequest) -> Option<(web::Data<AppState>, IpAddr)> {
    let state = req.app_data::<web::Data<AppState>>()?.clone();
    let ip = client_address::of_request(req.request(), &state.trusted_proxies)?;
    Some((state, ip))
}
