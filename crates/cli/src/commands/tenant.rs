//! `connectauth tenant …`: tenants through the management use case, as the
//! API and the console change them (a new tenant gets its signing keys at
//! once; a change is told to the tenant directory).
use auth_server::domain::tenant::{DisplayName, NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::manage::Tenants;
use service_kit::paging::PageRequest;

use super::refused::refused;
use crate::args::{TenantArgs, TenantCommand};
use crate::services;

pub async fn run(args: TenantArgs) -> anyhow::Result<()> {
    match args.command {
        TenantCommand::Create {
            slug,
            name,
            settings,
        } => {
            let tenants = tenants().await?;
            let settings = match settings {
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("--settings is not JSON: {e}"))?,
                None => serde_json::json!({}),
            };
            let new = NewTenant {
                slug: TenantSlug::parse(&slug)
                    .map_err(|e| anyhow::anyhow!("invalid slug `{slug}`: {e}"))?,
                display_name: DisplayName::parse(name.as_deref().unwrap_or(&slug))
                    .map_err(|e| anyhow::anyhow!("invalid --name: {e}"))?,
                settings: TenantSettings::parse(settings)
                    .map_err(|e| anyhow::anyhow!("invalid --settings: {e}"))?,
            };
            let tenant = tenants.create(new).await.map_err(refused)?;
            println!("created tenant {}", tenant.slug);
            print_tenant(&tenant);
        }
        TenantCommand::List { limit, after } => {
            let tenants = tenants().await?;
            let page = PageRequest::parse(Some(limit), after)
                .map_err(|e| anyhow::anyhow!("--limit: {e}"))?;
            let page = tenants.list(&page).await.map_err(refused)?;
            println!("{:<36}  {:<40}  {:<8}  name", "id", "slug", "status");
            for t in &page.items {
                println!(
                    "{:<36}  {:<40}  {:<8}  {}",
                    t.id,
                    t.slug,
                    status(t),
                    t.display_name.as_ref()
                );
            }
            if let Some(next) = page.next_after {
                println!("(more: --after {next})");
            }
        }
        TenantCommand::Show { tenant } => {
            let tenants = tenants().await?;
            print_tenant(&find(&tenants, &tenant).await?);
        }
        TenantCommand::Settings { tenant, patch } => {
            let tenants = tenants().await?;
            let found = find(&tenants, &tenant).await?;
            let patch = serde_json::from_str(&patch)
                .map_err(|e| anyhow::anyhow!("the patch is not JSON: {e}"))?;
            let t = tenants.patch_settings(found.id, patch).await.map_err(|e| {
                match e.settings_rule() {
                    Some(rule) => anyhow::anyhow!("invalid settings: {rule}"),
                    None => refused(e),
                }
            })?;
            println!("updated the settings of tenant {}", t.slug);
            print_tenant(&t);
        }
        TenantCommand::Disable { tenant } => {
            let tenants = tenants().await?;
            let found = find(&tenants, &tenant).await?;
            let t = tenants.disable(found.id).await.map_err(refused)?;
            println!("disabled tenant {}", t.slug);
        }
        owners @ (TenantCommand::AddOwner { .. }
        | TenantCommand::Owners { .. }
        | TenantCommand::RemoveOwner { .. }) => super::owners::run(owners).await?,
        upstream @ (TenantCommand::Upstreams { .. }
        | TenantCommand::AddUpstream { .. }
        | TenantCommand::EnableUpstream { .. }
        | TenantCommand::RemoveUpstream { .. }) => super::upstream::run(upstream).await?,
        blocks @ (TenantCommand::Blocks { .. }
        | TenantCommand::Block { .. }
        | TenantCommand::Unblock { .. }) => super::blocks::run(blocks).await?,
        webhooks @ (TenantCommand::Webhooks { .. }
        | TenantCommand::AddWebhook { .. }
        | TenantCommand::EnableWebhook { .. }
        | TenantCommand::DisableWebhook { .. }
        | TenantCommand::RemoveWebhook { .. }
        | TenantCommand::RotateWebhookSecret { .. }
        | TenantCommand::TestWebhook { .. }
        | TenantCommand::WebhookDeliveries { .. }
        | TenantCommand::RedeliverWebhook { .. }) => super::webhooks::run(webhooks).await?,
    }
    Ok(())
}

/// The tenants use case (every tenant command needs `AUTH_MASTER_KEYS`: a
/// new tenant's signing keys are made and sealed at once).
async fn tenants() -> anyhow::Result<Tenants> {
    Ok(services::auth_manage().await?.manage.tenants)
}

/// A tenant by id or slug, or a clear error.
pub(crate) async fn find(tenants: &Tenants, key: &str) -> anyhow::Result<Tenant> {
    tenants.find(key).await.map_err(|e| {
        if e.is_tenant_not_found() {
            anyhow::anyhow!("no tenant with id or slug `{key}`")
        } else {
            refused(e)
        }
    })
}

fn status(t: &Tenant) -> &'static str {
    if t.is_disabled() {
        "disabled"
    } else {
        "active"
    }
}

fn print_tenant(t: &Tenant) {
    println!("id:           {}", t.id);
    println!("slug:         {}", t.slug);
    println!("display name: {}", t.display_name.as_ref());
    println!("status:       {}", status(t));
    println!("settings:     {}", t.settings.to_json());
}
