//! `/manage/v1/tenants/{id}/webhooks`: a tenant's event webhook endpoints
//! (docs/webhooks.md), their deliveries, and sending one again. A signing
//! secret leaves the server only in the answer that made it (creation or
//! rotation), with `Cache-Control: no-store`.
use actix_web::http::header;
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::ApiError;
use utoipa::ToSchema;

use super::list_query::ListQuery;
use super::openapi::{ChangeCollided, Invalid, JsonBody, Read};
use super::paths::{DeliveryPath, TenantPath, WebhookPath};
use super::tenants::rfc3339;
use crate::domain::api_credential::ManageScope;
use crate::domain::webhook::delivery::{Attempt, Delivery, PENDING};
use crate::http::extract::ManageCaller;
use crate::manage::webhooks::{DeliveryLog, Endpoint, EndpointDraft, EndpointPatch};
use crate::state::AppState;

/// A new webhook endpoint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookBody {
    /// Where deliveries are POSTed: https, on a public address.
    #[schema(example = "https://hooks.acme.example/connectauth")]
    url: String,
    /// What it is for, shown in the console.
    #[serde(default)]
    #[schema(example = "CRM sync")]
    description: String,
    /// The event types it receives (docs/webhooks.md lists them).
    #[schema(example = json!(["user.created", "security.incident"]))]
    events: Vec<String>,
}

/// A change to an endpoint: what is left out stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookBody {
    url: Option<String>,
    description: Option<String>,
    events: Option<Vec<String>>,
    /// `false` stops its deliveries (they wait); `true` starts them again
    /// and forgets past failures.
    enabled: Option<bool>,
}

/// An endpoint, never its secret.
#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(example = "whk_3f2c1a0b9d8e4f7a6b5c4d3e2f1a0b9c")]
    id: String,
    url: String,
    description: String,
    events: Vec<String>,
    enabled: bool,
    /// Why it is disabled: by whom, or after failing for the retry period.
    disabled_reason: Option<String>,
    /// Since when every attempt has failed; absent while it answers.
    #[schema(format = DateTime)]
    failing_since: Option<String>,
    /// Until when deliveries carry a signature by the secret it replaced.
    #[schema(format = DateTime)]
    previous_secret_until: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<Endpoint> for WebhookView {
    fn from(e: Endpoint) -> Self {
        Self {
            events: e.events.iter().map(|t| t.as_str().to_owned()).collect(),
            enabled: e.disabled.is_none(),
            disabled_reason: e.disabled.map(|(_, why)| why),
            failing_since: e.failing_since.map(rfc3339),
            previous_secret_until: e.previous_secret_until.map(rfc3339),
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
            id: e.id,
            url: e.url,
            description: e.description,
        }
    }
}

/// An endpoint with its signing secret: in this answer only.
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    webhook: WebhookView,
    /// `whsec_…`: the HMAC-SHA256 key of the `ConnectAuth-Signature` header.
    secret: String,
}

/// The tenant's endpoints, oldest first.
#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    items: Vec<WebhookView>,
}

/// One delivery of an event to an endpoint.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    id: String,
    webhook_id: String,
    /// The event's id, the same across attempts and redeliveries.
    event_id: String,
    #[schema(example = "user.created")]
    event_type: String,
    /// `pending`, `delivered` or `failed` (given up after the retry period).
    state: String,
    attempts: i64,
    /// The status of the last answer; absent when there was none.
    last_status: Option<i64>,
    /// Why the last attempt got no answer.
    last_error: Option<String>,
    /// When a pending delivery is tried next.
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    delivered_at: Option<String>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        let pending = d.state == PENDING;
        Self {
            next_attempt_at: pending.then(|| rfc3339(d.next_attempt_at)),
            created_at: rfc3339(d.created_at),
            delivered_at: d.delivered_at.map(rfc3339),
            id: d.id,
            webhook_id: d.endpoint_id,
            event_id: d.event_id,
            event_type: d.event_type,
            state: d.state,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
        }
    }
}

service_kit::page_of! {
    /// A page of an endpoint's deliveries, newest first.
    pub DeliveryList of DeliveryView
}

/// One attempt of a delivery.
#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    #[schema(format = DateTime)]
    attempted_at: String,
    status: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        Self {
            attempted_at: rfc3339(a.attempted_at),
            status: a.status,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// A delivery with its body and every attempt.
#[derive(Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    delivery: DeliveryView,
    /// The JSON body sent (the signature is computed over these bytes).
    payload: String,
    /// Every attempt, oldest first.
    attempt_log: Vec<AttemptView>,
}

