//! `connectauth billing …`: plans, a tenant's subscription and usage through
//! billing's manual-plan use case (tenants resolved through the auth server's
//! use cases), and the plan catalogue into Stripe.
use std::sync::Arc;

use anyhow::{anyhow, Context};
use auth_server::manage::Tenants;
use billing::config::QuotaSettings;
use billing::domain::plan::{PlanId, CATALOGUE};
use billing::domain::quota::Warning;
use billing::domain::tenant::TenantId;
use billing::service::manual_plan::{self, ManualPlans, Standing};
use billing::service::BillingError;
use billing::stripe::Gateway;
use billing::BillingConfig;
use service_kit::clock::SystemClock;
use service_kit::config::Loader;
use service_kit::db::PoolSettings;

use super::refused::refused_in;
use super::when::when;
use crate::args::{BillingArgs, BillingCommand, ServiceName};
use crate::{environment, services};

pub async fn run(args: BillingArgs) -> anyhow::Result<()> {
    match args.command {
        BillingCommand::Plans => {
            print_plans();
            Ok(())
        }
        BillingCommand::SyncPlans => sync_plans().await,
        BillingCommand::Show { tenant } => {
            let dbs = Databases::open().await?;
            let (slug, id) = dbs.tenant(&tenant).await?;
            dbs.show(&slug, id).await
        }
        BillingCommand::SetPlan {
            tenant,
            plan,
            mau_limit,
        } => {
            let plan = PlanId::parse(&plan).map_err(|_| {
                anyhow!(
                    "unknown plan `{plan}`: choose one of {}",
                    PlanId::ALL.map(PlanId::as_str).join(", ")
                )
            })?;
            let dbs = Databases::open().await?;
            let (slug, id) = dbs.tenant(&tenant).await?;
            let stored =
                dbs.plans.set_plan(id, plan, mau_limit).await.map_err(|e| {
                    billing_error(e).context(format!("cannot set the plan of {slug}"))
                })?;
            let limit = stored
                .mau_limit
                .or(plan.plan().mau_limit)
                .map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
            println!(
                "tenant {slug} is now on the {} plan (set by hand), MAU limit {limit}",
                plan.plan().name
            );
            println!();
            dbs.show(&slug, id).await
        }
        BillingCommand::SetOwner {
            tenant,
            email,
            clear,
        } => {
            let email = if clear { None } else { email };
            if let Some(email) = &email {
                manual_plan::check_owner_email(email)
                    .map_err(|_| anyhow!("--email `{email}` is not an email address"))?;
            }
            let dbs = Databases::open().await?;
            let (slug, id) = dbs.tenant(&tenant).await?;
            dbs.plans
                .set_owner_email(id, email.as_deref())
                .await
                .map_err(|e| {
                    billing_error(e).context(format!("cannot set the owner email of {slug}"))
                })?;
            match email {
                Some(email) => println!("quota and payment emails of {slug} go to {email}"),
                None => println!("{slug} has no owner email: no quota or payment emails are sent"),
            }
            Ok(())
        }
    }
}

fn price(cents: Option<u32>, currency: &str) -> String {
    match cents {
        None => "on quote".to_owned(),
        Some(0) => "free".to_owned(),
        Some(c) => format!(
            "{}.{:02} {}/month",
            c / 100,
            c % 100,
            currency.to_uppercase()
        ),
    }
}

fn limit(mau: Option<u64>) -> String {
    mau.map_or_else(|| "per contract".to_owned(), |n| n.to_string())
}

fn print_plans() {
    println!(
        "{:<10}  {:<10}  {:<16}  {:<12}  sold online",
        "id", "name", "price", "MAU limit"
    );
    for p in &CATALOGUE {
        println!(
            "{:<10}  {:<10}  {:<16}  {:<12}  {}",
            p.id.as_str(),
            p.name,
            price(p.price_cents, p.currency),
            limit(p.mau_limit),
            if p.self_serve { "yes" } else { "no" }
        );
    }
}

/// The auth server's tenants and billing's manual plans, from the environment.
struct Databases {
    tenants: Tenants,
    plans: ManualPlans,
}

