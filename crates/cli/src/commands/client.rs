//! `connectauth client …`: a tenant's OAuth clients through the management
//! use case, as the API and the console change them (same defaults, the
//! signing key a client needs made at once, the OAuth caches told). Secrets
//! are printed once, on stdout; the warning goes to stderr.
use anyhow::anyhow;
use auth_server::domain::client::{
    parse_grants, parse_privileges, parse_resources, parse_uris, Client, ClientDraft, ClientId,
    ClientKind, ClientSettings, ClientUpdate, PlainSecret, SecretOverlap,
};
use auth_server::domain::display_name::DisplayName;
use auth_server::domain::scope::ScopeSet;
use auth_server::domain::sentinel::reason::Reason;
use auth_server::domain::tenant::Tenant;
use auth_server::manage::{Actor, ManageError, Standalone};
use service_kit::paging::PageRequest;

use super::refused::refused;
use super::tenant::find;
use super::when::when;
use crate::args::{ClientArgs, ClientCommand};
use crate::services;

const SECRET_WARNING: &str = "warning: store this client secret now, somewhere safe: it is shown \
only this once and cannot be recovered (if lost, rotate it with `connectauth client rotate-secret`)";

pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    match args.command {
        ClientCommand::Create {
            tenant,
            name,
            public,
            redirect_uris,
            grants,
            scopes,
            first_party,
            resources,
            no_pkce,
            privileges,
        } => {
            let kind = if public {
                ClientKind::Public
            } else {
                ClientKind::Confidential
            };
            // Left out, grants and scopes take the use case's defaults.
            let grant_types = if grants.is_empty() {
                None
            } else {
                Some(parse_grants("--grant", &grants)?)
            };
            let scopes = if scopes.is_empty() {
                None
            } else {
                Some(
                    ScopeSet::parse(&scopes.join(" "))
                        .map_err(|e| anyhow!("invalid --scope: {e}"))?,
                )
            };
            let name = DisplayName::parse(&name).map_err(|e| anyhow!("invalid --name: {e}"))?;
            let given = ClientUpdate {
                redirect_uris: Some(parse_uris("--redirect-uri", &redirect_uris)?),
                grant_types,
                scopes,
                first_party: Some(first_party),
                allowed_resources: Some(parse_resources("--resource", &resources)?),
                require_pkce: Some(!no_pkce),
                privileges: Some(parse_privileges("--privilege", &privileges)?),
                ..ClientUpdate::default()
            };
            let settings = ClientSettings::new(kind, ClientDraft::requested(name, given)?)?;
            let manage = manage().await?;
            let tenant = find(&manage.tenants, &tenant).await?;
            let (client, secret) = manage
                .clients
                .create(tenant.id, kind, settings)
                .await
                .map_err(refused)?;
            println!(
                "created {} client \"{}\" in tenant {}",
                kind.as_str(),
                client.settings.name().as_ref(),
                tenant.slug
            );
            print_client(&client);
            print_secret(secret.as_ref());
        }
        ClientCommand::List {
            tenant,
            limit,
            after,
        } => {
            let page =
                PageRequest::parse(Some(limit), after).map_err(|e| anyhow!("--limit: {e}"))?;
            let manage = manage().await?;
            let tenant = find(&manage.tenants, &tenant).await?;
            let page = manage
                .clients
                .list(tenant.id, &page)
                .await
                .map_err(refused)?;
            println!("{:<26}  {:<12}  {:<8}  name", "client_id", "kind", "status");
            for c in &page.items {
                println!(
                    "{:<26}  {:<12}  {:<8}  {}",
                    c.id,
                    c.kind.as_str(),
                    status(c),
                    c.settings.name().as_ref()
                );
            }
            if let Some(next) = page.next_after {
                println!("(more: --after {next})");
            }
        }
        ClientCommand::RotateSecret {
            tenant,
            client_id,
            overlap_secs,
        } => {
            let id = parse_id(&client_id)?;
            let overlap = SecretOverlap::parse(overlap_secs)
                .map_err(|e| anyhow!("invalid --overlap-secs: {e}"))?;
            let manage = manage().await?;
            let tenant = find(&manage.tenants, &tenant).await?;
            let (client, secret) = manage
                .clients
                .rotate_secret(tenant.id, &id, overlap)
                .await
                .map_err(|e| client_refused(e, &id, &tenant))?;
            println!("rotated the secret of client {}", client.id);
            match client
                .secrets
                .as_ref()
                .and_then(|s| s.previous_expires_at())
            {
                Some(at) => println!(
                    "the previous secret keeps working until {} ({} s)",
                    when(at),
                    overlap.secs()
                ),
                None => println!("the previous secret no longer works"),
            }
            print_secret(Some(&secret));
        }
        ClientCommand::SecretCompromised {
            tenant,
            client_id,
            reason,
        } => {
            let id = parse_id(&client_id)?;
            let reason = Reason::parse(&reason).map_err(|e| anyhow!("--{e}"))?;
            let manage = manage().await?;
            let tenant = find(&manage.tenants, &tenant).await?;
            let (client, secret) = manage
                .clients
                .secret_compromised(tenant.id, &id, &reason, &Actor::Operator)
                .await
                .map_err(|e| client_refused(e, &id, &tenant))?;
            println!(
                "replaced the compromised secret of client {}: the old one is refused, \
                 its grants and tokens are revoked, the incident is recorded",
                client.id
            );
            print_secret(Some(&secret));
        }
    }
    Ok(())
}

/// The management use cases (`AUTH_MASTER_KEYS` unseals the signing keys
/// a client's tokens need).
async fn manage() -> anyhow::Result<Standalone> {
    Ok(services::auth_manage().await?.manage)
}

fn print_client(c: &Client) {
    let s = &c.settings;
    let joined = |items: Vec<&str>| items.join(" ");
    println!("client_id:     {}", c.id);
    println!(
        "redirect URIs: {}",
        joined(s.redirect_uris().iter().map(AsRef::as_ref).collect())
    );
    println!(
        "grants:        {}",
        joined(s.grant_types().iter().map(|g| g.as_str()).collect())
    );
    println!("scopes:        {}", s.scopes());
    println!("first party:   {}", s.first_party());
    println!(
        "resources:     {}",
        joined(s.allowed_resources().iter().map(AsRef::as_ref).collect())
    );
    println!("PKCE required: {}", c.requires_pkce());
    println!(
        "privileges:    {}",
        joined(s.privileges().iter().map(|p| p.as_str()).collect())
    );
}

fn print_secret(secret: Option<&PlainSecret>) {
    match secret {
        Some(secret) => {
            println!("client_secret: {}", secret.expose());
            eprintln!("{SECRET_WARNING}");
        }
        None => println!("client_secret: none (a public client proves itself with PKCE)"),
    }
}

fn status(c: &Client) -> &'static str {
    if c.is_disabled() {
        "disabled"
    } else {
        "active"
    }
}

fn parse_id(client_id: &str) -> anyhow::Result<ClientId> {
    ClientId::parse(client_id).map_err(|e| anyhow!("invalid client id `{client_id}`: {e}"))
}

/// A refusal of an operation on client `id` of `tenant`.
fn client_refused(e: ManageError, id: &ClientId, tenant: &Tenant) -> anyhow::Error {
    if e.is_client_not_found() {
        anyhow!("no client `{id}` in tenant {}", tenant.slug)
    } else {
        refused(e)
    }
}
