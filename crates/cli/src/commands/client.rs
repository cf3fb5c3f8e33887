//! `connectauth client …`: a tenant's OAuth clients straight in the auth
//! database. Secrets are printed once, on stdout; the warning goes to stderr.
use anyhow::anyhow;
use auth_server::domain::client::{
    default_scopes, parse_grants, parse_privileges, parse_resources, parse_uris, Client,
    ClientDraft, ClientId, ClientKind, ClientSettings, PlainSecret, SecretOverlap,
    DEFAULT_GRANT_TYPES,
};
use auth_server::domain::display_name::DisplayName;
use auth_server::domain::scope::ScopeSet;
use auth_server::domain::tenant::{Tenant, TenantId};
use auth_server::store::clients::{ClientStore, ClientStoreError};
use auth_server::store::tenants::TenantStore;
use auth_server::store::StoreError;
use service_kit::config::Loader;
use service_kit::db::{Database, PoolSettings};
use service_kit::paging::PageRequest;

use crate::args::{ClientArgs, ClientCommand, ServiceName};
use crate::{environment, services};

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
            let grant_types = if grants.is_empty() {
                DEFAULT_GRANT_TYPES.to_vec()
            } else {
                parse_grants("--grant", &grants)?
            };
            let scopes = if scopes.is_empty() {
                default_scopes(&grant_types)
            } else {
                ScopeSet::parse(&scopes.join(" ")).map_err(|e| anyhow!("invalid --scope: {e}"))?
            };
            let name = DisplayName::parse(&name).map_err(|e| anyhow!("invalid --name: {e}"))?;
            let draft = ClientDraft {
                redirect_uris: parse_uris("--redirect-uri", &redirect_uris)?,
                scopes,
                first_party,
                allowed_resources: parse_resources("--resource", &resources)?,
                require_pkce: !no_pkce,
                privileges: parse_privileges("--privilege", &privileges)?,
                ..ClientDraft::new(name, grant_types)
            };
            let settings = ClientSettings::new(kind, draft)?;
            let db = connect().await?;
            let tenant = find_tenant(&db, &tenant).await?;
            let (client, secret) = Client::create(tenant.id, kind, settings, now())
                .map_err(|e| anyhow!("cannot draw random bytes: {e}"))?;
            ClientStore::new(db.pool)
                .create(&client)
                .await
                .map_err(client_error)?;
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
            let db = connect().await?;
            let tenant = find_tenant(&db, &tenant).await?;
            let page = ClientStore::new(db.pool)
                .list(tenant.id, &page)
                .await
                .map_err(client_error)?;
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
            let id = ClientId::parse(&client_id)
                .map_err(|e| anyhow!("invalid client id `{client_id}`: {e}"))?;
            let overlap = SecretOverlap::parse(overlap_secs)
                .map_err(|e| anyhow!("invalid --overlap-secs: {e}"))?;
            let db = connect().await?;
            let tenant = find_tenant(&db, &tenant).await?;
            let (client, secret) = ClientStore::new(db.pool)
                .rotate_secret(tenant.id, &id, overlap, now())
                .await
                .map_err(|e| match e {
                    ClientStoreError::NotFound => {
                        anyhow!("no client `{id}` in tenant {}", tenant.slug)
                    }
                    other => client_error(other),
                })?;
            println!("rotated the secret of client {}", client.id);
            match client
                .secrets
                .as_ref()
                .and_then(|s| s.previous_expires_at())
            {
                Some(at) => println!(
                    "the previous secret keeps working until {} ({} s)",
                    rfc3339(at),
                    overlap.secs()
                ),
                None => println!("the previous secret no longer works"),
            }
            print_secret(Some(&secret));
        }
    }
    Ok(())
}

async fn connect() -> anyhow::Result<Database> {
    let env = environment::load()?;
    let mut loader = Loader::new(&env);
    let url = services::database_url(ServiceName::Auth, &mut loader);
    loader.finish()?;
    services::connect(ServiceName::Auth, &url, PoolSettings::default()).await
}

async fn find_tenant(db: &Database, key: &str) -> anyhow::Result<Tenant> {
    let store = TenantStore::new(db.pool.clone());
    let found = match TenantId::parse(key) {
        Ok(id) => store.get(id).await,
        Err(_) => store.get_by_slug(key).await,
    };
    found.map_err(|e| match e {
        StoreError::TenantNotFound => anyhow!("no tenant with id or slug `{key}`"),
        StoreError::Database(db) => database_error(db),
        other => anyhow::Error::new(other),
    })
}

fn client_error(e: ClientStoreError) -> anyhow::Error {
    match e {
        ClientStoreError::Database(db) => database_error(db),
        other => anyhow::Error::new(other),
    }
}

fn database_error(e: impl std::error::Error + Send + Sync + 'static) -> anyhow::Error {
    let text = e.to_string();
    if text.contains("no such table") || text.contains("does not exist") {
        anyhow!("database error: the database is not migrated (run `connectauth migrate`)")
    } else {
        anyhow::Error::new(e).context("database error")
    }
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

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
