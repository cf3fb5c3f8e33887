//! From a valid token to a [`Caller`]: which person of which tenant, and
//! whether the token lets them do what the route does.
use connectauth_verify::{BearerChallenge, Claims, ErrorCode};

use crate::domain::person::{Caller, PersonId, TenantId};
use crate::error::{not_a_person, HttpError};
use connectauth_verify::actix::AuthenticatedUser;

/// The caller, if the token speaks for a person and carries `scopes`.
pub fn authorize(user: &AuthenticatedUser, scopes: &[&str]) -> Result<Caller, HttpError> {
    let caller = identify(&user.claims)?;
    user.require_scopes(scopes)?;
    Ok(caller)
}

/// A person's token has their `sub` and their tenant's `tid`. A
/// client-credentials token (`sub` = `client_id`, RFC 9068 §2.2) speaks for
/// a program, not a person, and is refused like an invalid token.
fn identify(claims: &Claims) -> Result<Caller, HttpError> {
    let sub = claims
        .sub
        .as_deref()
        .ok_or_else(|| not_a_person("no sub"))?;
    if claims.client_id.as_deref() == Some(sub) {
        return Err(not_a_person("a client's own token"));
    }
    let tid = claims
        .get("tid")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| not_a_person("no tid"))?;
    Ok(Caller {
        tenant: TenantId::parse(tid).map_err(|_| not_a_person("malformed tid"))?,
        person: PersonId::parse(sub).map_err(|_| not_a_person("malformed sub"))?,
    })
}

/// The RFC 6750 challenge for a token that is valid but not a person's.
pub fn not_a_person_challenge() -> String {
    BearerChallenge::new()
        .error(ErrorCode::InvalidToken)
        .description("The access token does not speak for a person")
        .to_header_value()
}