impl From<DeliveryLog> for DeliveryDetail {
    fn from(log: DeliveryLog) -> Self {
        Self {
            payload: log.delivery.payload.clone(),
            delivery: log.delivery.into(),
            attempt_log: log.attempts.into_iter().map(Into::into).collect(),
        }
    }
}

/// The test delivery queued.
#[derive(Serialize, ToSchema)]
pub struct TestDelivery {
    delivery_id: String,
}

fn with_secret(
    mut resp: actix_web::HttpResponseBuilder,
    webhook: Endpoint,
    secret: &service_kit::secret::Secret,
) -> HttpResponse {
    resp.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WebhookWithSecret {
            webhook: webhook.into(),
            secret: secret.expose().to_owned(),
        })
}

/// List a tenant's webhook endpoints
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/webhooks",
    tag = "webhooks",
    params(TenantPath),
    responses(
        (status = 200, description = "The endpoints, oldest first.", body = WebhookList),
        Read,
    ),
)]
pub async fn list_webhooks(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
) -> Result<Json<WebhookList>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let items = state.manage.webhooks.list(tenant.id).await?;
    Ok(Json(WebhookList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Add a webhook endpoint
///
/// Its signing secret is in this answer only (`Cache-Control: no-store`).
/// At most 20 endpoints per tenant.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/webhooks",
    tag = "webhooks",
    params(TenantPath),
    request_body = CreateWebhookBody,
    responses(
        (status = 201, description = "The endpoint with its signing secret.", body = WebhookWithSecret,
         headers(
             ("Location" = String, description = "`/manage/v1/tenants/{id}/webhooks/{webhook_id}`"),
             ("Cache-Control" = String, description = "`no-store`"),
         )),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn create_webhook(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<CreateWebhookBody>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let body = body.into_inner();
    let draft = EndpointDraft {
        url: body.url,
        description: body.description,
        events: body.events,
    };
    let (webhook, secret) = state
        .manage
        .webhooks
        .create(tenant.id, &draft, &caller.actor())
        .await?;
    let mut resp = HttpResponse::Created();
    resp.insert_header((
        header::LOCATION,
        format!("/manage/v1/tenants/{}/webhooks/{}", tenant.id, webhook.id),
    ));
    Ok(with_secret(resp, webhook, &secret))
}

/// Get a webhook endpoint
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/webhooks/{webhook_id}",
    tag = "webhooks",
    params(TenantPath, WebhookPath),
    responses(
        (status = 200, description = "The endpoint (never its secret).", body = WebhookView),
        Read,
    ),
)]
pub async fn get_webhook(
    caller: ManageCaller,
    state: web::Data<AppState>,
    WebhookPath { tenant, webhook_id }: WebhookPath,
) -> Result<Json<WebhookView>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let webhook = state.manage.webhooks.get(tenant.id, &webhook_id).await?;
    Ok(Json(webhook.into()))
}

/// Change a webhook endpoint
#[utoipa::path(
    patch,
    path = "/manage/v1/tenants/{id}/webhooks/{webhook_id}",
    tag = "webhooks",
    params(TenantPath, WebhookPath),
    request_body = UpdateWebhookBody,
    responses(
        (status = 200, description = "The endpoint as changed.", body = WebhookView),
        (status = 503, response = ChangeCollided),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn update_webhook(
    caller: ManageCaller,
    state: web::Data<AppState>,
    WebhookPath { tenant, webhook_id }: WebhookPath,
    body: JsonObject<UpdateWebhookBody>,
) -> Result<Json<WebhookView>, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let body = body.into_inner();
    let patch = EndpointPatch {
        url: body.url,
        description: body.description,
        events: body.events,
        enabled: body.enabled,
    };
    let webhook = state
        .manage
        .webhooks
        .update(tenant.id, &webhook_id, &patch, &caller.actor())
        .await?;
    Ok(Json(webhook.into()))
}

