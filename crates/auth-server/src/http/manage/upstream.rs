//! `/manage/v1/tenants/{id}/upstream-providers`: the identity providers a
//! tenant's users may sign in through (a preset such as Google or GitHub,
//! any OpenID Connect provider, or any plain OAuth 2.0 provider with a
//! userinfo endpoint). The client secret is write-only.
use actix_web::http::header;
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::openapi::Problem;
use service_kit::ApiError;
use utoipa::ToSchema;

use super::openapi::{ChangeCollided, Invalid, JsonBody, ProviderSlugTaken, Read};
use super::paths::{ProviderPath, TenantPath, UserPath};
use super::tenants::rfc3339;
use crate::domain::api_credential::ManageScope;
use crate::domain::tenant::Tenant;
use crate::domain::upstream::UpstreamProvider;
use crate::domain::upstream_settings::{MappingInput, Protocol, SettingsInput};
use crate::http::extract::ManageCaller;
use crate::manage::upstream::ProviderInput;
use crate::state::AppState;

/// Which fields of a plain OAuth 2.0 provider's userinfo answer name the
/// person: each a top-level field name (letters, digits, `_`, `-`).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimMappingBody {
    /// The subject (a string or an integer). Default `id`, else `sub`.
    #[schema(example = "id")]
    subject: Option<String>,
    /// Default `email`.
    email: Option<String>,
    /// A boolean (or "true") saying the email is verified. Default
    /// `email_verified`; an email without it counts as unverified.
    email_verified: Option<String>,
    /// Default `name`.
    name: Option<String>,
}

impl ClaimMappingBody {
    fn input(self) -> MappingInput {
        MappingInput {
            subject: self.subject,
            email: self.email,
            email_verified: self.email_verified,
            name: self.name,
        }
    }
}

