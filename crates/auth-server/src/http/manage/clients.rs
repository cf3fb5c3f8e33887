//! `/manage/v1/tenants/{id}/clients`: a tenant's OAuth clients. A client
//! secret leaves the server only in the answer that created it (creation or
//! rotation), with `Cache-Control: no-store`.
use actix_web::body::BoxBody;
use actix_web::http::header;
use actix_web::web::{self, Json};
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::{ApiError, Code};
use utoipa::{IntoResponses, ToSchema};

use super::list_query::ListQuery;
use super::openapi::{ChangeCollided, ClientRuleBroken, Invalid, JsonBody, NewClientSecret, Read};
use super::paths::{ClientPath, TenantPath};
use super::tenants::{rfc3339, Status};
use crate::domain::api_credential::ManageScope;
use crate::domain::client::{
    parse_grants, parse_id_token_alg, parse_origins, parse_privileges, parse_resources, parse_uris,
    Client, ClientDraft, ClientKind, ClientRuleError, ClientSettings, ClientUpdate, PlainSecret,
    SecretOverlap,
};
use crate::domain::display_name::DisplayName;
use crate::domain::refresh_reuse::RefreshReuseInterval;
use crate::domain::scope::ScopeSet;
use crate::domain::sentinel::reason::Reason;
use crate::http::extract::ManageCaller;
use crate::state::AppState;

/// Declares the two request bodies from one list of a client's settings:
/// `CreateClientBody` (a required `name`, a `kind`, then the settings) and
/// `UpdateClientBody` (an optional `name`, then the settings). Every setting
/// is optional in both: left out (or `null`), it keeps its default at
/// creation and its value at an update. A new setting is added here once.
macro_rules! client_bodies {
    ($($(#[$meta:meta])* $field:ident: $ty:ty,)*) => {
        /// A new OAuth client.
        #[derive(Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct CreateClientBody {
            /// The name shown on the consent page: 1 to 100 characters.
            #[schema(example = "Acme web app")]
            name: String,
            /// `confidential` (the default: it gets a secret) or `public` (PKCE, no secret).
            #[schema(example = "confidential")]
            kind: Option<String>,
            $($(#[$meta])* $field: Option<$ty>,)*
        }

        /// What to change; absent fields stay as they are, given lists replace the old ones.
        #[derive(Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct UpdateClientBody {
            /// The name shown on the consent page: 1 to 100 characters.
            name: Option<String>,
            $($(#[$meta])* $field: Option<$ty>,)*
        }

        impl CreateClientBody {
            /// The settings given, as an update of the defaults.
            fn into_settings(self) -> UpdateClientBody {
                UpdateClientBody {
                    name: None,
                    $($field: self.$field,)*
                }
            }
        }
    };
}

client_bodies! {
    /// Exact redirect URIs (https, or http on loopback); required for `authorization_code`.
    #[schema(example = json!(["https://app.acme.example/callback"]))]
    redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the user back to.
    post_logout_redirect_uris: Vec<String>,
    /// Among `authorization_code`, `refresh_token`, `client_credentials`;
    /// default `["authorization_code", "refresh_token"]`.
    grant_types: Vec<String>,
    /// The scopes the client may ask for; by default those its grant types need.
    scopes: Vec<String>,
    /// Browser origins allowed to call the token, userinfo and revocation endpoints.
    cors_origins: Vec<String>,
    /// 60 to 86400 (default 900).
    access_token_lifetime_secs: i64,
    /// Absolute refresh-token lifetime, 300 to 31536000 (default 2592000).
    refresh_token_lifetime_secs: i64,
    /// Refresh-token idle limit, 300 to the absolute lifetime (default 604800).
    refresh_token_idle_secs: i64,
    /// For how long after a refresh token is used presenting it again returns the same new
    /// pair instead of revoking every token of the login, 0 to 60 (default 0: never).
    #[schema(minimum = 0, maximum = 60)]
    refresh_token_reuse_interval_secs: i64,
    /// `ES256` (default), `RS256` (for relying parties that know no other) or `EdDSA`.
    id_token_alg: String,
    /// A first-party client skips the consent page (unless `prompt=consent`); default `false`.
    first_party: bool,
    /// Resource indicators (RFC 8707 `resource`) the client may ask tokens for, besides the
    /// tenant's `default_audience`, which every client may name; any other `resource` is
    /// `invalid_target`. Each 1 to 512 visible ASCII characters without `#`, at most 50.
    #[schema(example = json!(["https://api.acme.example"]))]
    allowed_resources: Vec<String>,
    /// Whether authorization requests must carry PKCE (default `true`). Only a confidential
    /// client may set `false`, for a legacy server that cannot send it: weaker, a stolen code
    /// is then protected by the client secret alone.
    require_pkce: bool,
    /// Extra powers: `introspect:any` lets the client introspect every token of the tenant,
    /// not only its own and those whose `aud` names its client id.
    #[schema(example = json!([]))]
    privileges: Vec<String>,
}

/// How to rotate a confidential client's secret.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretBody {
    /// How long the previous secret keeps working, 0 (default) to 604800 seconds.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 604800)]
    overlap_secs: i64,
}

/// Why a credential (a client's secret, a signing key) is marked
/// compromised.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompromisedBody {
    /// What happened, as the audit trail, the webhooks and the owners'
    /// alert mail show it (1 to 200 characters).
    #[schema(
        example = "committed to a public repository",
        min_length = 1,
        max_length = 200
    )]
    pub(super) reason: String,
}

