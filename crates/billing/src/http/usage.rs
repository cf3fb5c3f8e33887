//! `POST /v1/usage`: the auth server reports users seen logging in or
//! refreshing a token. Idempotent: resending a report counts nobody twice.
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use service_kit::bearer::AuthenticatedUser;

use super::caller::usage_reporter;
use crate::error::HttpError;
use crate::service::{Billing, UsageEvent};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    events: Vec<UsageEvent>,
}

pub async fn report(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    body: web::Json<Report>,
) -> Result<HttpResponse, HttpError> {
    usage_reporter(&user)?;
    let receipt = billing.record_usage(&body.events).await?;
    Ok(HttpResponse::Ok().json(receipt))
}