/// Declares the two request bodies from one list of a provider's settings,
/// each optional in both: `CreateProviderBody` (the `preset` or `kind`,
/// the client registered at the provider, then the settings) and
/// `UpdateProviderBody` (the client, optional, then the settings; what is
/// absent stays). A new setting is added here once.
macro_rules! provider_bodies {
    ($($(#[$meta:meta])* $field:ident: $ty:ty,)*) => {
        /// A new upstream provider: a `preset` (`google`, `microsoft`, `apple`,
        /// `github`, `facebook`), or a `kind` with an `issuer` (`oidc`, the default) or
        /// the three endpoints (`oauth2`); and the client registered there (its
        /// redirect URI is the `callback_url` of any provider answer:
        /// `{PUBLIC_URL}/t/{slug}/upstream/callback`).
        #[derive(Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct CreateProviderBody {
            /// `google`, `microsoft`, `apple`, `github` or `facebook`: sets the
            /// kind, the issuer or endpoints, the scopes, and the slug and name
            /// unless given. `apple`'s `client_secret` is the JWT you sign with
            /// your Apple key (valid six months at most: change it before it
            /// expires). `microsoft` needs `issuer`: your directory's
            /// `https://login.microsoftonline.com/{tenant id}/v2.0`. `github`
            /// takes the endpoints of a GitHub Enterprise Server instead of
            /// github.com's.
            #[schema(example = "github")]
            preset: Option<String>,
            /// `oidc` (default: an OpenID Connect provider, by its issuer) or
            /// `oauth2` (a plain OAuth 2.0 provider, by its endpoints).
            #[schema(example = "oauth2")]
            kind: Option<String>,
            /// The client's id at the provider.
            client_id: String,
            /// Sealed at once; never shown again.
            client_secret: String,
            $($(#[$meta])* $field: Option<$ty>,)*
        }

        /// A change: what is absent stays. The kind and preset never change.
        #[derive(Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct UpdateProviderBody {
            /// The client's id at the provider.
            client_id: Option<String>,
            /// Sealed at once; never shown again.
            client_secret: Option<String>,
            $($(#[$meta])* $field: Option<$ty>,)*
        }

        impl CreateProviderBody {
            /// A creation is an update that sets the client, plus the kind and
            /// preset, which never change afterwards.
            fn input(self) -> ProviderInput {
                let mut input = UpdateProviderBody {
                    client_id: Some(self.client_id),
                    client_secret: Some(self.client_secret),
                    $($field: self.$field,)*
                }
                .input();
                input.settings.preset = self.preset;
                input.settings.kind = self.kind;
                input
            }
        }
    };
}

provider_bodies! {
    /// In URLs and button ids: 2–32 lowercase letters, digits or `-`.
    slug: String,
    /// On the button: "Continue with {display_name}".
    display_name: String,
    /// `oidc`: the issuer (https; discovery must name it exactly).
    #[schema(example = "https://accounts.example.com")]
    issuer: String,
    /// `oauth2`: where the browser signs in (https).
    #[schema(example = "https://github.com/login/oauth/authorize")]
    authorization_url: String,
    /// `oauth2`: where the code is redeemed (https; asked for JSON).
    #[schema(example = "https://github.com/login/oauth/access_token")]
    token_url: String,
    /// `oauth2`: read with the access token; its JSON object names the
    /// person through `claim_mapping`.
    #[schema(example = "https://api.github.com/user")]
    userinfo_url: String,
    /// `oauth2`: which userinfo fields name the person. At an update, the
    /// fields named change; the others stay.
    claim_mapping: ClaimMappingBody,
    /// `oauth2`: count every email the provider gives as verified (for a
    /// provider that vouches for its emails without saying so, such as
    /// Facebook). Default false: a new account's email is then proved by
    /// mail, and an email an account already has links nothing.
    trust_email: bool,
    /// How the client authenticates at the token endpoint:
    /// `client_secret_basic` (default for `oidc`) or `client_secret_post`
    /// (default for `oauth2`).
    token_auth: String,
    /// Space-separated. `oidc`: with `openid`, default `openid email
    /// profile`; `oauth2`: the provider's own (a preset's by default).
    scopes: String,
    /// Shown on the login page. Default true.
    enabled: bool,
    /// Keep the provider's tokens of each sign-in (sealed), for your
    /// backend to call the provider's API on the user's behalf: read them
    /// at `/tenants/{id}/users/{user_id}/upstream-tokens` (scope
    /// `manage:upstream-tokens`). Default false; turning it off deletes
    /// every token kept.
    keep_tokens: bool,
}

impl UpdateProviderBody {
    fn input(self) -> ProviderInput {
        ProviderInput {
            slug: self.slug,
            display_name: self.display_name,
            client_id: self.client_id,
            client_secret: self.client_secret,
            enabled: self.enabled,
            keep_tokens: self.keep_tokens,
            settings: SettingsInput {
                issuer: self.issuer,
                authorization_url: self.authorization_url,
                token_url: self.token_url,
                userinfo_url: self.userinfo_url,
                mapping: self
                    .claim_mapping
                    .map(ClaimMappingBody::input)
                    .unwrap_or_default(),
                trust_email: self.trust_email,
                token_auth: self.token_auth,
                scopes: self.scopes,
                ..SettingsInput::default()
            },
        }
    }
}

/// An upstream provider (the client secret is never shown).
#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    id: String,
    slug: String,
    display_name: String,
    /// `oidc` or `oauth2`.
    kind: String,
    /// The preset it was made from, if any.
    preset: Option<String>,
    /// `oidc` only.
    issuer: Option<String>,
    /// `oauth2` only.
    authorization_url: Option<String>,
    /// `oauth2` only.
    token_url: Option<String>,
    /// `oauth2` only.
    userinfo_url: Option<String>,
    /// `oauth2` only; `subject` absent means `id`, else `sub`.
    claim_mapping: Option<ClaimMappingBody>,
    /// `oauth2` only.
    trust_email: Option<bool>,
    token_auth: String,
    client_id: String,
    scopes: String,
    enabled: bool,
    /// Whether the provider's tokens are kept for the tenant's backend.
    keep_tokens: bool,
    /// The redirect URI to register at the provider.
    callback_url: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// The tenant's upstream providers, by slug.
#[derive(Serialize, ToSchema)]
pub struct ProviderList {
    items: Vec<ProviderView>,
}

fn view(state: &AppState, tenant: &Tenant, p: UpstreamProvider) -> ProviderView {
    let settings = p.settings;
    let oauth2 = match &settings.protocol {
        Protocol::OAuth2(o) => Some(o),
        Protocol::Oidc { .. } => None,
    };
    ProviderView {
        callback_url: state.manage.upstreams.callback_url(tenant),
        id: p.id,
        slug: p.slug.to_string(),
        display_name: p.display_name.as_ref().to_owned(),
        kind: settings.protocol.kind().as_str().to_owned(),
        preset: settings.preset.map(|p| p.slug().to_owned()),
        issuer: settings.protocol.issuer().map(str::to_owned),
        authorization_url: oauth2.map(|o| o.authorization_url.to_string()),
        token_url: oauth2.map(|o| o.token_url.to_string()),
        userinfo_url: oauth2.map(|o| o.userinfo_url.to_string()),
        claim_mapping: oauth2.map(|o| ClaimMappingBody {
            subject: o.mapping.subject.clone(),
            email: Some(o.mapping.email.clone()),
            email_verified: Some(o.mapping.email_verified.clone()),
            name: Some(o.mapping.name.clone()),
        }),
        trust_email: oauth2.map(|o| o.trust_email),
        token_auth: settings.token_auth.as_str().to_owned(),
        client_id: p.client_id,
        scopes: settings.scopes,
        enabled: p.enabled,
        keep_tokens: p.keep_tokens,
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
    }
}

/// Add an upstream provider
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/upstream-providers",
    tag = "upstream",
    params(TenantPath),
    request_body = CreateProviderBody,
    responses(
        (status = 201, description = "The provider; its login button shows at once.", body = ProviderView),
        (status = 409, response = ProviderSlugTaken),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn create_provider(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<CreateProviderBody>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let input = body.into_inner().input();
    let created = state.manage.upstreams.create(tenant.id, input).await?;
    let location = format!(
        "/manage/v1/tenants/{}/upstream-providers/{}",
        tenant.id, created.id
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view(&state, &tenant, created)))
}

/// List a tenant's upstream providers
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/upstream-providers",
    tag = "upstream",
    params(TenantPath),
    responses(
        (status = 200, description = "The providers, by slug.", body = ProviderList),
        Read,
    ),
)]
pub async fn list_providers(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
) -> Result<Json<ProviderList>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let items = state.manage.upstreams.list(tenant.id).await?;
    Ok(Json(ProviderList {
        items: items
            .into_iter()
            .map(|p| view(&state, &tenant, p))
            .collect(),
    }))
}

/// Get an upstream provider
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/upstream-providers/{provider_id}",
    tag = "upstream",
    params(TenantPath, ProviderPath),
    responses(
        (status = 200, description = "The provider.", body = ProviderView),
        Read,
    ),
)]
pub async fn get_provider(
    caller: ManageCaller,
    state: web::Data<AppState>,
    path: ProviderPath,
) -> Result<Json<ProviderView>, ApiError> {
    caller.may(path.tenant.id, ManageScope::Read)?;
    let p = state
        .manage
        .upstreams
        .get(path.tenant.id, &path.provider_id)
        .await?;
    Ok(Json(view(&state, &path.tenant, p)))
}