/// A client as operators see it: never its secret, nor the secret's digest.
#[derive(Serialize, ToSchema)]
pub struct ClientView {
    #[schema(example = "cli_3q2VQm0nX1uY7aBcDeFgHi")]
    client_id: String,
    tenant_id: String,
    /// `confidential` or `public`.
    #[schema(value_type = String, example = "confidential")]
    kind: &'static str,
    name: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    #[schema(value_type = Vec<String>)]
    grant_types: Vec<&'static str>,
    scopes: Vec<String>,
    cors_origins: Vec<String>,
    access_token_lifetime_secs: i64,
    refresh_token_lifetime_secs: i64,
    refresh_token_idle_secs: i64,
    /// 0 (no reuse: a used refresh token presented again revokes the login's tokens) to 60.
    refresh_token_reuse_interval_secs: i64,
    /// `RS256`, `ES256` or `EdDSA`.
    #[schema(value_type = String, example = "ES256")]
    id_token_alg: &'static str,
    first_party: bool,
    /// Resources the client may ask tokens for besides the tenant's `default_audience`.
    allowed_resources: Vec<String>,
    /// Whether authorization requests need PKCE (always `true` for public clients).
    require_pkce: bool,
    /// `introspect:any` or nothing.
    #[schema(value_type = Vec<String>)]
    privileges: Vec<&'static str>,
    status: Status,
    /// Until when the previous secret still works after a rotation with overlap.
    #[schema(format = DateTime)]
    previous_secret_expires_at: Option<String>,
    /// When the client was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it last changed: its settings, its secret or its status.
    #[schema(format = DateTime)]
    updated_at: String,
    /// When it was disabled; `null` while it is active.
    #[schema(format = DateTime)]
    disabled_at: Option<String>,
}

/// The answer of creation and rotation: the client and, once, its secret.
#[derive(Serialize, ToSchema)]
pub struct ClientWithSecret {
    #[serde(flatten)]
    client: ClientView,
    /// The client secret, shown only in this answer; absent for public clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    client_secret: Option<String>,
}

service_kit::page_of! {
    /// One page of a tenant's clients.
    pub ClientList of ClientView
}

