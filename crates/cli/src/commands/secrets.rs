//! `connectauth secrets generate`: a complete production environment block,
//! every secret fresh from the OS CSPRNG (256 bits, base64url).
use anyhow::Context;
use service_kit::secret;
use time::format_description::well_known::Rfc3339;

use crate::args::{GenerateArgs, SecretsArgs, SecretsCommand};

pub fn run(args: SecretsArgs) -> anyhow::Result<()> {
    match args.command {
        SecretsCommand::Generate(g) => {
            print!("{}", generate(&g)?);
            Ok(())
        }
    }
}

fn fresh() -> anyhow::Result<String> {
    secret::generate().context("the operating system's random source failed")
}

pub fn generate(args: &GenerateArgs) -> anyhow::Result<String> {
    let pg_password = fresh()?;
    let now = time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let db = |name: &str| {
        format!(
            "postgres://connectauth:{pg_password}@{}:5432/connectauth_{name}",
            args.db_host
        )
    };
    let lines = [
        format!("# ConnectAuth production environment, generated {now}."),
        "# Keep it in your secret manager; never commit it. Secrets are 256 random bits, base64url.".to_owned(),
        "CONNECTAUTH_ENV=production".to_owned(),
        "CONNECTAUTH_LOG_FORMAT=json".to_owned(),
        format!("POSTGRES_PASSWORD={pg_password}"),
        String::new(),
        format!("AUTH_PUBLIC_URL={}", args.auth_url),
        format!("AUTH_DATABASE_URL={}", db("auth")),
    ];
    let mut lines = lines.to_vec();
    for key in auth_server::config::SECRET_VARIABLES {
        lines.push(format!("{key}={}", fresh()?));
    }
    // Keyrings start with one key; its id names the day it was made, so a
    // later rotation can put a new key in front and keep this one readable.
    let key_id = time::OffsetDateTime::now_utc()
        .date()
        .to_string()
        .replace('-', "");
    for key in auth_server::config::KEYRING_VARIABLES {
        lines.push(format!("{key}=k{key_id}:{}", fresh()?));
    }
    lines.extend([
        "# Outgoing mail; smtp://mail:1025 is the compose SMTP catcher: point it at your relay."
            .to_owned(),
        "SMTP_URL=smtp://mail:1025".to_owned(),
        r#"MAIL_FROM="ConnectAuth <no-reply@example.com>""#.to_owned(),
        String::new(),
        "# The auth server reports usage to billing and asks it for quotas (compose service name)."
            .to_owned(),
        "AUTH_BILLING_URL=http://billing:8081".to_owned(),
        String::new(),
        format!("BILLING_PUBLIC_URL={}", args.billing_url),
        format!("BILLING_DATABASE_URL={}", db("billing")),
        "# Billing trusts the service tokens of the auth server's platform tenant.".to_owned(),
        format!(
            "BILLING_ISSUER={}/t/platform",
            args.auth_url.trim_end_matches('/')
        ),
        "# Without a Stripe key billing runs offline: `connectauth billing set-plan` sets plans."
            .to_owned(),
        "# BILLING_STRIPE_SECRET_KEY=sk_live_…".to_owned(),
        "# BILLING_STRIPE_WEBHOOK_SECRETS=whsec_…".to_owned(),
        "# Then `connectauth billing sync-plans` prints BILLING_STRIPE_PRICE_STARTER and _PRO."
            .to_owned(),
        String::new(),
        format!("PEOPLE_PUBLIC_URL={}", args.people_url),
        format!(
            "PEOPLE_ISSUER={}/t/connect-people",
            args.auth_url.trim_end_matches('/')
        ),
        format!("PEOPLE_DATABASE_URL={}", db("people")),
    ]);
    Ok(lines.join("\n") + "\n")
}
