//! `connectauth tenant upstreams|add-upstream|enable-upstream|remove-upstream`:
//! a tenant's upstream identity providers ("Continue with Google"), through
//! the same use case as the management API and the console. The client
//! secret is read from standard input, never from the command line.
use std::io::BufRead;

use anyhow::{anyhow, Context};
use auth_server::domain::upstream_settings::{MappingInput, SettingsInput};
use auth_server::manage::upstream::ProviderInput;
use auth_server::manage::{ManageError, Upstreams};

use super::tenant::find;
use crate::args::{TenantCommand, UpstreamSettingsArgs};
use crate::services;

fn refused(e: ManageError) -> anyhow::Error {
    anyhow!("{e}")
}

/// The client secret, the first line of standard input.
fn secret_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the client secret from standard input")?;
    let secret = line.trim_end_matches(['\r', '\n']).to_owned();
    if secret.is_empty() {
        return Err(anyhow!(
            "give the client secret on standard input, e.g. `printf %s \"$SECRET\" | connectauth tenant add-upstream …`"
        ));
    }
    Ok(secret)
}

pub async fn run(command: TenantCommand) -> anyhow::Result<()> {
    let manage = services::auth_manage().await?.manage;
    let (tenants, upstreams) = (&manage.tenants, &manage.upstreams);
    match command {
        TenantCommand::Upstreams { tenant } => {
            let tenant = find(tenants, &tenant).await?;
            println!(
                "register at each provider: {}",
                upstreams.callback_url(&tenant)
            );
            println!(
                "{:<16}  {:<8}  {:<6}  {:<45}  client id",
                "slug", "enabled", "kind", "issuer or sign-in URL"
            );
            for p in upstreams.list(tenant.id).await.map_err(refused)? {
                println!(
                    "{:<16}  {:<8}  {:<6}  {:<45}  {}",
                    p.slug,
                    p.enabled,
                    p.settings.protocol.kind().as_str(),
                    p.settings.protocol.sign_in_origin(),
                    p.client_id
                );
            }
        }
        TenantCommand::AddUpstream {
            tenant,
            preset,
            slug,
            name,
            client_id,
            settings,
        } => {
            let tenant = find(tenants, &tenant).await?;
            let created = upstreams
                .create(
                    tenant.id,
                    ProviderInput {
                        slug,
                        display_name: name,
                        client_id: Some(client_id),
                        client_secret: Some(secret_from_stdin()?),
                        enabled: Some(true),
                        keep_tokens: Some(settings.keep_tokens),
                        settings: settings_input(preset, settings),
                    },
                )
                .await
                .map_err(refused)?;
            println!(
                "added upstream provider {} ({}, {}) to tenant {}; its button shows on the login page",
                created.slug,
                created.settings.protocol.kind().as_str(),
                created.settings.protocol.sign_in_origin(),
                tenant.slug
            );
            println!(
                "register at the provider: {}",
                upstreams.callback_url(&tenant)
            );
        }
        TenantCommand::EnableUpstream {
            tenant,
            slug,
            enabled,
        } => {
            let tenant = find(tenants, &tenant).await?;
            let id = provider_id(upstreams, tenant.id, &slug).await?;
            let p = upstreams
                .update(
                    tenant.id,
                    &id,
                    ProviderInput {
                        enabled: Some(enabled),
                        ..ProviderInput::default()
                    },
                )
                .await
                .map_err(refused)?;
            println!(
                "upstream provider {} of tenant {} is {}",
                p.slug,
                tenant.slug,
                if p.enabled { "enabled" } else { "disabled" }
            );
        }
        TenantCommand::RemoveUpstream { tenant, slug } => {
            let tenant = find(tenants, &tenant).await?;
            let id = provider_id(upstreams, tenant.id, &slug).await?;
            upstreams.delete(tenant.id, &id).await.map_err(refused)?;
            println!(
                "removed upstream provider {slug} from tenant {}",
                tenant.slug
            );
        }
        _ => return Err(anyhow!("not an upstream-provider command")),
    }
    Ok(())
}

async fn provider_id(
    upstreams: &Upstreams,
    tenant: auth_server::domain::tenant::TenantId,
    slug: &str,
) -> anyhow::Result<String> {
    upstreams
        .list(tenant)
        .await
        .map_err(refused)?
        .into_iter()
        .find(|p| p.slug.as_ref() == slug)
        .map(|p| p.id)
        .ok_or_else(|| anyhow!("the tenant has no upstream provider `{slug}`"))
}

fn settings_input(preset: Option<String>, a: Box<UpstreamSettingsArgs>) -> SettingsInput {
    SettingsInput {
        preset,
        kind: a.kind,
        issuer: a.issuer,
        authorization_url: a.authorization_url,
        token_url: a.token_url,
        userinfo_url: a.userinfo_url,
        mapping: MappingInput {
            subject: a.subject_field,
            email: a.email_field,
            email_verified: a.email_verified_field,
            name: a.name_field,
        },
        trust_email: a.trust_email.then_some(true),
        token_auth: a.token_auth,
        scopes: a.scopes,
    }
}
