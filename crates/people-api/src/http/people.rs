//! `GET /v1/people/{id}`: another person's profile, within the caller's tenant.
use actix_web::{web, HttpResponse};

use super::caller::authorize;
use super::views::PersonView;
use crate::domain::person::PersonId;
use crate::domain::scope;
use crate::error::HttpError;
use crate::service::ServiceError;
use crate::state::AppState;
use connectauth_verify::actix::AuthenticatedUser;

pub async fn get_person(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::PROFILE_READ])?;
    // An id nobody can have names nobody.
    let id = PersonId::parse(&id).map_err(|_| ServiceError::PersonNotFound)?;
    let person = state.profiles.person(&caller, &id).await?;
    Ok(HttpResponse::Ok().json(PersonView::from(person)))
}
