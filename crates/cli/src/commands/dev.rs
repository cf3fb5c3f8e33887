//! `connectauth dev`: every service in one process, on SQLite files under the
//! data directory, with secrets generated once and kept there.
use std::net::SocketAddr;

use anyhow::Context;
use futures_util::future::select_all;
use service_kit::config::{Env, Loader};
use service_kit::telemetry::{self, LogFormat};

use crate::args::{DevArgs, ServiceName};
use crate::services::{self, ServiceConfig, Started};
use crate::{dev_secrets, environment};

/// The tenant of the first customer, created on first start.
pub const DEMO_TENANT: &str = "connect-people";

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    let base = environment::load()?;
    telemetry::init(
        LogFormat::from_env(&base, service_kit::config::RunMode::Development),
        "info,sqlx=warn",
    );
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let dev = dev_env(&args, &base)?;
    let env = base.overlay(dev);

    let mut loader = Loader::new(&env);
    let configs: Vec<ServiceConfig> = ServiceName::ALL
        .iter()
        .map(|n| ServiceConfig::read(*n, &mut loader))
        .collect();
    loader.finish()?;

    let mut started: Vec<Started> = Vec::new();
    for config in configs {
        let name = config.name();
        let db = config.connect().await?;
        services::migrate(name, &db).await?;
        if name == ServiceName::Auth {
            ensure_demo_tenant(&db).await?;
        }
        started.push(config.start(db)?);
    }
    print_banner(&args, &started);

    let handles: Vec<_> = started.iter().map(|s| s.handle.clone()).collect();
    let tasks: Vec<_> = started.into_iter().map(|s| s.task).collect();
    tokio::select! {
        () = service_kit::shutdown::signal() => {}
        (ended, index, _) = select_all(tasks) => {
            tracing::error!(service = ServiceName::ALL[index].as_str(), result = ?ended, "a service stopped on its own; stopping the others");
        }
    }
    for handle in handles {
        handle.stop(true).await;
    }
    tracing::info!("all services stopped");
    Ok(())
}

/// What development forces: SQLite under the data dir, loopback ports, its secrets.
fn dev_env(args: &DevArgs, base: &Env) -> anyhow::Result<Env> {
    let mut env = Env::from_pairs(dev_secrets::load_or_create(&args.data_dir)?);
    env.set("CONNECTAUTH_ENV", "development");
    let dir = args.data_dir.display();
    // Without an SMTP server, mail lands in files under the data dir (links logged).
    if base.raw("SMTP_URL").is_none_or(|v| v.trim().is_empty()) {
        env.set("AUTH_MAIL_DIR", format!("{dir}/mail"));
    }
    for (name, port) in [
        (ServiceName::Auth, args.auth_port),
        (ServiceName::Billing, args.billing_port),
        (ServiceName::People, args.people_port),
    ] {
        let prefix = name.env_prefix();
        let addr = SocketAddr::new(args.host, port);
        env.set(format!("{prefix}_BIND"), addr.to_string());
        env.set(format!("{prefix}_PUBLIC_URL"), format!("http://{addr}"));
        env.set(
            format!("{prefix}_DATABASE_URL"),
            format!("sqlite://{dir}/{}.db", name.as_str()),
        );
    }
    Ok(env)
}

async fn ensure_demo_tenant(db: &service_kit::db::Database) -> anyhow::Result<()> {
    use auth_server::domain::tenant::{DisplayName, NewTenant, TenantSettings, TenantSlug};
    use auth_server::store::{tenants::TenantStore, StoreError};
    let store = TenantStore::new(db.pool.clone());
    match store.get_by_slug(DEMO_TENANT).await {
        Ok(_) => Ok(()),
        Err(StoreError::TenantNotFound) => {
            let new = NewTenant {
                slug: TenantSlug::parse(DEMO_TENANT)?,
                display_name: DisplayName::parse("Connect People")?,
                settings: TenantSettings::default(),
            };
            match store.create(new).await {
                Ok(t) => {
                    tracing::info!(tenant_id = %t.id, "created the demo tenant `{DEMO_TENANT}`");
                    Ok(())
                }
                Err(StoreError::SlugTaken(_)) => Ok(()),
                Err(e) => Err(e).context("creating the demo tenant"),
            }
        }
        Err(e) => Err(e).context("looking up the demo tenant"),
    }
}

fn print_banner(args: &DevArgs, started: &[Started]) {
    println!();
    println!(
        "ConnectAuth is running (development; data in {}):",
        args.data_dir.display()
    );
    for s in started {
        println!(
            "  {:<8} http://{}",
            s.name.as_str(),
            SocketAddr::new(args.host, s.port)
        );
    }
    println!("  demo tenant: {DEMO_TENANT}");
    if let Some(auth) = started.iter().find(|s| s.name == ServiceName::Auth) {
        let base = format!(
            "http://{}/t/{DEMO_TENANT}",
            SocketAddr::new(args.host, auth.port)
        );
        println!("  sign up:     {base}/signup");
        println!("  log in:      {base}/login");
    }
    println!(
        "  mail:        {}/mail unless SMTP_URL is set (links also in the log)",
        args.data_dir.display()
    );
    println!();
    println!(
        "Management API (operator token in {}/{}):",
        args.data_dir.display(),
        dev_secrets::FILE_NAME
    );
    println!(
        "  export AUTH_ADMIN_TOKEN=$(sed -n 's/^AUTH_ADMIN_TOKEN=//p' {}/{})",
        args.data_dir.display(),
        dev_secrets::FILE_NAME
    );
    if let Some(auth) = started.iter().find(|s| s.name == ServiceName::Auth) {
        println!(
            "  curl -H \"Authorization: Bearer $AUTH_ADMIN_TOKEN\" http://{}/manage/v1/tenants",
            SocketAddr::new(args.host, auth.port)
        );
    }
    println!("Press Ctrl-C to stop.");
}
