//! `connectauth tenant webhooks|add-webhook|enable-webhook|disable-webhook|
//! remove-webhook|rotate-webhook-secret|test-webhook|webhook-deliveries|
//! redeliver-webhook`: a tenant's webhook endpoints, through the same use
//! case as the management API (every change audited as the operator's).
//! The CLI sends nothing: the running auth server delivers what these
//! commands queue.
use anyhow::anyhow;
use auth_server::domain::tenant::Tenant;
use auth_server::domain::webhook::endpoint::WebhookRuleError;
use auth_server::domain::webhook::event::EventType;
use auth_server::manage::webhooks::{Endpoint, EndpointDraft, EndpointPatch, WebhookEndpoints};
use auth_server::manage::{Actor, ManageError};
use service_kit::paging::PageRequest;
use service_kit::secret::Secret;

use super::refused::refused;
use super::tenant::find;
use super::when::when;
use crate::args::TenantCommand;

const SECRET_WARNING: &str = "warning: store this signing secret now, somewhere safe: it is shown \
only this once and cannot be recovered (if lost, rotate it with `connectauth tenant \
rotate-webhook-secret`)";

pub async fn run(command: TenantCommand) -> anyhow::Result<()> {
    let manage = crate::services::auth_manage().await?.manage;
    let (tenants, webhooks) = (&manage.tenants, &manage.webhooks);
    let operator = &Actor::Operator;
    match command {
        TenantCommand::Webhooks { tenant } => {
            let tenant = find(tenants, &tenant).await?;
            let listed = webhooks.list(tenant.id).await.map_err(rule)?;
            println!(
                "{:<36}  {:<8}  {:<25}  {:<40}  {:<30}  disabled",
                "id", "state", "failing since", "url", "events"
            );
            for e in &listed {
                print_row(e);
            }
        }
        TenantCommand::AddWebhook {
            tenant,
            url,
            events,
            description,
        } => {
            let tenant = find(tenants, &tenant).await?;
            let draft = EndpointDraft {
                url,
                description,
                events,
            };
            let (created, secret) = webhooks
                .create(tenant.id, &draft, operator)
                .await
                .map_err(rule)?;
            println!(
                "added webhook endpoint {} to tenant {}: {} ({})",
                created.id,
                tenant.slug,
                created.url,
                events_of(&created)
            );
            println!("the running auth server sends it the events it subscribes to");
            print_secret(&secret);
        }
        TenantCommand::EnableWebhook { tenant, webhook } => {
            let tenant = find(tenants, &tenant).await?;
            let e = switch(webhooks, &tenant, &webhook, true, operator).await?;
            println!(
                "enabled webhook endpoint {} ({}) of {}",
                e.id, e.url, tenant.slug
            );
        }
        TenantCommand::DisableWebhook { tenant, webhook } => {
            let tenant = find(tenants, &tenant).await?;
            let e = switch(webhooks, &tenant, &webhook, false, operator).await?;
            println!(
                "disabled webhook endpoint {} ({}) of {}: its deliveries wait until it is enabled",
                e.id, e.url, tenant.slug
            );
        }
        TenantCommand::RemoveWebhook { tenant, webhook } => {
            let tenant = find(tenants, &tenant).await?;
            webhooks
                .delete(tenant.id, &webhook, operator)
                .await
                .map_err(rule)?;
            println!("removed webhook endpoint {webhook} from {}", tenant.slug);
        }
        TenantCommand::RotateWebhookSecret { tenant, webhook } => {
            let tenant = find(tenants, &tenant).await?;
            let (endpoint, secret) = webhooks
                .rotate_secret(tenant.id, &webhook, operator)
                .await
                .map_err(rule)?;
            println!("rotated the signing secret of webhook endpoint {webhook}");
            if let Some(until) = endpoint.previous_secret_until {
                println!(
                    "the previous secret keeps signing beside it until {}",
                    when(until)
                );
            }
            print_secret(&secret);
        }
        TenantCommand::TestWebhook { tenant, webhook } => {
            let tenant = find(tenants, &tenant).await?;
            let delivery = webhooks.send_test(&tenant, &webhook).await.map_err(rule)?;
            println!("queued a webhook.test delivery to {webhook}: {delivery}");
            println!(
                "the running auth server sends it within seconds; follow it with \
                 `connectauth tenant webhook-deliveries {} {webhook}`",
                tenant.slug
            );
        }
        TenantCommand::WebhookDeliveries {
            tenant,
            webhook,
            limit,
            after,
        } => {
            let page =
                PageRequest::parse(Some(limit), after).map_err(|e| anyhow!("--limit: {e}"))?;
            let tenant = find(tenants, &tenant).await?;
            let page = webhooks
                .deliveries(tenant.id, &webhook, &page)
                .await
                .map_err(rule)?;
            println!(
                "{:<36}  {:<25}  {:<22}  {:<9}  {:<8}  last answer",
                "id", "created", "type", "state", "attempts"
            );
            for d in &page.items {
                let answer = match (d.last_status, &d.last_error) {
                    (_, Some(error)) => error.clone(),
                    (Some(status), None) => status.to_string(),
                    (None, None) => "-".to_owned(),
                };
                println!(
                    "{:<36}  {:<25}  {:<22}  {:<9}  {:<8}  {answer}",
                    d.id,
                    when(d.created_at),
                    d.event_type,
                    d.state,
                    d.attempts
                );
            }
            if let Some(next) = page.next_after {
                println!("(more: --after {next})");
            }
        }
        TenantCommand::RedeliverWebhook {
            tenant,
            webhook,
            delivery,
        } => {
            let tenant = find(tenants, &tenant).await?;
            let log = webhooks
                .redeliver(tenant.id, &webhook, &delivery, operator)
                .await
                .map_err(rule)?;
            println!(
                "queued delivery {} ({}) to {webhook} again: the running auth server sends it now",
                log.delivery.id, log.delivery.event_type
            );
        }
        _ => return Err(anyhow!("not a webhook command")),
    }
    Ok(())
}

/// Enables (`true`) or disables the endpoint.
async fn switch(
    webhooks: &WebhookEndpoints,
    tenant: &Tenant,
    webhook: &str,
    enabled: bool,
    operator: &Actor,
) -> anyhow::Result<Endpoint> {
    let patch = EndpointPatch {
        enabled: Some(enabled),
        ..EndpointPatch::default()
    };
    webhooks
        .update(tenant.id, webhook, &patch, operator)
        .await
        .map_err(rule)
}

/// A refusal; an unknown event type comes with the types there are.
fn rule(e: ManageError) -> anyhow::Error {
    match &e {
        ManageError::Webhook(WebhookRuleError::UnknownEvent(_)) => {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
            anyhow!("{e} (one of: {})", known.join(", "))
        }
        _ => refused(e),
    }
}

fn events_of(e: &Endpoint) -> String {
    let names: Vec<&str> = e.events.iter().map(|t| t.as_str()).collect();
    names.join(",")
}

fn print_row(e: &Endpoint) {
    let (state, disabled) = match &e.disabled {
        Some((at, reason)) => ("disabled", format!("{}: {reason}", when(*at))),
        None => ("enabled", String::new()),
    };
    println!(
        "{:<36}  {:<8}  {:<25}  {:<40}  {:<30}  {disabled}",
        e.id,
        state,
        e.failing_since.map_or_else(|| "-".to_owned(), when),
        e.url,
        events_of(e)
    );
}

fn print_secret(secret: &Secret) {
    println!("signing_secret: {}", secret.expose());
    eprintln!("{SECRET_WARNING}");
}