fn strings<T: AsRef<str>>(items: &[T]) -> Vec<String> {
    items.iter().map(|i| i.as_ref().to_owned()).collect()
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        let s = &c.settings;
        Self {
            client_id: c.id.to_string(),
            tenant_id: c.tenant_id.to_string(),
            kind: c.kind.as_str(),
            name: s.name().as_ref().to_owned(),
            redirect_uris: strings(s.redirect_uris()),
            post_logout_redirect_uris: strings(s.post_logout_redirect_uris()),
            grant_types: s.grant_types().iter().map(|g| g.as_str()).collect(),
            scopes: s.scopes().iter().map(str::to_owned).collect(),
            cors_origins: strings(s.cors_origins()),
            access_token_lifetime_secs: s.lifetimes().access_secs(),
            refresh_token_lifetime_secs: s.lifetimes().refresh_absolute_secs(),
            refresh_token_idle_secs: s.lifetimes().refresh_idle_secs(),
            refresh_token_reuse_interval_secs: s.refresh_reuse_interval().secs(),
            id_token_alg: s.id_token_alg().as_str(),
            first_party: s.first_party(),
            allowed_resources: strings(s.allowed_resources()),
            require_pkce: c.requires_pkce(),
            privileges: s.privileges().iter().map(|p| p.as_str()).collect(),
            status: Status::of(c.is_disabled()),
            previous_secret_expires_at: c
                .secrets
                .as_ref()
                .and_then(|x| x.previous_expires_at())
                .map(rfc3339),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            disabled_at: c.disabled_at.map(rfc3339),
        }
    }
}

impl CreateClientBody {
    /// What is left out takes the defaults of [`ClientDraft::requested`].
    fn parse(self) -> Result<(ClientKind, ClientSettings), ClientRuleError> {
        let kind = match self.kind.as_deref() {
            Some(text) => ClientKind::parse(text)?,
            None => ClientKind::Confidential,
        };
        let name = DisplayName::parse_exact(&self.name)?;
        let given = self.into_settings().parse()?;
        let draft = ClientDraft::requested(name, given)?;
        Ok((kind, ClientSettings::new(kind, draft)?))
    }
}

impl UpdateClientBody {
    fn parse(self) -> Result<ClientUpdate, ClientRuleError> {
        let uris = |field, v: Option<Vec<String>>| v.map(|v| parse_uris(field, &v)).transpose();
        Ok(ClientUpdate {
            name: self
                .name
                .as_deref()
                .map(DisplayName::parse_exact)
                .transpose()?,
            redirect_uris: uris("redirect_uris", self.redirect_uris)?,
            post_logout_redirect_uris: uris(
                "post_logout_redirect_uris",
                self.post_logout_redirect_uris,
            )?,
            grant_types: self
                .grant_types
                .map(|g| parse_grants("grant_types", &g))
                .transpose()?,
            scopes: self.scopes.map(ScopeSet::from_tokens).transpose()?,
            cors_origins: self
                .cors_origins
                .map(|o| parse_origins("cors_origins", &o))
                .transpose()?,
            access_token_lifetime_secs: self.access_token_lifetime_secs,
            refresh_token_lifetime_secs: self.refresh_token_lifetime_secs,
            refresh_token_idle_secs: self.refresh_token_idle_secs,
            refresh_reuse_interval: self
                .refresh_token_reuse_interval_secs
                .map(RefreshReuseInterval::parse)
                .transpose()?,
            id_token_alg: parse_id_token_alg(self.id_token_alg.as_deref())?,
            first_party: self.first_party,
            allowed_resources: self
                .allowed_resources
                .map(|r| parse_resources("allowed_resources", &r))
                .transpose()?,
            require_pkce: self.require_pkce,
            privileges: self
                .privileges
                .map(|p| parse_privileges("privileges", &p))
                .transpose()?,
        })
    }
}

/// The answer of a new secret for an existing client (rotation, compromise):
/// 200, the client with its secret shown this once; never cached.
#[derive(IntoResponses)]
#[response(
    status = 200,
    description = "The client with its new secret.",
    headers(("Cache-Control" = String, description = "`no-store`"))
)]
pub struct SecretShown(ClientWithSecret);

impl SecretShown {
    fn new(client: &Client, secret: PlainSecret) -> Self {
        Self(ClientWithSecret::new(client, Some(secret)))
    }
}

