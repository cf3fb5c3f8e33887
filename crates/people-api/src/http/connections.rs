//! `/v1/connections`: ask, answer, list and end connections. A person sees
//! only their own; anyone else's is a 404, as if it did not exist.
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use service_kit::http::json_object::JsonObject;
use service_kit::{ApiError, Code};

use super::caller::authorize;
use super::views::{ConnectionList, ConnectionView};
use crate::domain::connection::{Connection, ConnectionId, ConnectionQuery, ConnectionRuleError};
use crate::domain::person::{Caller, PersonId};
use crate::domain::scope;
use crate::error::HttpError;
use crate::state::AppState;
use crate::store::{now, StoreError};
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

fn not_found() -> ApiError {
    ApiError::new(
        Code::ConnectionNotFound,
        "You have no connection with this id.",
    )
}

/// The caller (with `scope`, known to the People API from now on) and the
/// connection `id`, if they are one of its people.
async fn own_connection(
    user: &AuthenticatedUser,
    state: &AppState,
    scope: &str,
    id: &str,
) -> Result<(Caller, Connection), HttpError> {
    let caller = authorize(user, &[scope])?;
    state.people.ensure(&caller).await?;
    let id = ConnectionId::parse(id).ok_or_else(not_found)?;
    let connection = state
        .connections
        .get_for(&caller, id)
        .await?
        .ok_or_else(not_found)?;
    Ok((caller, connection))
}

pub async fn request_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    body: JsonObject<RequestBody>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    let addressee = PersonId::parse(&body.person_id)?;
    let connection = Connection::request(caller.person.clone(), addressee, now())?;
    state.people.ensure(&caller).await?;
    if state
        .people
        .get(&caller.tenant, &connection.addressee)
        .await?
        .is_none()
    {
        return Err(StoreError::PersonNotFound.into());
    }
    state
        .connections
        .insert(&caller.tenant, &connection)
        .await?;
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
    state.people.ensure(&caller).await?;
    let page = state.connections.list(&caller, &query).await?;
    Ok(HttpResponse::Ok().json(ConnectionList::new(page, &caller.person)))
}

pub async fn get_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let (caller, connection) = own_connection(&user, &state, scope::CONNECTIONS_READ, &id).await?;
    Ok(HttpResponse::Ok().json(ConnectionView::new(&connection, &caller.person)))
}

pub async fn accept_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let (caller, connection) = own_connection(&user, &state, scope::CONNECTIONS_WRITE, &id).await?;
    connection.check_answerable_by(&caller.person)?;
    // The update re-checks the state: of two answers at once, one wins.
    let accepted = state
        .connections
        .accept(&caller, connection.id, now())
        .await?
        .ok_or(ConnectionRuleError::NotPending)?;
    Ok(HttpResponse::Ok().json(ConnectionView::new(&accepted, &caller.person)))
}

/// Declining deletes the request: the requester may ask again later.
pub async fn decline_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let (caller, connection) = own_connection(&user, &state, scope::CONNECTIONS_WRITE, &id).await?;
    connection.check_answerable_by(&caller.person)?;
    if !state.connections.decline(&caller, connection.id).await? {
        return Err(ConnectionRuleError::NotPending.into());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Either person ends a connection, or the requester withdraws a request.
pub async fn delete_connection(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::CONNECTIONS_WRITE])?;
    state.people.ensure(&caller).await?;
    let id = ConnectionId::parse(&id).ok_or_else(not_found)?;
    if !state.connections.delete(&caller, id).await? {
        return Err(not_found().into());
    }
    Ok(HttpResponse::NoContent().finish())
}
