//! `connectauth billing …`: plans, a tenant's subscription and usage straight
//! in the billing database (tenants resolved through the auth database), and
//! the plan catalogue into Stripe.
use anyhow::{anyhow, Context};
use auth_server::manage::Tenants;
use billing::config::QuotaSettings;
use billing::domain::month::Month;
use billing::domain::plan::{PlanId, CATALOGUE};
use billing::domain::quota::Warning;
use billing::domain::tenant::TenantId;
use billing::service::{entitlements_of, manual_plan, BillingError};
use billing::store::accounts::AccountStore;
use billing::store::subscriptions::SubscriptionStore;
use billing::store::usage::UsageStore;
use billing::store::StoreError;
use billing::stripe::Gateway;
use billing::BillingConfig;
use service_kit::config::Loader;
use service_kit::db::{Database, PoolSettings};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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
            let stored = manual_plan::set_plan(&dbs.subscriptions(), id, plan, mau_limit, now())
                .await
                .map_err(|e| billing_error(e).context(format!("cannot set the plan of {slug}")))?;
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
            manual_plan::set_owner_email(&dbs.accounts(), id, email.as_deref(), now())
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

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn when(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
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

/// The auth server's tenants and the billing database, from the environment.
struct Databases {
    tenants: Tenants,
    billing: Database,
    hard_limit_percent: u32,
}

impl Databases {
    async fn open() -> anyhow::Result<Self> {
        let env = environment::load()?;
        let mut loader = Loader::new(&env);
        let billing_url = services::database_url(ServiceName::Billing, &mut loader);
        let hard_limit_percent = loader.parse(
            "BILLING_HARD_LIMIT_PERCENT",
            QuotaSettings::default().hard_limit_percent,
        );
        loader.finish()?;
        let tenants = services::auth_manage().await?.manage.tenants;
        let billing =
            services::connect(ServiceName::Billing, &billing_url, PoolSettings::default()).await?;
        Ok(Self {
            tenants,
            billing,
            hard_limit_percent,
        })
    }

    /// The tenant's slug and its id as billing keys it.
    async fn tenant(&self, key: &str) -> anyhow::Result<(String, TenantId)> {
        let tenant = super::tenant::find(&self.tenants, key).await?;
        let id = TenantId::parse(&tenant.id.to_string())
            .map_err(|e| anyhow!("tenant {}: {e}", tenant.slug))?;
        Ok((tenant.slug.to_string(), id))
    }

    fn subscriptions(&self) -> SubscriptionStore {
        SubscriptionStore::new(self.billing.pool.clone())
    }

    fn accounts(&self) -> AccountStore {
        AccountStore::new(self.billing.pool.clone())
    }

    async fn show(&self, slug: &str, id: TenantId) -> anyhow::Result<()> {
        let now = now();
        let month = Month::of(now).map_err(|e| anyhow!("the clock: {e}"))?;
        let stored = self
            .subscriptions()
            .get(id)
            .await
            .map_err(store_error)?
            .unwrap_or_else(|| billing::domain::subscription::Subscription::free(id, now));
        let used = UsageStore::new(self.billing.pool.clone())
            .count(id, month)
            .await
            .map_err(store_error)?;
        let owner = self.accounts().get(id).await.map_err(store_error)?;
        let e = entitlements_of(&stored, month, used, self.hard_limit_percent, now);
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
            owner
                .owner_email
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
        BillingError::Store(s) => store_error(s),
        BillingError::Invalid(message) => anyhow!(message),
        other => anyhow::Error::new(other),
    }
}

fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Database(ref db)
            if db.to_string().contains("no such table")
                || db.to_string().contains("does not exist") =>
        {
            anyhow!("{e}: the billing database is not migrated (run `connectauth migrate`)")
        }
        StoreError::Database(db) => anyhow::Error::new(db).context("billing database error"),
        other => anyhow::Error::new(other),
    }
}
