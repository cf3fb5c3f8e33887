//! `/v1/connections`: ask, answer, list and end connections
//! (`service::Connections`). A person sees only their own; anyone else's is
//! a 404, as if it did not exist.
use actix_web::http::header;
use actix_web::{web, HttpResponse};
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

/// The connection id of a path: one nobody's connection can have is none of the caller's.
fn connection_id(path: &str) -> Result<ConnectionId, ServiceError> {
    ConnectionId::parse(path).ok_or(ServiceError::ConnectionNotFound)
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
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_READ])?;
    let connection = state.connections.get(&caller, connection_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(ConnectionView::new(&connection, &caller.person)))
}

pub async fn accept_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    let accepted = state
        .connections
        .accept(&caller, connection_id(&id)?)
        .await?;
    Ok(HttpResponse::Ok().json(ConnectionView::new(&accepted, &caller.person)))
}

pub async fn decline_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    state
        .connections
        .decline(&caller, connection_id(&id)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn delete_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    state
        .connections
        .remove(&caller, connection_id(&id)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
