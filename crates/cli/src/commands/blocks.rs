//! `connectauth tenant blocks|block|unblock`: the addresses blocked on a
//! tenant, through the same use case as the management API (a block made or
//! lifted here is audited as the operator's).
use anyhow::anyhow;
use auth_server::domain::sentinel::block_order::BlockOrder;
use auth_server::manage::Actor;

use super::tenant::find;
use super::when::when;
use crate::args::TenantCommand;

pub async fn run(command: TenantCommand) -> anyhow::Result<()> {
    let manage = crate::services::auth_manage().await?.manage;
    let (tenants, blocks) = (manage.tenants, manage.blocks);
    match command {
        TenantCommand::Blocks { tenant } => {
            let tenant = find(&tenants, &tenant).await?;
            let listed = blocks.list(tenant.id).await.map_err(|e| anyhow!("{e}"))?;
            println!(
                "{:<36}  {:<24}  {:<25}  {:<8}  reason",
                "id", "network", "expires", "by"
            );
            for b in listed {
                println!(
                    "{:<36}  {:<24}  {:<25}  {:<8}  {}",
                    b.id,
                    b.network,
                    when(b.expires_at),
                    b.created_by,
                    b.reason
                );
            }
        }
        TenantCommand::Block {
            tenant,
            network,
            minutes,
            reason,
        } => {
            let tenant = find(&tenants, &tenant).await?;
            let order =
                BlockOrder::parse(&network, minutes, &reason).map_err(|e| anyhow!("{e}"))?;
            let made = blocks
                .block(&tenant, order, &Actor::Operator)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "blocked {} on {} until {} (id {}); the running servers refuse it within a second",
                made.network,
                tenant.slug,
                when(made.expires_at),
                made.id
            );
        }
        TenantCommand::Unblock { tenant, block } => {
            let tenant = find(&tenants, &tenant).await?;
            let lifted = blocks
                .unblock(tenant.id, &block, &Actor::Operator)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("unblocked {} on {}", lifted.network, tenant.slug);
        }
        _ => return Err(anyhow!("not a blocks command")),
    }
    Ok(())
}
