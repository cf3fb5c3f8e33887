//! `POST /t/{slug}/introspect` (RFC 7662), for the tenant's confidential
//! clients: whether a token is live, and what it says. A client sees only
//! the tokens issued to it and those whose `aud` names its client id (it is
//! their resource server), unless it holds the `introspect:any` privilege;
//! any other token answers `{"active": false}` (RFC 7662 §4).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{IssuerTenant, TokenQuestion};
use crate::error::OAuthError;
use crate::state::AppState;

pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    IssuerTenant(tenant): IssuerTenant,
    form: web::Form<TokenQuestion>,
) -> Result<HttpResponse, OAuthError> {
    let client = form.client(&state, &req, &tenant).await?;
    let body = state
        .oauth
        .introspect(&tenant, &client, form.token()?)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}
