//! `connectauth keys …`: manual and emergency operations on signing keys,
//! and resealing them when the master key rotates.
use anyhow::anyhow;
use auth_server::domain::sentinel::reason::Reason;
use auth_server::domain::signing_alg::SigningAlg;
use auth_server::keys::keyring::KeyringError;
use auth_server::manage::Actor;
use time::OffsetDateTime;

use super::refused::refused;
use crate::args::{KeysArgs, KeysCommand};
use crate::services;

fn when(unix: Option<i64>) -> String {
    unix.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .map_or_else(|| "-".to_owned(), |t| t.date().to_string())
}

pub async fn run(args: KeysArgs) -> anyhow::Result<()> {
    let services::AuthManage { master, manage } = services::auth_manage().await?;
    // The use case lists, rotates and revokes (and logs it); the key ring
    // itself makes missing keys and reseals.
    let (keys, ring) = (&manage.keys, &manage.key_ring);
    let tenant_id = |slug: String| {
        let tenants = &manage.tenants;
        async move {
            tenants.get_by_slug(&slug).await.map(|t| t.id).map_err(|e| {
                if e.is_tenant_not_found() {
                    anyhow!("no tenant with slug `{slug}`")
                } else {
                    refused(e)
                }
            })
        }
    };
    match args.command {
        KeysCommand::List { tenant } => {
            let id = tenant_id(tenant).await?;
            ring.ensure_keys(id, &[])
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "{:<24}  {:<6}  {:<8}  {:<10}  {:<10}  {:<10}  remove after",
                "kid", "alg", "state", "created", "activated", "retired"
            );
            for k in keys.list(id).await.map_err(|e| anyhow!("{e}"))? {
                println!(
                    "{:<24}  {:<6}  {:<8}  {:<10}  {:<10}  {:<10}  {}",
                    k.kid,
                    k.alg.as_str(),
                    k.state.as_str(),
                    when(Some(k.created_at)),
                    when(k.activated_at),
                    when(k.retired_at),
                    when(k.remove_after)
                );
            }
        }
        KeysCommand::Rotate { tenant, alg } => {
            let id = tenant_id(tenant).await?;
            let algs: Vec<SigningAlg> = match alg {
                Some(a) => vec![SigningAlg::parse(&a)
                    .map_err(|_| anyhow!("--alg must be RS256, ES256 or EdDSA"))?],
                None => {
                    let present: Vec<SigningAlg> = keys
                        .list(id)
                        .await
                        .map_err(|e| anyhow!("{e}"))?
                        .iter()
                        .map(|k| k.alg)
                        .collect();
                    SigningAlg::ALL
                        .into_iter()
                        .filter(|a| present.contains(a))
                        .collect()
                }
            };
            for alg in algs {
                let rotated = keys
                    .rotate(id, alg)
                    .await
                    .map_err(|e| anyhow!("{alg}: {e}"))?;
                println!("{alg}: now signing with {}", rotated.active);
            }
        }
        KeysCommand::Revoke { tenant, kid } => {
            let id = tenant_id(tenant).await?;
            keys.revoke(id, &kid).await.map_err(|e| anyhow!("{e}"))?;
            println!("revoked {kid}: removed from JWKS; tokens it signed no longer verify");
        }
        KeysCommand::Compromised {
            tenant,
            kid,
            reason,
        } => {
            let reason = Reason::parse(&reason).map_err(|e| anyhow!("--{e}"))?;
            let id = tenant_id(tenant).await?;
            let done = keys
                .compromised(id, &kid, &reason, &Actor::Operator)
                .await
                .map_err(|e| match e {
                    KeyringError::KeyNotFound => anyhow!("no signing key `{kid}` in this tenant"),
                    e => anyhow!("{e}"),
                })?;
            let r = &done.replaced;
            println!(
                "revoked the compromised {} key {} (was {}): removed from JWKS; tokens it signed \
                 no longer verify; incident {} recorded",
                r.alg, r.kid, r.was, done.incident
            );
            if let Some(active) = &r.active {
                println!("{}: now signing with {active}", r.alg);
            }
            if let Some(next) = &r.next {
                println!("{}: next key {next}", r.alg);
            }
        }
        KeysCommand::Reseal => {
            let done = manage
                .resealer
                .reseal_all()
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "resealed under master key `{}`: {} private signing keys, {} TOTP seeds, \
                 {} upstream client secrets, {} users' provider tokens, {} webhook secrets; \
                 a master key no longer first in AUTH_MASTER_KEYS can now leave the ring",
                master.current_id(),
                done.signing_keys,
                done.totp_seeds,
                done.upstream_client_secrets,
                done.upstream_tokens,
                done.webhook_secrets
            );
        }
    }
    Ok(())
}
