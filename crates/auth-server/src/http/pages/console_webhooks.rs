//! `/dashboard/t/{slug}/webhooks`: a tenant's event webhook endpoints in
//! the console (docs/webhooks.md): each one's URL, events, state and
//! failures; for members who may write, add one (its signing secret shown
//! this once, with how to verify it); on an endpoint's page
//! (`console_webhook_deliveries`, with its deliveries) turn it off and on,
//! rotate its secret (the new one shown once), send it a test event, and
//! delete it after confirming. Every change goes through the `manage` use
//! case the management API uses, so its rules refuse the same things here.
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;

use super::console::{owner_of_at, Switch};
use super::console_webhook_deliveries::{endpoint_page, webhook_path, Shown};
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use super::render::short_time;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::user::User;
use crate::domain::webhook::event::EventType;
use crate::manage::webhooks::{Endpoint, EndpointDraft, EndpointPatch};
use crate::manage::{Actor, ManageError};

csrf_field!(AddForm, DeleteForm, TokenForm);

pub fn webhooks_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/webhooks")
}

#[derive(Deserialize)]
pub struct WebhooksQuery {
    /// `deleted`: what the last form did.
    done: Option<String>,
}

/// A new endpoint: its URL, what it is for, and one checkbox per event
/// type, named by the type (`user.created`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    csrf: String,
    url: String,
    description: String,
    #[serde(flatten)]
    ticked: BTreeMap<String, String>,
}

impl AddForm {
    /// The event types ticked, in the documented order.
    fn events(&self) -> Vec<String> {
        EventType::ALL
            .iter()
            .map(|t| t.as_str())
            .filter(|name| self.ticked.contains_key(*name))
            .map(str::to_owned)
            .collect()
    }
}

/// The forms that send only their token (enable, disable, rotate, test).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    csrf: String,
    /// A checkbox the member ticks to say they understand.
    confirm: Option<String>,
}

/// The member and the tenant `slug`, when their role allows `access`.
pub(super) async fn webhooks_member(
    ctx: &PageCtx,
    slug: &str,
    access: Access,
) -> Result<(User, Tenant), PageError> {
    owner_of_at(ctx, slug, &webhooks_path(slug), access).await
}

pub async fn show_webhooks(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<WebhooksQuery>,
) -> Result<HttpResponse, PageError> {
    let (_, tenant) = webhooks_member(&ctx, &slug, Access::Read).await?;
    let notice = match q.done.as_deref() {
        Some("deleted") => Some(ctx.text("webhooks_deleted")),
        _ => None,
    };
    let blank = AddForm::default();
    webhooks_page(&ctx, &tenant, StatusCode::OK, notice, None, &blank).await
}

pub async fn submit_add(
    PageForm { ctx, form }: PlatformForm<AddForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (member, tenant) = webhooks_member(&ctx, &slug, Access::Write).await?;
    let draft = EndpointDraft {
        url: form.url.trim().to_owned(),
        description: form.description.clone(),
        events: form.events(),
    };
    let webhooks = &ctx.state.manage.webhooks;
    match webhooks
        .create(tenant.id, &draft, &Actor::Owner(member.id))
        .await
    {
        Ok((endpoint, secret)) => secret_page(
            &ctx,
            &tenant,
            StatusCode::CREATED,
            &endpoint,
            secret.expose(),
        ),
        Err(e) => {
            let error = refusal(&ctx, e)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            webhooks_page(&ctx, &tenant, status, None, Some(error), &form).await
        }
    }
}

pub async fn submit_switch(
    PageForm { ctx, .. }: PlatformForm<TokenForm>,
    path: web::Path<(String, String, Switch)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id, switch) = path.into_inner();
    let (member, tenant) = webhooks_member(&ctx, &slug, Access::Write).await?;
    let patch = EndpointPatch {
        enabled: Some(switch.is_on()),
        ..EndpointPatch::default()
    };
    ctx.state
        .manage
        .webhooks
        .update(tenant.id, &id, &patch, &Actor::Owner(member.id))
        .await
        .map_err(not_found_or_internal)?;
    let done = switch.done();
    Ok(ctx.redirect_to(&format!("{}?done={done}", webhook_path(&slug, &id))))
}

pub async fn submit_delete(
    PageForm { ctx, form }: PlatformForm<DeleteForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (member, tenant) = webhooks_member(&ctx, &slug, Access::Write).await?;
    if form.confirm.is_none() {
        let shown = Shown {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: None,
            error: Some(ctx.text("webhooks_delete_unconfirmed")),
        };
        return endpoint_page(&ctx, &tenant, &id, shown, None).await;
    }
    ctx.state
        .manage
        .webhooks
        .delete(tenant.id, &id, &Actor::Owner(member.id))
        .await
        .map_err(not_found_or_internal)?;
    Ok(ctx.redirect_to(&format!("{}?done=deleted", webhooks_path(&slug))))
}

