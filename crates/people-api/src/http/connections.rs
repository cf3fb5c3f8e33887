//! `/v1/connections`: ask, answer, list and end connections
//! (`service::Connections`). A person sees only their own; anyone else's is
//! a 404, as if it did not exist.
use actix_web::http::header;
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use service_kit::http::json_object::JsonObject;

use super::caller::authorize;
use super::views::{ConnectionList, ConnectionView};
use crate::domain::connection::{ConnectionId, ConnectionQuery};
use crate::domain::person::PersonId;
use crate::domain::scope;
use crate::error::HttpError;
use crate::service::ServiceError;
use crate::state::AppState;
use connectauth_verify::actix::AuthenticatedUser;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    person_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<u32>,
    after: Option<String>,
}

/// The `{id}` of a `/connections/{id}…` path, parsed: one nobody's
/// connection can have is none of the caller's (404).
pub struct ConnectionPath(ConnectionId);

impl FromRequest for ConnectionPath {
    type Error = HttpError;
    type Future = Ready<Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.match_info()
                .get("id")
                .and_then(ConnectionId::parse)
                .map(ConnectionPath)
                .ok_or_else(|| ServiceError::ConnectionNotFound.into()),
        )
    }
}

pub async fn request_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    body: JsonObject<RequestBody>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    let addressee = PersonId::parse(&body.person_id)?;
    let connection = state.connections.request(&caller, addressee).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/connections/{}", connection.id),
        ))
        .json(ConnectionView::new(&connection, &caller.person)))
}

pub async fn list_connections(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_READ])?;
    let query =
        ConnectionQuery::parse(query.status.as_deref(), query.limit, query.after.as_deref())?;
    let page = state.connections.list(&caller, &query).await?;
    Ok(HttpResponse::Ok().json(ConnectionList::new(page, &caller.person)))
}

pub async fn get_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    ConnectionPath(id): ConnectionPath,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_READ])?;
    let connection = state.connections.get(&caller, id).await?;
    Ok(HttpResponse::Ok().json(ConnectionView::new(&connection, &caller.person)))
}

pub async fn accept_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    ConnectionPath(id): ConnectionPath,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    let accepted = state.connections.accept(&caller, id).await?;
    Ok(HttpResponse::Ok().json(ConnectionView::new(&accepted, &caller.person)))
}

pub async fn decline_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    ConnectionPath(id): ConnectionPath,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    state.connections.decline(&caller, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn delete_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    ConnectionPath(id): ConnectionPath,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    state.connections.remove(&caller, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
