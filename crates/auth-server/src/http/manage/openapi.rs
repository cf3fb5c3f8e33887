//! The OpenAPI 3.1 document of the management API, generated from the
//! handlers' `#[utoipa::path]` annotations and the DTOs' `ToSchema` derives.
//! `GET /manage/v1/openapi.json` serves it; `docs/openapi.json` is a copy that
//! `tests/openapi.rs` keeps byte for byte in sync (see `docs/api.md`).
use std::sync::OnceLock;

use actix_web::HttpResponse;
use service_kit::openapi::{self, Scheme, SecuritySchemes};
use utoipa::OpenApi;

use super::{
    blocks, clients, invitations, keys, owners, reports, tenants, upstream, users, webhooks,
};

/// The name of the security scheme every operation requires (also spelled
/// out in `security(...)` below, where the macro wants a literal).
const OPERATOR_TOKEN: &str = "operator_token";
/// The scheme of a tenant's API credentials.
const API_CREDENTIAL: &str = "api_credential";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ConnectAuth management API",
        version = env!("CARGO_PKG_VERSION"),
        description = "What platform operators use to manage tenants, their end users, OAuth clients, owners and audit events, \
and what a tenant's own automation uses for that one tenant. \
Every operation except this document itself needs a bearer token: the operator token (`AUTH_ADMIN_TOKEN`), which may do everything, \
or the access token of a tenant's API credential (created by its owners in the console), which acts on its own tenant only: \
`manage:read` reads the tenant, its clients and events; `manage:write` changes the tenant's settings and clients; \
`manage:users` reads and changes its end users; `manage:team` lists the team (`/owners`), changes roles and removes members; \
`manage:upstream-tokens` reads the tokens upstream providers gave its users (`/users/{user_id}/upstream-tokens`). \
Creating, listing, finding by slug and disabling tenants, and adding a member by email, are the operator's only. \
A credential's call on another tenant answers 403 `forbidden`; one without the scope, 403 `insufficient-scope`. \
Errors are RFC 9457 `application/problem+json` bodies whose `code` is stable. \
The OAuth 2.1 / OpenID Connect endpoints of each tenant are not described here: see each tenant's discovery document.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        tenants::create_tenant,
        tenants::list_tenants,
        tenants::get_tenant_by_slug,
        tenants::get_tenant,
        tenants::update_tenant,
        tenants::patch_tenant_settings,
        tenants::disable_tenant,
        users::list_users,
        users::get_user,
        users::disable_user,
        users::enable_user,
        users::end_user_sessions,
        users::reset_user_mfa,
        users::resend_verification,
        users::delete_user,
        users::export_user,
        users::import_users,
        users::list_events,
        clients::create_client,
        clients::list_clients,
        clients::get_client,
        clients::update_client,
        clients::rotate_client_secret,
        clients::secret_compromised,
        clients::disable_client,
        clients::enable_client,
        keys::list_keys,
        keys::rotate_keys,
        keys::revoke_key,
        keys::key_compromised,
        upstream::create_provider,
        upstream::list_providers,
        upstream::get_provider,
        upstream::update_provider,
        upstream::delete_provider,
        upstream::user_tokens,
        owners::add_owner,
        owners::list_owners,
        owners::remove_owner,
        owners::set_owner_role,
        invitations::invite,
        invitations::list_invitations,
        invitations::withdraw_invitation,
        blocks::list_blocks,
        blocks::create_block,
        blocks::delete_block,
        webhooks::list_webhooks,
        webhooks::create_webhook,
        webhooks::get_webhook,
        webhooks::update_webhook,
        webhooks::delete_webhook,
        webhooks::rotate_webhook_secret,
        webhooks::test_webhook,
        webhooks::list_deliveries,
        webhooks::get_delivery,
        webhooks::redeliver,
        reports::operator_report,
        openapi_json,
    ),
    modifiers(&SECURITY_SCHEMES, &Problems),
    security(("operator_token" = []), ("api_credential" = [])),
    tags(
        (name = "tenants", description = "Tenants: each one is an OpenID Connect issuer with its own users, clients and keys."),
        (name = "users", description = "A tenant's end users and its audit events."),
        (name = "clients", description = "A tenant's OAuth clients. A client secret is shown once, in the answer that created it."),
        (name = "keys", description = "A tenant's signing keys: list, rotate now, revoke."),
        (name = "upstream", description = "A tenant's upstream identity providers: its users sign in through them (\"Continue with Google\"). The client secret is write-only."),
        (name = "owners", description = "A tenant's team: users of the `platform` tenant who run it from the console (`/dashboard`), each with a role: `owner` (everything, billing and the team included), `admin` (everything but billing and the team), `viewer` (reads only)."),
        (name = "blocks", description = "Addresses blocked on a tenant's pages and endpoints, by the sentinel (docs/sentinel.md) or an operator, until they expire; list and lift them."),
        (name = "webhooks", description = "A tenant's event webhooks (docs/webhooks.md): HTTPS endpoints that receive the events they subscribe to (`user.created`, `login.failed`, `security.incident`…) as signed POSTs, retried for 24 hours; their deliveries, each attempt's answer, sending one again. A signing secret is shown once, in the answer that made it."),
        (name = "reports", description = "The platform operators' daily report across tenants (docs/sentinel.md): each tenant's security figures of a day, churn risks, upgrade candidates and the mails they were sent. The operator token only."),
        (name = "meta", description = "This document."),
    ),
)]
pub struct ManagementApi;

