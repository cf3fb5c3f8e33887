//! The demo of `connectauth dev`: the first customer's tenant
//! (`connect-people`), whose access tokens carry the audience the Connect
//! People API expects, and a public client with a fixed id so the README's
//! curl sequence works as written.
use std::net::IpAddr;

use anyhow::{anyhow, Context};
use auth_server::domain::client::{
    ClientDraft, ClientId, ClientKind, ClientSettings, ClientUpdate, GrantType, RedirectUri,
};
use auth_server::domain::display_name::DisplayName;
use auth_server::domain::scope::ScopeSet;
use auth_server::domain::tenant::{NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::manage::Standalone;
use serde_json::json;

/// The client id, the fixed PKCE pair and the redirect path are the People
/// API's: its `/callback` page shows the command that uses them.
pub use people_api::demo::{CALLBACK_PATH, DEMO_CHALLENGE, DEMO_CLIENT_ID, DEMO_VERIFIER};

pub const DEMO_TENANT: &str = "connect-people";
pub const DEMO_AUDIENCE: &str = "connect-people-api";
pub const DEMO_SCOPES: &str = "openid profile email offline_access profile:read profile:write connections:read connections:write";

pub async fn ensure(manage: &Standalone, host: IpAddr, people_port: u16) -> anyhow::Result<()> {
    let tenant = ensure_tenant(manage).await?;
    ensure_client(
        manage,
        &tenant,
        &format!(
            "http://{}{CALLBACK_PATH}",
            std::net::SocketAddr::new(host, people_port)
        ),
    )
    .await
}

/// The demo tenant, made with its signing keys the first time.
async fn ensure_tenant(manage: &Standalone) -> anyhow::Result<Tenant> {
    let tenants = &manage.tenants;
    let tenant = match tenants.get_by_slug(DEMO_TENANT).await {
        Ok(t) => t,
        Err(e) if e.is_tenant_not_found() => {
            let new = NewTenant {
                slug: TenantSlug::parse(DEMO_TENANT)?,
                display_name: DisplayName::parse("Connect People")?,
                settings: TenantSettings::default(),
            };
            match tenants.create(new).await {
                Ok(t) => t,
                Err(e) if e.is_slug_taken() => tenants.get_by_slug(DEMO_TENANT).await?,
                Err(e) => return Err(e).context("creating the demo tenant"),
            }
        }
        Err(e) => return Err(e).context("looking up the demo tenant"),
    };
    if tenant.settings.default_audience().is_none() {
        let patch = json!({ "default_audience": DEMO_AUDIENCE });
        return Ok(tenants.patch_settings(tenant.id, patch).await?);
    }
    Ok(tenant)
}

async fn ensure_client(manage: &Standalone, tenant: &Tenant, redirect: &str) -> anyhow::Result<()> {
    let clients = &manage.clients;
    let id = ClientId::parse(DEMO_CLIENT_ID).map_err(|e| anyhow!("{e}"))?;
    let redirect_uris = vec![RedirectUri::parse(redirect).map_err(|e| anyhow!("{e}"))?];
    match clients.get(tenant.id, &id).await {
        Ok(existing) if existing.settings.redirect_uris() == redirect_uris.as_slice() => Ok(()),
        Ok(_) => {
            // Ports changed since last time: follow them.
            let update = ClientUpdate {
                redirect_uris: Some(redirect_uris),
                ..ClientUpdate::default()
            };
            clients
                .update(tenant.id, &id, update)
                .await
                .context("updating the demo client")?;
            Ok(())
        }
        Err(e) if e.is_client_not_found() => {
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
            clients
                .create_with_id(tenant.id, id, ClientKind::Public, settings)
                .await
                .context("creating the demo client")?;
            tracing::info!("created the demo client `{DEMO_CLIENT_ID}`");
            Ok(())
        }
        Err(e) => Err(e).context("looking up the demo client"),
    }
}