pub async fn submit_rotate(
    PageForm { ctx, .. }: PlatformForm<TokenForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (member, tenant) = webhooks_member(&ctx, &slug, Access::Write).await?;
    let (endpoint, secret) = ctx
        .state
        .manage
        .webhooks
        .rotate_secret(tenant.id, &id, &Actor::Owner(member.id))
        .await
        .map_err(not_found_or_internal)?;
    secret_page(&ctx, &tenant, StatusCode::OK, &endpoint, secret.expose())
}

pub async fn submit_test(
    PageForm { ctx, .. }: PlatformForm<TokenForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let (_, tenant) = webhooks_member(&ctx, &slug, Access::Write).await?;
    ctx.state
        .manage
        .webhooks
        .send_test(&tenant, &id)
        .await
        .map_err(not_found_or_internal)?;
    Ok(ctx.redirect_to(&format!("{}?done=tested", webhook_path(&slug, &id))))
}

/// Another tenant's or an unknown endpoint (or delivery) is the same 404 as
/// an unknown tenant; anything else is the server's failure (or, for
/// rotations that kept colliding, worth trying again in a second: see
/// [`PageError::internal`]).
pub(super) fn not_found_or_internal(e: ManageError) -> PageError {
    if e.is_webhook_not_found() {
        PageError::TenantNotFound
    } else {
        PageError::internal(e)
    }
}

/// A refusal the member can mend (a broken rule: a bad URL, no event, too
/// many endpoints), as the text shown on the form.
fn refusal(ctx: &PageCtx, e: ManageError) -> Result<String, PageError> {
    match e.webhook_rule() {
        Some(rule) => Ok(ctx.refused_text(rule)),
        None => Err(not_found_or_internal(e)),
    }
}

/// The signing secret of a new (or rotated) endpoint, shown this once
/// (every page is `no-store`), with until when the one it replaced still
/// signs after a rotation.
fn secret_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    endpoint: &Endpoint,
    secret: &str,
) -> Result<HttpResponse, PageError> {
    let slug = tenant.slug.as_ref();
    ctx.render(
        status,
        "webhook_secret.html",
        context! {
            wide => true,
            heading => ctx.text("webhooks_secret_title"),
            id => &endpoint.id,
            url => &endpoint.url,
            secret,
            previous_until => endpoint.previous_secret_until.map(|at| short_time(Some(at))),
            endpoint_url => webhook_path(slug, &endpoint.id),
            back => webhooks_path(slug),
        },
    )
}

fn endpoint_row(ctx: &PageCtx, slug: &str, e: &Endpoint) -> Value {
    context! {
        id => &e.id,
        url => &e.url,
        description => &e.description,
        events => e.events.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        state => ctx.text(if e.disabled.is_none() { "webhooks_on" } else { "webhooks_off" }),
        disabled_since => e.disabled.as_ref().map(|(at, _)| short_time(Some(*at))),
        disabled_reason => e.disabled.as_ref().map(|(_, why)| why),
        failing_since => e.failing_since.map(|at| short_time(Some(at))),
        page => webhook_path(slug, &e.id),
    }
}

async fn webhooks_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    typed: &AddForm,
) -> Result<HttpResponse, PageError> {
    let slug = tenant.slug.as_ref();
    let endpoints: Vec<Value> = ctx
        .state
        .manage
        .webhooks
        .list(tenant.id)
        .await
        .map_err(PageError::internal)?
        .iter()
        .map(|e| endpoint_row(ctx, slug, e))
        .collect();
    let ticked = typed.events();
    let events: Vec<Value> = EventType::ALL
        .iter()
        .map(|t| context! { name => t.as_str(), ticked => ticked.iter().any(|n| n == t.as_str()) })
        .collect();
    ctx.render(
        status,
        "webhooks.html",
        context! {
            wide => true,
            heading => ctx.text_with("webhooks_title", &[("tenant", tenant.display_name.as_ref())]),
            action => webhooks_path(slug),
            endpoints,
            events,
            typed_url => &typed.url,
            typed_description => &typed.description,
            notice,
            error,
        },
    )
}

#[cfg(test)]
mod tests {
    use actix_web::FromRequest;

    use super::*;

    #[tokio::test]
    async fn ticked_event_types_are_read_in_the_documented_order() {
        let (req, mut payload) = actix_web::test::TestRequest::post()
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(
                "csrf=t&url=https%3A%2F%2Fh.example&login.failed=on&user.created=on&bogus=on",
            )
            .to_http_parts();
        let form = web::Form::<AddForm>::from_request(&req, &mut payload)
            .await
            .expect("parses");
        assert_eq!(
            (form.csrf.as_str(), form.url.as_str()),
            ("t", "https://h.example")
        );
        assert_eq!(form.events(), ["user.created", "login.failed"]);
    }
}
