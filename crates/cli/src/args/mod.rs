//! The command line, as clap types.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod tenant;
pub use tenant::{TenantArgs, TenantCommand, UpstreamSettingsArgs};

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
    /// Manage a tenant's OAuth clients (applications) in the auth server's database.
    Client(ClientArgs),
    /// Manage a tenant's signing keys, and reseal them after a master-key change.
    Keys(KeysArgs),
    /// Plans, a tenant's subscription and usage, and the Stripe catalogue.
    Billing(BillingArgs),
    /// Reports for platform operators.
    Report(ReportArgs),
    /// Write an encrypted backup of one service's database.
    Backup(BackupArgs),
    /// Replace one service's database with a backup's contents, then migrate.
    Restore(RestoreArgs),
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

    /// The service's name in exported traces unless `OTEL_SERVICE_NAME` says
    /// otherwise.
    pub fn trace_name(self) -> &'static str {
        match self {
            ServiceName::Auth => "connectauth-auth",
            ServiceName::Billing => "connectauth-billing",
            ServiceName::People => "connectauth-people",
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
pub struct BackupArgs {
    pub service: ServiceName,
    /// The backup file to write (never overwritten), or an existing
    /// directory to write `connectauth-SERVICE-YYYYMMDDTHHMMSSZ.cabackup` in.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    pub service: ServiceName,
    /// A file written by `connectauth backup` of the same service and engine.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Replace the database without asking.
    #[arg(long)]
    pub yes: bool,
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
    /// Where the services run: decides the host names of PostgreSQL, the
    /// billing service and the mail relay in the block.
    #[arg(long, value_enum, default_value_t = DeployTarget::Compose)]
    pub target: DeployTarget,
    /// Host name of PostgreSQL as the services see it (default: `postgres`
    /// for compose and kubernetes, `127.0.0.1` for systemd).
    #[arg(long)]
    pub db_host: Option<String>,
    #[arg(long, default_value = "https://auth.example.com")]
    pub auth_url: String,
    #[arg(long, default_value = "https://billing.example.com")]
    pub billing_url: String,
    #[arg(long, default_value = "https://people.example.com")]
    pub people_url: String,
}

/// The deployment files of `deploy/` and `docker-compose.yml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeployTarget {
    /// `docker-compose.yml`: services reach each other by compose service name.
    Compose,
    /// `deploy/systemd`: one host, everything on loopback.
    Systemd,
    /// `deploy/kubernetes`: a Secret; the Services are named in the manifests.
    Kubernetes,
}

