//! `GET /v1/people/{id}`: another person's profile, within the caller's tenant.
use actix_web::{web, HttpResponse};
use service_kit::{ApiError, Code};

use super::caller::authorize;
use super::views::PersonView;
use crate::domain::person::PersonId;
use crate::domain::scope;
use crate::error::HttpError;
use crate::state::AppState;
use connectauth_verify::actix::AuthenticatedUser;

pub async fn get_person(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::PROFILE_READ])?;
    state.people.ensure(&caller).await?;
    let not_found = || ApiError::new(Code::PersonNotFound, "No person has this id.");
    let id = PersonId::parse(&id).map_err(|_| not_found())?;
    let person = state
        .people
        .get(&caller.tenant, &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(PersonView::from(person)))
}