/// Delete a webhook endpoint
///
/// Its pending deliveries and its delivery log go with it.
#[utoipa::path(
    delete,
    path = "/manage/v1/tenants/{id}/webhooks/{webhook_id}",
    tag = "webhooks",
    params(TenantPath, WebhookPath),
    responses(
        (status = 204, description = "The endpoint is deleted."),
        Read,
    ),
)]
pub async fn delete_webhook(
    caller: ManageCaller,
    state: web::Data<AppState>,
    WebhookPath { tenant, webhook_id }: WebhookPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    state
        .manage
        .webhooks
        .delete(tenant.id, &webhook_id, &caller.actor())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a webhook endpoint's signing secret
///
/// The new secret is in this answer only. For 24 hours deliveries carry a
/// signature by the old secret too (two `v1=` in the header), so the
/// receiver can switch without refusing any. Rotations at the same moment
/// are taken one after the other: each replaces the secret the one before
/// it made, as if they had come in turn.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/webhooks/{webhook_id}/rotate-secret",
    tag = "webhooks",
    params(TenantPath, WebhookPath),
    responses(
        (status = 200, description = "The endpoint with its new secret.", body = WebhookWithSecret,
         headers(("Cache-Control" = String, description = "`no-store`"))),
        Read,
        (status = 503, response = ChangeCollided),
    ),
)]
pub async fn rotate_webhook_secret(
    caller: ManageCaller,
    state: web::Data<AppState>,
    WebhookPath { tenant, webhook_id }: WebhookPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let (webhook, secret) = state
        .manage
        .webhooks
        .rotate_secret(tenant.id, &webhook_id, &caller.actor())
        .await?;
    Ok(with_secret(HttpResponse::Ok(), webhook, &secret))
}

/// Send a test event
///
/// Queues a `webhook.test` delivery to the endpoint; it is sent within a
/// second or two, retried like any other, and listed in its deliveries.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/webhooks/{webhook_id}/test",
    tag = "webhooks",
    params(TenantPath, WebhookPath),
    responses(
        (status = 202, description = "The test delivery is queued.", body = TestDelivery),
        Read,
    ),
)]
pub async fn test_webhook(
    caller: ManageCaller,
    state: web::Data<AppState>,
    WebhookPath { tenant, webhook_id }: WebhookPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let delivery_id = state
        .manage
        .webhooks
        .send_test(&tenant, &webhook_id)
        .await?;
    Ok(HttpResponse::Accepted().json(TestDelivery { delivery_id }))
}

/// List a webhook endpoint's deliveries
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/webhooks/{webhook_id}/deliveries",
    tag = "webhooks",
    params(TenantPath, WebhookPath, ListQuery),
    responses(
        (status = 200, description = "A page of the deliveries, newest first.", body = DeliveryList),
        Read, Invalid,
    ),
)]
pub async fn list_deliveries(
    caller: ManageCaller,
    state: web::Data<AppState>,
    WebhookPath { tenant, webhook_id }: WebhookPath,
    query: web::Query<ListQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let page = state
        .manage
        .webhooks
        .deliveries(tenant.id, &webhook_id, &query.page()?)
        .await?;
    Ok(Json(DeliveryList::of(page, DeliveryView::from)))
}

/// Get a delivery with its attempts
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}",
    tag = "webhooks",
    params(TenantPath, DeliveryPath),
    responses(
        (status = 200, description = "The delivery, its body and every attempt.", body = DeliveryDetail),
        Read,
    ),
)]
pub async fn get_delivery(
    caller: ManageCaller,
    state: web::Data<AppState>,
    path: DeliveryPath,
) -> Result<Json<DeliveryDetail>, ApiError> {
    caller.may(path.tenant, ManageScope::Read)?;
    let log = state
        .manage
        .webhooks
        .delivery(path.tenant, &path.webhook_id, &path.delivery_id)
        .await?;
    Ok(Json(log.into()))
}

/// Send a delivery again
///
/// One attempt, now, whatever became of it before (delivered, failed or
/// pending); if it fails it is not retried.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    tag = "webhooks",
    params(TenantPath, DeliveryPath),
    responses(
        (status = 202, description = "The delivery is queued for one attempt.", body = DeliveryDetail),
        Read,
    ),
)]
pub async fn redeliver(
    caller: ManageCaller,
    state: web::Data<AppState>,
    path: DeliveryPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(path.tenant, ManageScope::Write)?;
    let log = state
        .manage
        .webhooks
        .redeliver(
            path.tenant,
            &path.webhook_id,
            &path.delivery_id,
            &caller.actor(),
        )
        .await?;
    Ok(HttpResponse::Accepted().json(DeliveryDetail::from(log)))
}
