//! The demo of `connectauth dev`: the first customer's tenant
//! (`connect-people`), whose access tokens carry the audience the Connect
//! People API expects, and a public client with a fixed id so the README's
//! curl sequence works as written.
use std::net::IpAddr;

use anyhow::{anyhow, Context};
use auth_server::domain::client::{
    Client, ClientDraft, ClientId, ClientKind, ClientSettings, ClientUpdate, GrantType, RedirectUri,
};
use auth_server::domain::display_name::DisplayName;
use auth_server::domain::scope::ScopeSet;
use auth_server::domain::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug, TenantUpdate};
use auth_server::store::clients::{ClientStore, ClientStoreError};
use auth_server::store::tenants::TenantStore;
use auth_server::store::StoreError;
use serde_json::json;
use service_kit::clock::{Clock, SystemClock};
use service_kit::db::Database;

/// The client id, the fixed PKCE pair and the redirect path are the People
/// API's: its `/callback` page shows the command that uses them.
pub use people_api::demo::{CALLBACK_PATH, DEMO_CHALLENGE, DEMO_CLIENT_ID, DEMO_VERIFIER};

pub const DEMO_TENANT: &str = "connect-people";
pub const DEMO_AUDIENCE: &str = "connect-people-api";
pub const DEMO_SCOPES: &str = "openid profile email offline_access profile:read profile:write connections:read connections:write";

pub async fn ensure(db: &Database, host: IpAddr, people_port: u16) -> anyhow::Result<()> {
    let tenant = ensure_tenant(db).await?;
    ensure_client(
        db,
        &tenant,
        &format!(
            "http://{}{CALLBACK_PATH}",
            std::net::SocketAddr::new(host, people_port)
        ),
    )
    .await
}

async fn ensure_tenant(db: &Database) -> anyhow::Result<Tenant> {
    let store = TenantStore::new(db.pool.clone());
    let tenant = match store.get_by_slug(DEMO_TENANT).await {
        Ok(t) => t,
        Err(StoreError::TenantNotFound) => {
            let new = NewTenant {
                slug: TenantSlug::parse(DEMO_TENANT)?,
                display_name: DisplayName::parse("Connect People")?,
                settings: TenantSettings::default(),
            };
            match store.create(new).await {
                Ok(t) => t,
                Err(StoreError::SlugTaken(_)) => store.get_by_slug(DEMO_TENANT).await?,
                Err(e) => return Err(e).context("creating the demo tenant"),
            }
        }
        Err(e) => return Err(e).context("looking up the demo tenant"),
    };
    if tenant.settings.default_audience().is_none() {
        let update = TenantUpdate {
            display_name: None,
            settings: Some(
                tenant
                    .settings
                    .merged(json!({ "default_audience": DEMO_AUDIENCE }))?,
            ),
        };
        return Ok(store.update(tenant.id, update).await?);
    }
    Ok(tenant)
}

async fn ensure_client(db: &Database, tenant: &Tenant, redirect: &str) -> anyhow::Result<()> {
    let store = ClientStore::new(db.pool.clone());
    let id = ClientId::parse(DEMO_CLIENT_ID).map_err(|e| anyhow!("{e}"))?;
    let redirect_uris = vec![RedirectUri::parse(redirect).map_err(|e| anyhow!("{e}"))?];
    match store.get(tenant.id, &id).await {
        Ok(existing) if existing.settings.redirect_uris() == redirect_uris.as_slice() => Ok(()),
        Ok(_) => {
            // Ports changed since last time: follow them.
            let update = ClientUpdate {
                redirect_uris: Some(redirect_uris),
                ..ClientUpdate::default()
            };
            store
                .update(tenant.id, &id, update, SystemClock.now())
                .await
                .map_err(|e| anyhow!("{e}"))?;
            Ok(())
        }
        Err(ClientStoreError::NotFound) => {
            let name = DisplayName::parse("Connect People (development)")?;
            let grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
            let draft = ClientDraft {
                redirect_uris,
                scopes: ScopeSet::parse(DEMO_SCOPES).map_err(|e| anyhow!("{e}"))?,
                first_party: true,
                ..ClientDraft::new(name, grant_types)
            };
            let settings =
                ClientSettings::new(ClientKind::Public, draft).map_err(|e| anyhow!("{e}"))?;
            let now = SystemClock.now();
            let (mut client, _) = Client::create(tenant.id, ClientKind::Public, settings, now)?;
            client.id = id;
            store.create(&client).await.map_err(|e| anyhow!("{e}"))?;
            tracing::info!("created the demo client `{DEMO_CLIENT_ID}`");
            Ok(())
        }
        Err(e) => Err(anyhow!("{e}")),
    }
}
