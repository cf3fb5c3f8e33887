//! `POST /v1/usage`: the auth server reports users seen logging in or
//! refreshing a token. Idempotent: resending a report counts nobody twice.
use actix_web::{web, HttpResponse};
use connectauth_verify::actix::AuthenticatedUser;
use serde::Deserialize;
use service_kit::http::json_object::JsonObject;
use utoipa::ToSchema;

use super::caller::usage_reporter;
use super::openapi::{JsonBody, Scoped};
use crate::error::HttpError;
use crate::service::{Billing, UsageEvent, UsageReceipt};

/// Users seen, at most 1,000 events.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    #[schema(max_items = 1000)]
    events: Vec<UsageEvent>,
}

/// Report monthly active users
///
/// Each event counts its user once in the UTC month of `at`; an event
/// already counted adds nobody, so a report may be resent. One bad event
/// refuses the whole report (422) and nothing is stored.
#[utoipa::path(
    post,
    path = "/v1/usage",
    tag = "usage",
    request_body = Report,
    security(("platform_token" = ["billing:usage"]), ("platform_token" = ["billing:admin"])),
    responses(
        (status = 200, description = "The report is stored.", body = UsageReceipt),
        Scoped, JsonBody,
    ),
)]
pub async fn report(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    body: JsonObject<Report>,
) -> Result<HttpResponse, HttpError> {
    usage_reporter(&user)?;
    let receipt = billing.record_usage(&body.events).await?;
    Ok(HttpResponse::Ok().json(receipt))
}
