//! `/dashboard/t/{slug}/webhooks/{id}`: one webhook endpoint and its
//! deliveries, newest first, a page at a time: each one's event type,
//! state, attempts and last answer; for members who may write, the forms
//! that change the endpoint (`console_webhooks`) and "Send again" on any
//! delivery (one attempt, now). Through the `manage` use case the
//! management API uses.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;
use service_kit::paging::PageRequest;

use super::console_webhooks::{not_found_or_internal, webhooks_member, webhooks_path};
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use super::render::short_time;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::webhook::delivery::Delivery;
use crate::manage::Actor;

csrf_field!(RedeliverForm);

/// Deliveries shown on one page.
const PAGE: u32 = 50;

pub fn webhook_path(slug: &str, id: &str) -> String {
    format!("{}/{id}", webhooks_path(slug))
}

#[derive(Deserialize)]
pub struct DeliveriesQuery {
    /// `tested` or `redelivered`: what the last form did.
    done: Option<String>,
    /// The cursor of the next page ("Older deliveries").
    after: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RedeliverForm {
    csrf: String,
}

pub async fn show_webhook(
    ctx: PlatformPageCtx,
    path: web::Path<(String, String)>,
    q: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (_, tenant) = webhooks_member(&ctx, &slug, Access::Read).await?;
    let notice = match q.done.as_deref() {
        Some("tested") => Some(ctx.text("webhooks_tested")),
        Some("redelivered") => Some(ctx.text("webhooks_redelivered")),
        Some("enabled") => Some(ctx.text("webhooks_enabled")),
        Some("disabled") => Some(ctx.text("webhooks_disabled")),
        _ => None,
    };
    let shown = Shown {
        status: StatusCode::OK,
        notice,
        error: None,
    };
    endpoint_page(&ctx, &tenant, &id, shown, q.after.clone()).await
}

/// What the endpoint page says above its content, and with which status.
pub(super) struct Shown {
    pub status: StatusCode,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// The endpoint `id` of `tenant` and a page of its deliveries (from
/// `after`, the cursor of "Older deliveries").
pub(super) async fn endpoint_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    id: &str,
    shown: Shown,
    after: Option<String>,
) -> Result<HttpResponse, PageError> {
    let slug = tenant.slug.as_ref();
    let webhooks = &ctx.state.manage.webhooks;
    let endpoint = webhooks
        .get(tenant.id, id)
        .await
        .map_err(not_found_or_internal)?;
    let page = PageRequest::parse(Some(PAGE), after).map_err(PageError::internal)?;
    // A cursor that is not one this page made is a URL typed by hand.
    let found = webhooks
        .deliveries(tenant.id, id, &page)
        .await
        .map_err(|e| match e.webhook_rule() {
            Some(_) => PageError::TenantNotFound,
            None => not_found_or_internal(e),
        })?;
    let here = webhook_path(slug, id);
    let rows: Vec<Value> = found.items.iter().map(|d| delivery_row(ctx, d)).collect();
    let next = found.next_after.map(|after| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("after", &after)
            .finish();
        format!("{here}?{query}")
    });
    ctx.render(
        shown.status,
        "webhook.html",
        context! {
            wide => true,
            heading => ctx.text_with("webhooks_endpoint_title", &[("url", &endpoint.url)]),
            action => here,
            url => &endpoint.url,
            description => &endpoint.description,
            events => endpoint.events.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            enabled => endpoint.disabled.is_none(),
            state => ctx.text(if endpoint.disabled.is_none() { "webhooks_on" } else { "webhooks_off" }),
            disabled_since => endpoint.disabled.as_ref().map(|(at, _)| short_time(Some(*at))),
            disabled_reason => endpoint.disabled.as_ref().map(|(_, why)| why),
            failing_since => endpoint.failing_since.map(|at| short_time(Some(at))),
            deliveries => rows,
            next,
            back => webhooks_path(slug),
            notice => shown.notice,
            error => shown.error,
        },
    )
}

pub async fn submit_redeliver(
    PageForm { ctx, .. }: PlatformForm<RedeliverForm>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id, delivery) = path.into_inner();
    let (member, tenant) = webhooks_member(&ctx, &slug, Access::Write).await?;
    ctx.state
        .manage
        .webhooks
        .redeliver(tenant.id, &id, &delivery, &Actor::Owner(member.id))
        .await
        .map_err(not_found_or_internal)?;
    Ok(ctx.redirect_to(&format!("{}?done=redelivered", webhook_path(&slug, &id))))
}

fn delivery_row(ctx: &PageCtx, d: &Delivery) -> Value {
    context! {
        id => &d.id,
        event_type => &d.event_type,
        state_name => &d.state,
        state => ctx.text(&format!("webhooks_state_{}", d.state)),
        attempts => d.attempts,
        last_status => d.last_status,
        last_error => &d.last_error,
        created => short_time(Some(d.created_at)),
        delivered => short_time(d.delivered_at),
    }
}
