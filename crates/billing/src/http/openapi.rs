//! The OpenAPI 3.1 document of the billing API, generated from the handlers'
//! `#[utoipa::path]` annotations and the bodies' `ToSchema` derives.
//! `GET /v1/openapi.json` serves it; `docs/billing-openapi.json` is a copy
//! that `tests/openapi.rs` keeps byte for byte in sync (see `docs/api.md`).
use std::sync::OnceLock;

use actix_web::HttpResponse;
use service_kit::openapi::{self, Scheme, SecuritySchemes};
use utoipa::OpenApi;

use super::{payments, plans, tenants, usage, webhooks};

/// The bearer scheme of every `/v1` operation but the catalogue and this
/// document (also spelled out in each `security(...)`, where the macro wants
/// a literal).
pub const PLATFORM_TOKEN: &str = "platform_token";
/// The scheme of `POST /webhooks/stripe`.
pub const STRIPE_SIGNATURE: &str = "stripe_signature";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ConnectAuth billing API",
        version = env!("CARGO_PKG_VERSION"),
        description = "Plans, monthly-active-user metering and quotas, entitlements, Stripe Checkout, the Customer Portal and Stripe's webhooks (`docs/billing.md` describes the semantics). \
Every `/v1` operation except `GET /v1/plans` and this document needs a bearer access token (a JWT) of the `platform` tenant with the billing audience; \
the scopes each operation accepts are listed in its `security`: services use `billing:usage`, `billing:entitlements` or `billing:admin` (every tenant); \
a tenant owner's token has `billing:manage` and the claim `billing_tenant` naming the one tenant it may act on. \
`POST /webhooks/stripe` is for Stripe only and is authenticated by its `Stripe-Signature` header. \
Errors are RFC 9457 `application/problem+json` bodies whose `code` is stable. \
Any operation can also answer 500 (`internal`), and any operation that checks a token 503 (`service-unavailable`, with `Retry-After`) while the platform tenant's keys cannot be fetched.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        plans::list,
        usage::report,
        tenants::entitlements,
        tenants::subscription,
        tenants::set_plan,
        tenants::usage,
        tenants::account,
        tenants::set_account,
        tenants::invoices,
        payments::checkout,
        payments::portal,
        webhooks::stripe,
        openapi_json,
    ),
    modifiers(&SECURITY_SCHEMES, &Problems),
    tags(
        (name = "plans", description = "The plan catalogue."),
        (name = "usage", description = "Monthly-active-user metering, as the auth server reports it."),
        (name = "tenants", description = "One tenant's entitlements, subscription, usage, account and invoices."),
        (name = "payments", description = "Stripe Checkout and the Customer Portal. Answer 409 `billing-not-configured` when billing runs without a Stripe key."),
        (name = "webhooks", description = "Stripe's event deliveries."),
        (name = "meta", description = "This document."),
    ),
)]
pub struct BillingApi;

/// The platform bearer token and the Stripe signature.
const SECURITY_SCHEMES: SecuritySchemes = SecuritySchemes(&[
    (
        PLATFORM_TOKEN,
        Scheme::Bearer {
            description:
                "An access token of the `platform` tenant (`BILLING_ISSUER`) for the audience \
                 `BILLING_AUDIENCE` (`connectauth-billing`): `Authorization: Bearer <token>`. \
                 The scopes of each operation's requirement are the token's `scope` values \
                 that let it in; any one listed requirement suffices. `billing:admin` acts on \
                 every tenant; `billing:manage` only on the tenant named by the token's \
                 `billing_tenant` claim.",
            format: Some("JWT"),
        },
    ),
    (
        STRIPE_SIGNATURE,
        Scheme::Header {
            header: "Stripe-Signature",
            description:
                "Stripe's signature of the raw body, `t=<unix seconds>,v1=<hex HMAC-SHA256>`, \
                 under a secret of `BILLING_STRIPE_WEBHOOK_SECRETS`; `t` must be within \
                 `BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS` of now. At most 1024 bytes and 5 `v1` \
                 signatures of exactly 64 hex digits.",
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

    /// The request is malformed: invalid JSON, a query string that does not
    /// parse, an unknown field (`bad-request`).
    pub BadRequest;

    /// No bearer token (`unauthorized`), or one that is not valid here: of
    /// another issuer or audience, expired, forged (`invalid-token`).
    pub Unauthorized ["WWW-Authenticate": String = "`Bearer`, with `error=\"invalid_token\"` for a refused token"];

    /// The token lacks the scope this operation needs (`insufficient-scope`,
    /// with a `WWW-Authenticate` challenge), or is an owner token (`billing:manage`)
    /// used on another tenant than its `billing_tenant` claim, or without that
    /// claim (`forbidden`).
    pub Forbidden ["WWW-Authenticate": String = "`Bearer error=\"insufficient_scope\"` when a scope is missing"];

    /// Not possible in the current state: billing runs without a Stripe key
    /// (`billing-not-configured`), or the tenant has no paid subscription to
    /// manage (`no-subscription`).
    pub Conflict;

    /// The request body is over `BILLING_BODY_LIMIT` (`payload-too-large`).
    pub PayloadTooLarge;

    /// A field is well-formed but breaks a rule, e.g. a tenant id that is not a
    /// hyphenated UUID, an unknown plan, a return URL that is not absolute
    /// http(s); `detail` names the field (`invalid-input`). Free and Enterprise
    /// cannot be bought online (`plan-not-purchasable`).
    pub InvalidInput;

    /// Stripe refused or failed the request; it has been logged
    /// (`payment-provider`).
    pub BadGateway;

    /// Stripe cannot be reached, or the platform tenant's keys cannot be fetched
    /// to check the token (`service-unavailable`): try again later.
    pub Unavailable ["Retry-After": u64 = "Seconds to wait before retrying."];

    /// The `Stripe-Signature` header is missing, malformed (over 1024 bytes, more
    /// than 5 `v1` signatures, one not 64 hex digits) or does not verify, or its
    /// timestamp is out of tolerance (`webhook-signature`); or the signed body is
    /// not a Stripe event (`bad-request`). Nothing is stored.
    pub WebhookRefused;

    /// Too many deliveries from this address failed their `Stripe-Signature`
    /// lately: it is refused, unchecked, until `Retry-After`
    /// (`too-many-requests`).
    pub TooManyRequests ["Retry-After": u64 = "Seconds until the address is heard again."];
}

service_kit::response_set! {
    /// An operation on one tenant: no valid token, a token without the scope
    /// or for another tenant, a tenant id that is not a UUID.
    pub Scoped { 401: Unauthorized, 403: Forbidden, 422: InvalidInput }

    /// A call to Stripe: billing without a Stripe key, or Stripe refusing,
    /// failing or unreachable.
    pub Stripe { 409: Conflict, 502: BadGateway, 503: Unavailable }
}

/// The document as served and as committed in `docs/billing-openapi.json`:
/// pretty JSON ending with a newline.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| openapi::render(&BillingApi::openapi()))
}

/// This OpenAPI document
///
/// It reveals no secret, so it needs no token.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    security(()),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of the billing API.",
         content_type = "application/json",
         headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
    ),
)]
pub async fn openapi_json() -> HttpResponse {
    openapi::serve(document())
}
