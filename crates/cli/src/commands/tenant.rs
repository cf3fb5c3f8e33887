//! `connectauth tenant …`: tenants straight in the auth database.
use auth_server::domain::tenant::{
    DisplayName, NewTenant, Tenant, TenantId, TenantSettings, TenantSlug, TenantUpdate,
};
use auth_server::store::tenants::TenantStore;
use auth_server::store::StoreError;
use service_kit::config::Loader;
use service_kit::db::PoolSettings;
use service_kit::paging::PageRequest;

use crate::args::{ServiceName, TenantArgs, TenantCommand};
use crate::{environment, services};

pub async fn run(args: TenantArgs) -> anyhow::Result<()> {
    let env = environment::load()?;
    let mut loader = Loader::new(&env);
    let url = services::database_url(ServiceName::Auth, &mut loader);
    loader.finish()?;
    let db = services::connect(ServiceName::Auth, &url, PoolSettings::default()).await?;
    let db_for_blocks = db.clone();
    let store = TenantStore::new(db.pool);
    match args.command {
        TenantCommand::Create {
            slug,
            name,
            settings,
        } => {
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
            let tenant = store.create(new).await.map_err(store_error)?;
            println!("created tenant {}", tenant.slug);
            print_tenant(&tenant);
        }
        TenantCommand::List { limit, after } => {
            let page = PageRequest::parse(Some(limit), after)
                .map_err(|e| anyhow::anyhow!("--limit: {e}"))?;
            let page = store.list(&page).await.map_err(store_error)?;
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
            print_tenant(&find(&store, &tenant).await?);
        }
        TenantCommand::Settings { tenant, patch } => {
            let found = find(&store, &tenant).await?;
            let patch = serde_json::from_str(&patch)
                .map_err(|e| anyhow::anyhow!("the patch is not JSON: {e}"))?;
            let settings = found
                .settings
                .merged(patch)
                .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
            let update = TenantUpdate {
                display_name: None,
                settings: Some(settings),
            };
            let t = store.update(found.id, update).await.map_err(store_error)?;
            println!("updated the settings of tenant {}", t.slug);
            print_tenant(&t);
        }
        TenantCommand::Disable { tenant } => {
            let found = find(&store, &tenant).await?;
            let t = store.disable(found.id).await.map_err(store_error)?;
            println!("disabled tenant {}", t.slug);
        }
        owners @ (TenantCommand::AddOwner { .. }
        | TenantCommand::Owners { .. }
        | TenantCommand::RemoveOwner { .. }) => super::owners::run(owners).await?,
        upstream @ (TenantCommand::Upstreams { .. }
        | TenantCommand::AddUpstream { .. }
        | TenantCommand::EnableUpstream { .. }
        | TenantCommand::RemoveUpstream { .. }) => super::upstream::run(upstream).await?,
        blocks @ (TenantCommand::Blocks { .. } | TenantCommand::Unblock { .. }) => {
            super::blocks::run(&db_for_blocks, blocks).await?
        }
    }
    Ok(())
}

/// A tenant by id or slug, or a clear error.
pub(crate) async fn find(store: &TenantStore, key: &str) -> anyhow::Result<Tenant> {
    let found = match TenantId::parse(key) {
        Ok(id) => store.get(id).await,
        Err(_) => store.get_by_slug(key).await,
    };
    found.map_err(|e| match e {
        StoreError::TenantNotFound => anyhow::anyhow!("no tenant with id or slug `{key}`"),
        other => store_error(other),
    })
}

pub(crate) fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Database(ref db)
            if db.to_string().contains("no such table")
                || db.to_string().contains("does not exist") =>
        {
            anyhow::anyhow!("{e}: the database is not migrated (run `connectauth migrate`)")
        }
        StoreError::Database(db) => anyhow::Error::new(db).context("database error"),
        other => anyhow::Error::new(other),
    }
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