/// The bearer schemes: the operator token and an API credential's token.
const SECURITY_SCHEMES: SecuritySchemes = SecuritySchemes(&[
    (
        OPERATOR_TOKEN,
        Scheme::Bearer {
            description: "The platform operator token, `AUTH_ADMIN_TOKEN`: `Authorization: Bearer <token>`.",
            format: None,
        },
    ),
    (
        API_CREDENTIAL,
        Scheme::Bearer {
            description: "An access token of a tenant's API credential: client_credentials at the `platform` tenant's token endpoint \
                 (`/t/platform/token`) with `resource=connectauth-manage`; scopes `manage:read`, `manage:write`, `manage:users`, `manage:team`, `manage:upstream-tokens`.",
            format: Some("JWT"),
        },
    ),
]);

pub use service_kit::openapi::UnsupportedMediaType;

/// A JSON request body that could not be read.
pub type JsonBody = service_kit::openapi::JsonBody<BadRequest, PayloadTooLarge>;

service_kit::problem_responses! {
    /// Adds every response below to the document's components, with the
    /// `Problem` schema they refer to.
    pub struct Problems;

    /// The request is malformed: invalid JSON, a query string or a field that
    /// does not parse, an unknown field (`bad-request`).
    pub BadRequest;

    /// The bearer token is missing, wrong or no longer valid (`unauthorized`).
    pub Unauthorized ["WWW-Authenticate": String = "`Bearer`"];

    /// An API credential's token on another tenant or on an operator-only
    /// operation (`forbidden`), or without the scope the operation needs
    /// (`insufficient-scope`).
    pub Forbidden;

    /// The tenant, user or client named in the path does not exist
    /// (`tenant-not-found`, `not-found`, `client-not-found`). An id of the wrong
    /// shape is simply one that does not exist.
    pub NotFound;

    /// The request conflicts with an existing resource or a rule (`tenant-slug-taken`,
    /// `tenant-reserved`).
    pub Conflict;

    /// The request body is over the size limit (`payload-too-large`).
    pub PayloadTooLarge;

    /// A field is well-formed but breaks a rule, e.g. a slug with capitals or a
    /// page size out of range; `detail` names the field (`invalid-input`).
    pub InvalidInput;

    /// The client is public: it has no secret (`client-has-no-secret`).
    pub ClientHasNoSecret;

    /// A rule between a client's fields (`invalid-input`; the document
    /// states every single-field rule): `refresh_token` needs
    /// `authorization_code`; `authorization_code` needs a redirect URI; a
    /// public client cannot use `client_credentials` nor set `require_pkce`
    /// to `false`; `refresh_token_idle_secs` is at most
    /// `refresh_token_lifetime_secs`; at most 50 distinct scopes.
    pub ClientRuleBroken;

    /// The tenant has a provider with this slug (`provider-slug-taken`).
    pub ProviderSlugTaken;

    /// Concurrent changes of the same resource (its secret, its settings)
    /// kept colliding (`service-unavailable`); retry after `Retry-After`
    /// seconds.
    pub ChangeCollided ["Retry-After": u64 = "Seconds to wait before retrying"];
}

service_kit::response_set! {
    /// An operation on a resource named in the path: no valid bearer token, a
    /// credential that may not do it, or no such tenant, user or client.
    pub Read { 401: Unauthorized, 403: Forbidden, 404: NotFound }

    /// A query string or a body field that does not parse or breaks a rule.
    pub Invalid { 400: BadRequest, 422: InvalidInput }

    /// A new secret for a client: refused for a public client, or retried
    /// later when concurrent changes collided.
    pub NewClientSecret { 409: ClientHasNoSecret, 503: ChangeCollided }
}

/// The document as served and as committed in `docs/openapi.json`: pretty
/// JSON ending with a newline.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut value = serde_json::to_value(ManagementApi::openapi())
            .expect("an OpenAPI document built from code serialises");
        super::contract::apply(&mut value);
        openapi::render_value(&value)
    })
}

/// This OpenAPI document
///
/// It reveals no secret, so it needs no token.
#[utoipa::path(
    get,
    path = "/manage/v1/openapi.json",
    tag = "meta",
    security(()),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of the management API.",
         content_type = "application/json",
         headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
    ),
)]
pub async fn openapi_json() -> HttpResponse {
    openapi::serve(document())
}