impl Responder for SecretShown {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(self.0)
    }
}

impl ClientWithSecret {
    fn new(client: &Client, secret: Option<PlainSecret>) -> Self {
        Self {
            client: ClientView::from(client),
            client_secret: secret.map(|s| s.expose().to_owned()),
        }
    }
}

/// 201 with the secret shown this once; never cached.
fn with_secret(
    mut resp: actix_web::HttpResponseBuilder,
    client: &Client,
    secret: Option<PlainSecret>,
) -> HttpResponse {
    resp.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ClientWithSecret::new(client, secret))
}

/// Create a client
///
/// A confidential client's secret is in this answer only (`Cache-Control: no-store`).
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/clients",
    tag = "clients",
    params(TenantPath),
    request_body = CreateClientBody,
    responses(
        (status = 201, description = "The client, with its secret if it is confidential.", body = ClientWithSecret,
         headers(
             ("Location" = String, description = "`/manage/v1/tenants/{id}/clients/{client_id}`"),
             ("Cache-Control" = String, description = "`no-store`"),
         )),
        (status = 422, response = ClientRuleBroken),
        Read, JsonBody,
    ),
)]
pub async fn create_client(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<CreateClientBody>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let (kind, settings) = body.into_inner().parse()?;
    let (client, secret) = state
        .manage
        .clients
        .create(tenant.id, kind, settings)
        .await?;
    let mut resp = HttpResponse::Created();
    resp.insert_header((
        header::LOCATION,
        format!("/manage/v1/tenants/{}/clients/{}", tenant.id, client.id),
    ));
    Ok(with_secret(resp, &client, secret))
}

/// List a tenant's clients
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/clients",
    tag = "clients",
    params(TenantPath, ListQuery),
    responses(
        (status = 200, description = "A page of the tenant's clients.", body = ClientList),
        Read, Invalid,
    ),
)]
pub async fn list_clients(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    query: web::Query<ListQuery>,
) -> Result<Json<ClientList>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let page = state.manage.clients.list(tenant.id, &query.page()?).await?;
    Ok(Json(ClientList::of(page, |c| ClientView::from(&c))))
}

/// Get a client
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/clients/{client_id}",
    tag = "clients",
    params(TenantPath, ClientPath),
    responses(
        (status = 200, description = "The client (never its secret).", body = ClientView),
        Read,
    ),
)]
pub async fn get_client(
    caller: ManageCaller,
    state: web::Data<AppState>,
    ClientPath { tenant, client_id }: ClientPath,
) -> Result<Json<ClientView>, ApiError> {
    caller.may(tenant, ManageScope::Read)?;
    let client = state.manage.clients.get(tenant, &client_id).await?;
    Ok(Json(ClientView::from(&client)))
}

/// Update a client
#[utoipa::path(
    patch,
    path = "/manage/v1/tenants/{id}/clients/{client_id}",
    tag = "clients",
    params(TenantPath, ClientPath),
    request_body = UpdateClientBody,
    responses(
        (status = 200, description = "The updated client.", body = ClientView),
        (status = 422, response = ClientRuleBroken),
        (status = 503, response = ChangeCollided),
        Read, JsonBody,
    ),
)]
pub async fn update_client(
    caller: ManageCaller,
    state: web::Data<AppState>,
    ClientPath { tenant, client_id }: ClientPath,
    body: JsonObject<UpdateClientBody>,
) -> Result<Json<ClientView>, ApiError> {
    caller.may(tenant, ManageScope::Write)?;
    let update = body.into_inner().parse()?;
    let client = state
        .manage
        .clients
        .update(tenant, &client_id, update)
        .await?;
    Ok(Json(ClientView::from(&client)))
}

