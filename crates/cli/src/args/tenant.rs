//! `connectauth tenant …`: tenants, their owners and upstream providers.
use clap::{Args, Subcommand};

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
    /// Change a tenant's settings by a JSON merge patch: the keys named are
    /// set (`null` removes one), the others stay; e.g.
    /// `'{"require_mfa": true, "lockout_threshold": 10}'`. Settings and their
    /// rules: docs/console.md.
    Settings {
        /// The tenant, by id or slug.
        tenant: String,
        /// A JSON object.
        patch: String,
    },
    /// Make a user of the `platform` tenant (who signed up at
    /// /t/platform/signup) a member of the tenant's team: they run it from
    /// the console at /dashboard.
    AddOwner {
        /// The tenant, by id or slug.
        tenant: String,
        /// The member's email as a platform user.
        #[arg(long)]
        email: String,
        /// owner (everything, billing and the team included), admin
        /// (everything but billing and the team) or viewer (reads only).
        #[arg(long, default_value = "owner")]
        role: String,
    },
    /// List a tenant's team with their roles.
    Owners { tenant: String },
    /// Remove a member: their console access ends at once. The last owner
    /// cannot be removed.
    RemoveOwner {
        tenant: String,
        #[arg(long)]
        email: String,
    },
    /// List a tenant's upstream identity providers, and the redirect URI to
    /// register at each.
    Upstreams { tenant: String },
    /// Let the tenant's users sign in through an OpenID Connect or plain
    /// OAuth 2.0 provider ("Continue with …"). The client secret is read
    /// from standard input.
    AddUpstream {
        /// The tenant, by id or slug.
        tenant: String,
        /// A known provider: google, microsoft (with --issuer, your
        /// directory's https://login.microsoftonline.com/TENANT_ID/v2.0),
        /// github or facebook (sets the kind, endpoints, scopes, slug and
        /// name).
        #[arg(long)]
        preset: Option<String>,
        /// In URLs: 2-32 lowercase letters, digits or `-`.
        #[arg(long)]
        slug: Option<String>,
        /// On the button: "Continue with NAME".
        #[arg(long)]
        name: Option<String>,
        /// The client id registered at the provider.
        #[arg(long)]
        client_id: String,
        #[command(flatten)]
        settings: Box<UpstreamSettingsArgs>,
    },
    /// Show or hide a provider's button (`true` or `false`).
    EnableUpstream {
        tenant: String,
        slug: String,
        #[arg(action = clap::ArgAction::Set)]
        enabled: bool,
    },
    /// Remove a provider and every user's link to it.
    RemoveUpstream { tenant: String, slug: String },
    /// List the addresses blocked on a tenant (by the sentinel or an
    /// operator) that are still in force, with their ids (docs/sentinel.md).
    Blocks { tenant: String },
    /// Lift a block by its id (from `connectauth tenant blocks`): every
    /// instance lets the address in again within a second.
    Unblock { tenant: String, block: String },
    /// Block an address or CIDR range on a tenant by hand: every instance
    /// refuses it within a second, until it expires. An address of
    /// AUTH_SENTINEL_NEVER_BLOCK or of the tenant's sentinel_allowlist is
    /// never blocked.
    Block {
        tenant: String,
        /// An address, or a range of at least /8 (IPv4) or /16 (IPv6).
        network: String,
        /// How long, in minutes (1 to 43200, 30 days).
        #[arg(long, default_value_t = 60)]
        minutes: i64,
        /// Why, as the block list and the audit trail show it.
        #[arg(long)]
        reason: String,
    },
    /// List a tenant's webhook endpoints: the events each receives, whether
    /// it is enabled (and why not), since when it has been failing
    /// (docs/webhooks.md). The running auth server sends the deliveries;
    /// these commands only change what it sends, and where.
    Webhooks { tenant: String },
    /// Add a webhook endpoint: the running auth server POSTs the events it
    /// subscribes to, signed with its secret (printed once, here).
    AddWebhook {
        tenant: String,
        /// https, with a host name that resolves to public addresses.
        #[arg(long)]
        url: String,
        /// An event type to receive (repeatable), e.g. user.created,
        /// login.failed, security.incident (docs/webhooks.md, Events).
        #[arg(long = "event", value_name = "TYPE", required = true)]
        events: Vec<String>,
        /// What the endpoint is for (at most 200 characters).
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Resume deliveries to an endpoint (disabled by an operator, an owner,
    /// or after failing for the retry period); its failure record is
    /// cleared and its pending deliveries are sent.
    EnableWebhook { tenant: String, webhook: String },
    /// Stop deliveries to an endpoint; they wait until it is enabled.
    DisableWebhook { tenant: String, webhook: String },
    /// Remove an endpoint and its delivery log.
    RemoveWebhook { tenant: String, webhook: String },
    /// Give an endpoint a new signing secret, printed once; the old one
    /// keeps signing beside it for 24 hours.
    RotateWebhookSecret { tenant: String, webhook: String },
    /// Queue a `webhook.test` delivery to an endpoint; the running auth
    /// server sends it within seconds (see `webhook-deliveries`).
    TestWebhook { tenant: String, webhook: String },
    /// List an endpoint's deliveries, newest first, with their state,
    /// attempts and last answer.
    WebhookDeliveries {
        tenant: String,
        webhook: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Continue after this cursor (from the previous page).
        #[arg(long)]
        after: Option<String>,
    },
    /// Send a delivery again, now (the running auth server sends it).
    RedeliverWebhook {
        tenant: String,
        webhook: String,
        delivery: String,
    },
}

/// How an upstream provider is reached (what a preset does not set).
#[derive(Args)]
pub struct UpstreamSettingsArgs {
    /// `oidc` (default: by --issuer) or `oauth2` (by the three endpoints).
    #[arg(long)]
    pub kind: Option<String>,
    /// An OpenID Connect issuer (https).
    #[arg(long)]
    pub issuer: Option<String>,
    /// oauth2: where the browser signs in (https).
    #[arg(long)]
    pub authorization_url: Option<String>,
    /// oauth2: where the code is redeemed (https).
    #[arg(long)]
    pub token_url: Option<String>,
    /// oauth2: read with the access token; its fields name the person.
    #[arg(long)]
    pub userinfo_url: Option<String>,
    /// oauth2: the userinfo field of the subject (default: id, else sub).
    #[arg(long)]
    pub subject_field: Option<String>,
    /// oauth2: the userinfo field of the email (default: email).
    #[arg(long)]
    pub email_field: Option<String>,
    /// oauth2: the field saying the email is verified (default: email_verified).
    #[arg(long)]
    pub email_verified_field: Option<String>,
    /// oauth2: the userinfo field of the name (default: name).
    #[arg(long)]
    pub name_field: Option<String>,
    /// oauth2: count every email the provider gives as verified (only for
    /// a provider that checks them).
    #[arg(long)]
    pub trust_email: bool,
    /// Keep the provider's tokens of each sign-in (sealed) for the
    /// tenant's backend (management API, scope manage:upstream-tokens).
    #[arg(long)]
    pub keep_tokens: bool,
    /// client_secret_basic (default for oidc) or client_secret_post
    /// (default for oauth2).
    #[arg(long)]
    pub token_auth: Option<String>,
    /// Space-separated; with openid for oidc (default: openid email
    /// profile, or the preset's).
    #[arg(long)]
    pub scopes: Option<String>,
}
