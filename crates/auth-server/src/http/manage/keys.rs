//! `/manage/v1/tenants/{id}/keys`: a tenant's signing keys, as the console
//! shows them: the list with states and dates, a rotation now, the
//! emergency revocation of one key, and a key marked compromised.
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::openapi::Problem;
use service_kit::{ApiError, Code};
use utoipa::ToSchema;

use super::clients::CompromisedBody;
use super::openapi::{Invalid, JsonBody, Read};
use super::paths::{KeyPath, TenantPath};
use super::tenants::rfc3339;
use crate::domain::api_credential::ManageScope;
use crate::domain::sentinel::reason::Reason;
use crate::domain::signing_alg::SigningAlg;
use crate::http::extract::ManageCaller;
use crate::keys::keyring::KeyInfo;
use crate::state::AppState;

/// A signing algorithm.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy)]
pub enum AlgName {
    RS256,
    ES256,
    EdDSA,
}

impl From<AlgName> for SigningAlg {
    fn from(a: AlgName) -> Self {
        match a {
            AlgName::RS256 => SigningAlg::RS256,
            AlgName::ES256 => SigningAlg::ES256,
            AlgName::EdDSA => SigningAlg::EdDSA,
        }
    }
}

/// One signing key.
#[derive(Serialize, ToSchema)]
pub struct KeyView {
    /// The key id (`kid`) in tokens and the key set.
    kid: String,
    #[schema(example = "ES256")]
    alg: String,
    /// `next` (published, not signing yet), `active`, `retired` (published
    /// until what it signed expires) or `revoked`.
    #[schema(example = "active")]
    state: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    activated_at: Option<String>,
    #[schema(format = DateTime)]
    retired_at: Option<String>,
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
}

impl From<KeyInfo> for KeyView {
    fn from(k: KeyInfo) -> Self {
        Self {
            kid: k.kid,
            alg: k.alg.as_str().to_owned(),
            state: k.state.as_str().to_owned(),
            created_at: rfc3339(k.created_at),
            activated_at: k.activated_at.map(rfc3339),
            retired_at: k.retired_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
        }
    }
}

/// The tenant's signing keys.
#[derive(Serialize, ToSchema)]
pub struct KeyList {
    items: Vec<KeyView>,
}

/// Which keys to rotate.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    alg: AlgName,
}

/// What a rotation did.
#[derive(Serialize, ToSchema)]
pub struct RotatedKeys {
    /// The key that signed until now.
    retired: String,
    /// The key that signs from now on.
    active: String,
    /// The new next key, published now.
    next: String,
}

/// What marking a key compromised did.
#[derive(Serialize, ToSchema)]
pub struct CompromisedKey {
    /// The compromised key, revoked now.
    revoked: String,
    #[schema(example = "ES256")]
    alg: String,
    /// The state it was in: `active`, `next` or `retired`.
    #[schema(example = "active")]
    was: String,
    /// The key made now that signs from now on, when the compromised key
    /// was the signing one.
    active: Option<String>,
    /// The key made now and published as next, when the compromised key was
    /// active or next.
    next: Option<String>,
    /// The next key revoked beside a compromised active key.
    next_revoked: Option<String>,
    /// The incident's id (the `sentinel` event's `incident`).
    incident: String,
}

/// List a tenant's signing keys
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/keys",
    tag = "keys",
    params(TenantPath),
    responses(
        (status = 200, description = "The keys, with their states and dates.", body = KeyList),
        Read,
    ),
)]
pub async fn list_keys(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
) -> Result<Json<KeyList>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let keys = state.manage.keys.list(tenant.id).await?;
    Ok(Json(KeyList {
        items: keys.into_iter().map(KeyView::from).collect(),
    }))
}

/// Rotate a tenant's signing keys
///
/// The next key of the algorithm starts signing and the active one retires.
/// Refused (409 `key-too-young`, with `Retry-After`) while the next key is
/// younger than the key set's cache lifetime: clients could not check its
/// signatures yet (revoking is the emergency path). An algorithm the tenant
/// has no keys for (no client signs with it) is 422.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/keys/rotate",
    tag = "keys",
    params(TenantPath),
    request_body = RotateBody,
    responses(
        (status = 200, description = "The keys rotated.", body = RotatedKeys),
        (status = 409, description = "The next key was published too recently (`key-too-young`).",
         body = Problem, content_type = "application/problem+json"),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn rotate_keys(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<RotateBody>,
) -> Result<Json<RotatedKeys>, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let done = state.manage.keys.rotate(tenant.id, body.alg.into()).await?;
    Ok(Json(RotatedKeys {
        retired: done.retired,
        active: done.active,
        next: done.next,
    }))
}

/// Revoke a signing key
///
/// The key leaves the key set at once and every token it signed stops
/// verifying; revoking the active key lets the next one sign at once (the
/// emergency path), and a new next key is made.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/keys/{kid}/revoke",
    tag = "keys",
    params(TenantPath, KeyPath),
    responses(
        (status = 204, description = "The key is revoked."),
        Read,
    ),
)]
pub async fn revoke_key(
    caller: ManageCaller,
    state: web::Data<AppState>,
    KeyPath { tenant, kid }: KeyPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant, ManageScope::Write)?;
    state.manage.keys.revoke(tenant, &kid).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark a signing key compromised
///
/// The emergency rotation, for a private key that leaked. At once: the key
/// is revoked (out of the key set; tokens it signed are refused at
/// introspection and userinfo by every instance within a second, and by
/// APIs that check signatures offline once they fetch the key set again);
/// when it was the signing key, a key made now signs from now on (no
/// pre-publication wait: the old key is compromised anyway) and the next
/// key, kept beside it, is replaced too; a next key is replaced, a retired
/// one only revoked. Refresh tokens are opaque (no key signs them): grants
/// stay, and their next refresh gets tokens signed by the new key. Recorded
/// as a security incident (`sentinel` / `signing_key_compromised`), sent to
/// the tenant's webhooks as `security.incident` and `key.rotated`, and
/// mailed to its owners. A key revoked before is refused (409
/// `key-revoked`) and opens no second incident.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/keys/{kid}/compromised",
    tag = "keys",
    params(TenantPath, KeyPath),
    request_body = CompromisedBody,
    responses(
        (status = 200, description = "The key is revoked and replaced.", body = CompromisedKey),
        (status = 409, description = "The key is revoked already (`key-revoked`).",
         body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Concurrent key changes kept colliding; retry after `Retry-After` seconds.",
         body = Problem, content_type = "application/problem+json"),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn key_compromised(
    caller: ManageCaller,
    state: web::Data<AppState>,
    KeyPath { tenant, kid }: KeyPath,
    body: JsonObject<CompromisedBody>,
) -> Result<Json<CompromisedKey>, ApiError> {
    caller.may(tenant, ManageScope::Write)?;
    let reason = Reason::parse(&body.reason)
        .map_err(|e| ApiError::new(Code::InvalidInput, e.to_string()))?;
    let done = state
        .manage
        .keys
        .compromised(tenant, &kid, &reason, &caller.actor())
        .await?;
    let r = done.replaced;
    Ok(Json(CompromisedKey {
        revoked: r.kid,
        alg: r.alg,
        was: r.was,
        active: r.active,
        next: r.next,
        next_revoked: r.next_revoked,
        incident: done.incident,
    }))
}