/// Rotate a client's secret
///
/// Confidential clients only (a public client gets 409 `client-has-no-secret`).
/// The new secret is in this answer only (`Cache-Control: no-store`); the
/// previous one keeps working for `overlap_secs`.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/clients/{client_id}/rotate-secret",
    tag = "clients",
    params(TenantPath, ClientPath),
    request_body = RotateSecretBody,
    responses(
        SecretShown, Read, JsonBody, Invalid, NewClientSecret,
    ),
)]
pub async fn rotate_client_secret(
    caller: ManageCaller,
    state: web::Data<AppState>,
    ClientPath { tenant, client_id }: ClientPath,
    body: JsonObject<RotateSecretBody>,
) -> Result<SecretShown, ApiError> {
    caller.may(tenant, ManageScope::Write)?;
    let overlap = SecretOverlap::parse(body.overlap_secs)?;
    let (client, secret) = state
        .manage
        .clients
        .rotate_secret(tenant, &client_id, overlap)
        .await?;
    Ok(SecretShown::new(&client, secret))
}

/// Mark a client's secret compromised
///
/// For a secret that leaked (committed to a repository, seen in a log). At
/// once: a new secret replaces it and the old one is refused (no overlap),
/// every grant the client holds is revoked (its refresh tokens are refused,
/// its access tokens inactive at introspection and userinfo), and its
/// client_credentials tokens issued before are inactive at introspection.
/// The client keeps working with the new secret, which is in this answer
/// only (`Cache-Control: no-store`; never in a mail). Recorded as a security
/// incident (audit kind `sentinel`, outcome `client_secret_compromised`),
/// sent to the tenant's webhooks as `security.incident` and mailed to its
/// owners (at most one alert per tenant per alert interval). Access tokens already handed
/// out stay valid, until they expire, for a resource server that checks
/// them offline against the JWKS.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/clients/{client_id}/secret-compromised",
    tag = "clients",
    params(TenantPath, ClientPath),
    request_body = CompromisedBody,
    responses(
        SecretShown, Read, JsonBody, Invalid, NewClientSecret,
    ),
)]
pub async fn secret_compromised(
    caller: ManageCaller,
    state: web::Data<AppState>,
    ClientPath { tenant, client_id }: ClientPath,
    body: JsonObject<CompromisedBody>,
) -> Result<SecretShown, ApiError> {
    caller.may(tenant, ManageScope::Write)?;
    let reason = Reason::parse(&body.reason)
        .map_err(|e| ApiError::new(Code::InvalidInput, e.to_string()))?;
    let (client, secret) = state
        .manage
        .clients
        .secret_compromised(tenant, &client_id, &reason, &caller.actor())
        .await?;
    Ok(SecretShown::new(&client, secret))
}

/// Disable a client
///
/// The client can no longer get tokens, and every grant it holds is revoked: its refresh tokens
/// are refused, its access tokens are inactive at introspection and userinfo. Disabling a disabled
/// client keeps the first date.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/clients/{client_id}/disable",
    tag = "clients",
    params(TenantPath, ClientPath),
    responses(
        (status = 200, description = "The disabled client.", body = ClientView),
        Read,
    ),
)]
pub async fn disable_client(
    caller: ManageCaller,
    state: web::Data<AppState>,
    ClientPath { tenant, client_id }: ClientPath,
) -> Result<Json<ClientView>, ApiError> {
    caller.may(tenant, ManageScope::Write)?;
    let client = state.manage.clients.disable(tenant, &client_id).await?;
    Ok(Json(ClientView::from(&client)))
}

/// Enable a client
///
/// A disabled client gets tokens again. What was revoked when it was disabled
/// (its refresh tokens, its access tokens at introspection) stays revoked.
/// Enabling an enabled client changes nothing.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/clients/{client_id}/enable",
    tag = "clients",
    params(TenantPath, ClientPath),
    responses(
        (status = 200, description = "The enabled client.", body = ClientView),
        Read,
    ),
)]
pub async fn enable_client(
    caller: ManageCaller,
    state: web::Data<AppState>,
    ClientPath { tenant, client_id }: ClientPath,
) -> Result<Json<ClientView>, ApiError> {
    caller.may(tenant, ManageScope::Write)?;
    let client = state.manage.clients.enable(tenant, &client_id).await?;
    Ok(Json(ClientView::from(&client)))
}