/// Change an upstream provider
#[utoipa::path(
    patch,
    path = "/manage/v1/tenants/{id}/upstream-providers/{provider_id}",
    tag = "upstream",
    params(TenantPath, ProviderPath),
    request_body = UpdateProviderBody,
    responses(
        (status = 200, description = "The provider as changed.", body = ProviderView),
        (status = 409, response = ProviderSlugTaken),
        (status = 503, response = ChangeCollided),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn update_provider(
    caller: ManageCaller,
    state: web::Data<AppState>,
    path: ProviderPath,
    body: JsonObject<UpdateProviderBody>,
) -> Result<Json<ProviderView>, ApiError> {
    caller.may(path.tenant.id, ManageScope::Write)?;
    let input = body.into_inner().input();
    let p = state
        .manage
        .upstreams
        .update(path.tenant.id, &path.provider_id, input)
        .await?;
    Ok(Json(view(&state, &path.tenant, p)))
}

/// Remove an upstream provider
///
/// Its button goes, and so does every link from a user to an account there;
/// the users stay (one with no password sets one through "forgot password").
#[utoipa::path(
    delete,
    path = "/manage/v1/tenants/{id}/upstream-providers/{provider_id}",
    tag = "upstream",
    params(TenantPath, ProviderPath),
    responses(
        (status = 204, description = "The provider is removed."),
        Read,
    ),
)]
pub async fn delete_provider(
    caller: ManageCaller,
    state: web::Data<AppState>,
    path: ProviderPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(path.tenant.id, ManageScope::Write)?;
    state
        .manage
        .upstreams
        .delete(path.tenant.id, &path.provider_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Tokens a provider gave at the user's last sign-in through it.
#[derive(Serialize, ToSchema)]
pub struct UpstreamTokensView {
    provider_id: String,
    /// The provider's slug.
    provider: String,
    /// The user's id at the provider.
    subject: String,
    access_token: Option<String>,
    refresh_token: Option<String>,
    id_token: Option<String>,
    token_type: Option<String>,
    scope: Option<String>,
    /// When the access token expires, if the provider said.
    #[schema(format = DateTime)]
    expires_at: Option<String>,
    /// When they were kept (the sign-in).
    #[schema(format = DateTime)]
    obtained_at: Option<String>,
}

/// The tokens kept for one user, one entry per provider that keeps them.
#[derive(Serialize, ToSchema)]
pub struct UpstreamTokensList {
    items: Vec<UpstreamTokensView>,
}

/// Read a user's upstream tokens
///
/// What the user's providers gave at their last sign-in through each, for
/// providers set to keep them (`keep_tokens`). Secrets: ask only from your
/// backend, with a credential that has `manage:upstream-tokens`.
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/users/{user_id}/upstream-tokens",
    tag = "upstream",
    params(TenantPath, UserPath),
    responses(
        (status = 200, description = "The tokens kept (an empty list when none are).", body = UpstreamTokensList),
        (status = 404, description = "No such user in this tenant.",
         body = Problem, content_type = "application/problem+json"),
        Read,
    ),
)]
pub async fn user_tokens(
    caller: ManageCaller,
    state: web::Data<AppState>,
    UserPath { tenant, user_id }: UserPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::UpstreamTokens)?;
    // 404 for a user the tenant does not have.
    state.manage.users.get(tenant.id, user_id).await?;
    let kept = state
        .manage
        .upstreams
        .user_tokens(tenant.id, user_id)
        .await?;
    let items = kept
        .into_iter()
        .map(|k| UpstreamTokensView {
            provider_id: k.provider_id,
            provider: k.provider_slug,
            subject: k.subject,
            access_token: k.tokens.access_token,
            refresh_token: k.tokens.refresh_token,
            id_token: k.tokens.id_token,
            token_type: k.tokens.token_type,
            scope: k.tokens.scope,
            expires_at: k.tokens.expires_at.map(rfc3339),
            obtained_at: k.obtained_at.map(rfc3339),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(UpstreamTokensList { items }))
}
