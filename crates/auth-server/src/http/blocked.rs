//! The edge of a tenant's pages and endpoints (`/t/{slug}/…`): a request
//! from a blocked address (the client's address as the per-IP limits see
//! it, behind trusted proxies included) is answered 403 before any handler
//! runs. The blocks come from memory (`sentinel::Blocklist`), never from the
//! database per request.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use super::pages::client_ip::client_ip;
use crate::state::AppState;

/// What a blocked client reads: short, and the same for every reason.
pub const BLOCKED_BODY: &str =
    "Access from your address is blocked for a while after suspicious activity.\n";

pub async fn refuse_blocked<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if let Some(retry_after) = blocked_for(&req) {
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

/// Seconds until the block on this request's client ends, if it is blocked.
fn blocked_for(req: &ServiceRequest) -> Option<i64> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let peer = req.peer_addr().map(|a| a.ip());
    let ip = client_ip(peer, &forwarded, &state.trusted_proxies)?;
    state.blocklist.refuses(req.match_info().get("slug"), ip)
}
