//! The command line, as clap types.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "connectauth",
    version,
    about = "ConnectAuth: multi-tenant OAuth 2.1 / OpenID Connect, billing and the Connect People API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every service in one process on SQLite under ./data (development).
    Dev(DevArgs),
    /// Run one service (production).
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate(MigrateArgs),
    /// Secrets for production.
    Secrets(SecretsArgs),
    /// Manage tenants in the auth server's database.
    Tenant(TenantArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServiceName {
    Auth,
    Billing,
    People,
}

impl ServiceName {
    pub const ALL: [ServiceName; 3] =
        [ServiceName::Auth, ServiceName::Billing, ServiceName::People];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Auth => "auth",
            ServiceName::Billing => "billing",
            ServiceName::People => "people",
        }
    }

    /// The prefix of the service's environment variables.
    pub fn env_prefix(self) -> &'static str {
        match self {
            ServiceName::Auth => "AUTH",
            ServiceName::Billing => "BILLING",
            ServiceName::People => "PEOPLE",
        }
    }
}

#[derive(Args)]
pub struct DevArgs {
    /// Where databases and development secrets live.
    #[arg(long, default_value = "data", env = "CONNECTAUTH_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Loopback address the services listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    #[arg(long, default_value_t = 8080)]
    pub auth_port: u16,
    #[arg(long, default_value_t = 8081)]
    pub billing_port: u16,
    #[arg(long, default_value_t = 8082)]
    pub people_port: u16,
}

#[derive(Args)]
pub struct ServeArgs {
    pub service: ServiceName,
    /// Apply pending migrations before serving.
    #[arg(long)]
    pub migrate: bool,
}

#[derive(Args)]
pub struct MigrateArgs {
    /// Only this service (default: all three).
    pub service: Option<ServiceName>,
}

#[derive(Args)]
pub struct SecretsArgs {
    #[command(subcommand)]
    pub command: SecretsCommand,
}

#[derive(Subcommand)]
pub enum SecretsCommand {
    /// Print a complete production environment block with fresh secrets.
    Generate(GenerateArgs),
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Host name of PostgreSQL as the services see it.
    #[arg(long, default_value = "postgres")]
    pub db_host: String,
    #[arg(long, default_value = "https://auth.example.com")]
    pub auth_url: String,
    #[arg(long, default_value = "https://billing.example.com")]
    pub billing_url: String,
    #[arg(long, default_value = "https://people.example.com")]
    pub people_url: String,
}

#[derive(Args)]
pub struct TenantArgs {
    #[command(subcommand)]
    pub command: TenantCommand,
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Lowercase letters, digits and hyphens, 3-40 characters.
        slug: String,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
        /// Settings as a JSON object.
        #[arg(long)]
        settings: Option<String>,
    },
    /// List tenants in slug order.
    List {
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Continue after this slug.
        #[arg(long)]
        after: Option<String>,
    },
    /// Show one tenant, by id or slug.
    Show { tenant: String },
    /// Disable a tenant, by id or slug.
    Disable { tenant: String },
}
