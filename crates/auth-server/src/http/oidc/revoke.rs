//! `POST /t/{slug}/revoke` (RFC 7009): revokes a refresh or access token of
//! the calling client (`OAuth::revoke_token`). Unknown tokens are not an error.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{cors, IssuerTenant, TokenQuestion};
use crate::error::OAuthError;
use crate::state::AppState;

pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    IssuerTenant(tenant): IssuerTenant,
    form: web::Form<TokenQuestion>,
) -> Result<HttpResponse, OAuthError> {
    let origin = cors::allowed_origin(&state, &tenant, &req).await;
    let client = form.client(&state, &req, &tenant).await?;
    state
        .oauth
        .revoke_token(&tenant, &client, form.token()?)
        .await?;
    let mut res = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    cors::add_origin(&mut res, origin);
    Ok(res)
}