impl Databases {
    async fn open() -> anyhow::Result<Self> {
        let env = environment::load()?;
        let mut loader = Loader::new(&env);
        let billing_url = services::database_url(ServiceName::Billing, &mut loader);
        let quotas = QuotaSettings {
            hard_limit_percent: loader.parse(
                "BILLING_HARD_LIMIT_PERCENT",
                QuotaSettings::default().hard_limit_percent,
            ),
            ..QuotaSettings::default()
        };
        loader.finish()?;
        let tenants = services::auth_manage().await?.manage.tenants;
        let billing =
            services::connect(ServiceName::Billing, &billing_url, PoolSettings::default()).await?;
        Ok(Self {
            tenants,
            plans: ManualPlans::new(billing.pool, Arc::new(SystemClock), quotas),
        })
    }

    /// The tenant's slug and its id as billing keys it.
    async fn tenant(&self, key: &str) -> anyhow::Result<(String, TenantId)> {
        let tenant = super::tenant::find(&self.tenants, key).await?;
        let id = TenantId::parse(&tenant.id.to_string())
            .map_err(|e| anyhow!("tenant {}: {e}", tenant.slug))?;
        Ok((tenant.slug.to_string(), id))
    }

    async fn show(&self, slug: &str, id: TenantId) -> anyhow::Result<()> {
        let Standing {
            subscription: stored,
            entitlements: e,
            owner_email,
        } = self.plans.standing(id).await.map_err(billing_error)?;
        let used = e.mau_used;
        let of_limit = match (e.mau_limit, e.usage_percent) {
            (Some(limit), Some(percent)) => format!("{used} / {limit} ({percent}%)"),
            _ => format!("{used} (no limit)"),
        };
        println!("tenant:       {slug} ({id})");
        println!("plan:         {} ({})", e.plan_name, e.plan);
        if stored.plan != e.plan {
            println!(
                "              {} until the grace period ran out",
                stored.plan.plan().name
            );
        }
        println!("status:       {}", e.status);
        println!("source:       {}", e.source);
        println!("MAU {}:  {of_limit}", e.month);
        println!("warning:      {}", warning(e.warning));
        println!(
            "signups:      {}",
            if e.signups_allowed {
                "allowed"
            } else {
                "refused (over the hard limit)"
            }
        );
        if let Some(suggested) = e.suggested_plan {
            println!("suggested:    {}", suggested.plan().name);
        }
        println!("grace until:  {}", e.grace_until.map_or("-".into(), when));
        if let Some(end) = e.current_period_end {
            println!(
                "period end:   {}{}",
                when(end),
                if e.cancel_at_period_end {
                    " (cancels then)"
                } else {
                    ""
                }
            );
        }
        println!(
            "owner email:  {}",
            owner_email
                .as_deref()
                .unwrap_or("- (none: no quota emails)")
        );
        Ok(())
    }
}

fn warning(w: Warning) -> &'static str {
    match w {
        Warning::None => "none",
        Warning::Approaching => "approaching the limit (80% or more)",
        Warning::Reached => "limit reached (100% or more)",
        Warning::OverLimit => "over the hard limit: new signups refused",
    }
}

async fn sync_plans() -> anyhow::Result<()> {
    let env = environment::load()?;
    let mut loader = Loader::new(&env);
    let config = BillingConfig::read(&mut loader);
    let Some(settings) = config.stripe else {
        anyhow::bail!(
            "billing is not configured: set BILLING_STRIPE_SECRET_KEY (and \
             BILLING_STRIPE_WEBHOOK_SECRETS) to sync the plans into Stripe"
        );
    };
    loader.finish()?;
    let gateway = Gateway::new(&settings).context("cannot set up the Stripe client")?;
    let synced = gateway
        .sync_plans()
        .await
        .context("syncing the plans into Stripe")?;
    let done = |created: bool| if created { "created" } else { "up to date" };
    for s in &synced {
        println!(
            "{:<8}  product {} ({}), price {} ({})",
            s.plan.as_str(),
            s.product_id,
            done(s.created_product),
            s.price_id,
            done(s.created_price)
        );
    }
    println!();
    println!("Put these in the billing service's environment:");
    for s in &synced {
        println!(
            "BILLING_STRIPE_PRICE_{}={}",
            s.plan.as_str().to_uppercase(),
            s.price_id
        );
    }
    Ok(())
}

fn billing_error(e: BillingError) -> anyhow::Error {
    match e {
        BillingError::Invalid(message) => anyhow!(message),
        other => refused_in("billing", other),
    }
}
