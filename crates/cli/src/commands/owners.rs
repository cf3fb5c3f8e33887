//! `connectauth tenant add-owner|owners|remove-owner`: a tenant's team, the
//! users of the `platform` tenant who run it from the console, each with a
//! role (owner, admin, viewer). A tenant keeps at least one owner.
use anyhow::anyhow;
use auth_server::dashboard::owners::OwnerError;
use auth_server::domain::owner::Owner;
use auth_server::domain::team::Role;

use super::refused::refused;
use super::tenant::find;
use crate::args::TenantCommand;
use crate::services;

pub async fn run(command: TenantCommand) -> anyhow::Result<()> {
    // The platform tenant is made with its signing keys if it is missing.
    let manage = services::auth_manage().await?.manage;
    let (tenants, owners) = (&manage.tenants, &manage.owners);
    match command {
        TenantCommand::AddOwner {
            tenant,
            email,
            role,
        } => {
            let t = find(tenants, &tenant).await?;
            let role = Role::parse(&role).map_err(|e| anyhow!("--role: {e}"))?;
            let (owner, added) = owners.add(t.id, &email, role).await.map_err(owner_error)?;
            if added {
                println!(
                    "{} is now a member of {} ({})",
                    owner.email, t.slug, owner.role
                );
            } else {
                println!(
                    "{} was already a member of {} ({}; unchanged)",
                    owner.email, t.slug, owner.role
                );
            }
            print_owner(&owner);
        }
        TenantCommand::Owners { tenant } => {
            let t = find(tenants, &tenant).await?;
            let list = owners.list(t.id).await.map_err(owner_error)?;
            if list.is_empty() {
                println!("{} has no owners", t.slug);
            }
            for owner in &list {
                print_owner(owner);
            }
        }
        TenantCommand::RemoveOwner { tenant, email } => {
            let t = find(tenants, &tenant).await?;
            let owner = owners
                .remove_by_email(t.id, &email)
                .await
                .map_err(|e| match e {
                    OwnerError::NotAnOwner => anyhow!("{email} is not an owner of {}", t.slug),
                    other => owner_error(other),
                })?;
            println!("{} is no longer an owner of {}", owner.email, t.slug);
        }
        _ => return Err(anyhow!("not an owner command")),
    }
    Ok(())
}

fn print_owner(o: &Owner) {
    println!("{}  {}  {}  {}", o.user_id, o.email, o.role, o.display_name);
}

fn owner_error(e: OwnerError) -> anyhow::Error {
    match e {
        OwnerError::Store(_) => refused(e),
        other => anyhow!("{other}"),
    }
}
