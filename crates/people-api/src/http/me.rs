//! `/v1/me`: the caller's own profile, made on their first call.
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use service_kit::http::json_object::JsonObject;

use super::caller::authorize;
use super::views::PersonView;
use crate::domain::person::Profile;
use crate::domain::scope;
use crate::error::HttpError;
use crate::state::AppState;
use connectauth_verify::actix::AuthenticatedUser;

/// `PUT /v1/me`: the whole profile. Absent or blank `bio`/`location` clear them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    display_name: String,
    bio: Option<String>,
    location: Option<String>,
}

/// The hot path: token check, then one primary-key lookup.
pub async fn get_me(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::PROFILE_READ])?;
    let me = state.profiles.me(&caller).await?;
    Ok(HttpResponse::Ok().json(PersonView::from(me)))
}

pub async fn put_me(
    user: AuthenticatedUser,
    state: web::Data<AppState>,
    body: JsonObject<ProfileBody>,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&user, &[scope::PROFILE_WRITE])?;
    let profile = Profile::parse(
        &body.display_name,
        body.bio.as_deref(),
        body.location.as_deref(),
    )?;
    let me = state.profiles.replace_mine(&caller, &profile).await?;
    Ok(HttpResponse::Ok().json(PersonView::from(me)))
}