#[derive(Args)]
pub struct ClientArgs {
    #[command(subcommand)]
    pub command: ClientCommand,
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register an OAuth client; a confidential client's secret is printed once.
    Create {
        /// The tenant, by slug or id.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// A public client (single-page or native app): no secret, PKCE only.
        #[arg(long)]
        public: bool,
        /// Where users may be sent back after login (repeatable), matched exactly:
        /// https, or http on 127.0.0.1, [::1] or localhost.
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// A grant the client may use (repeatable): authorization_code,
        /// refresh_token or client_credentials [default: authorization_code refresh_token].
        #[arg(long = "grant", value_name = "GRANT")]
        grants: Vec<String>,
        /// Scopes the client may ask for, space-separated (repeatable)
        /// [default: openid profile email, plus offline_access with refresh_token].
        #[arg(long = "scope", value_name = "SCOPES")]
        scopes: Vec<String>,
        /// The tenant's own application: users are not asked for consent.
        #[arg(long)]
        first_party: bool,
        /// A resource (RFC 8707 `resource`) the client may ask tokens for (repeatable),
        /// e.g. connectauth-billing; the tenant's default_audience is always allowed,
        /// anything else is refused with invalid_target.
        #[arg(long = "resource", value_name = "RESOURCE")]
        resources: Vec<String>,
        /// Let a confidential legacy client omit PKCE at authorize. Weaker: a stolen
        /// code is then protected by the client secret alone.
        #[arg(long, conflicts_with = "public")]
        no_pkce: bool,
        /// A privilege (repeatable): introspect:any lets the client introspect
        /// every token of the tenant.
        #[arg(long = "privilege", value_name = "PRIVILEGE")]
        privileges: Vec<String>,
    },
    /// List a tenant's clients in id order.
    List {
        /// The tenant, by slug or id.
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Continue after this client id.
        #[arg(long)]
        after: Option<String>,
    },
    /// Give a confidential client a new secret, printed once.
    RotateSecret {
        /// The tenant, by slug or id.
        #[arg(long)]
        tenant: String,
        client_id: String,
        /// Seconds the old secret keeps working (0 to 604800).
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        overlap_secs: i64,
    },
    /// A confidential client's secret leaked: replace it at once (the old
    /// one refused from now), revoke every grant and token the client holds,
    /// record a security incident (sent to the tenant's webhooks). The new
    /// secret is printed once.
    SecretCompromised {
        /// The tenant, by slug or id.
        #[arg(long)]
        tenant: String,
        client_id: String,
        /// What happened, for the audit trail (1 to 200 characters).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// List a tenant's signing keys and their states.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Rotate now: next → active, active → retired (still published), new next.
    Rotate {
        #[arg(long)]
        tenant: String,
        /// RS256, ES256 or EdDSA (default: every algorithm the tenant has).
        #[arg(long)]
        alg: Option<String>,
    },
    /// Emergency: drop a key from JWKS at once; its tokens stop verifying.
    Revoke {
        #[arg(long)]
        tenant: String,
        /// A kid is base64url and may begin with `-`; it is still the kid.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// A private key leaked: revoke it at once and replace it (when it
    /// signed, a key made now signs at once and the next key is replaced
    /// too), record a security incident (sent to the tenant's webhooks,
    /// mailed to its owners by the running server).
    Compromised {
        #[arg(long)]
        tenant: String,
        /// A kid is base64url and may begin with `-`; it is still the kid.
        #[arg(allow_hyphen_values = true)]
        kid: String,
        /// What happened, for the audit trail and the alert (1 to 200
        /// characters).
        #[arg(long)]
        reason: String,
    },
    /// Re-encrypt every sealed value (private signing keys, TOTP seeds,
    /// upstream client secrets and provider tokens, webhook secrets) under
    /// the first key of AUTH_MASTER_KEYS, so older keys can leave the ring.
    Reseal,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// The operators' report across tenants of one UTC day: each tenant's
    /// logins, failures, incidents and blocks, churn risks, and the mails
    /// it was sent (plans are in the API's and the mail's report only).
    Operator {
        /// The day, YYYY-MM-DD: today or one of the 30 days before
        /// (default: yesterday).
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Args)]
pub struct BillingArgs {
    #[command(subcommand)]
    pub command: BillingCommand,
}

#[derive(Subcommand)]
pub enum BillingCommand {
    /// Print the plan catalogue.
    Plans,
    /// A tenant's plan in force, usage this month and owner.
    Show {
        /// The tenant, by slug or id.
        #[arg(long)]
        tenant: String,
    },
    /// Set a tenant's plan by hand (offline mode, Enterprise contracts).
    /// Refused while the tenant pays through Stripe.
    SetPlan {
        /// The tenant, by slug or id.
        #[arg(long)]
        tenant: String,
        /// free, starter, pro or enterprise.
        #[arg(long)]
        plan: String,
        /// A contractual monthly-active-user limit (enterprise only; default: unlimited).
        #[arg(long, value_name = "N")]
        mau_limit: Option<u64>,
    },
    /// Set who receives the tenant's quota and payment emails.
    SetOwner {
        /// The tenant, by slug or id.
        #[arg(long)]
        tenant: String,
        #[arg(long, value_name = "ADDRESS", required_unless_present = "clear")]
        email: Option<String>,
        /// Remove the address: no quota or payment emails are sent.
        #[arg(long, conflicts_with = "email")]
        clear: bool,
    },
    /// Create or update the paid plans' products and prices in Stripe
    /// (needs BILLING_STRIPE_SECRET_KEY); prints the price ids to configure.
    SyncPlans,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kid_that_begins_with_a_hyphen_is_a_kid() {
        let cli = Cli::try_parse_from([
            "connectauth",
            "keys",
            "revoke",
            "--tenant",
            "acme",
            "-C4x_d2kQ9vT1bYwz8mA0pg",
        ])
        .expect("parses");
        match cli.command {
            Command::Keys(KeysArgs {
                command: KeysCommand::Revoke { tenant, kid },
            }) => {
                assert_eq!(tenant, "acme");
                assert_eq!(kid, "-C4x_d2kQ9vT1bYwz8mA0pg");
            }
            _ => panic!("not keys revoke"),
        }
    }
}
