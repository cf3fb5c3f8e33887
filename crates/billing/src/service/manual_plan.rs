//! What an operator sets by hand, through the API or `connectauth billing`:
//! the manual plan (offline mode, Enterprise contracts) and the owner's
//! address. Free functions over the stores, so the command line applies the
//! same rules as the service without building one.
use super::BillingError;
use crate::domain::plan::PlanId;
use crate::domain::subscription::{Source, Subscription};
use crate::domain::tenant::TenantId;
use crate::store::accounts::AccountStore;
use crate::store::subscriptions::SubscriptionStore;

/// Puts the tenant on `plan` by hand. Refused while the tenant pays through
/// Stripe (that subscription is changed or cancelled there); a custom limit
/// is for Enterprise only.
pub async fn set_plan(
    subscriptions: &SubscriptionStore,
    tenant: TenantId,
    plan: PlanId,
    mau_limit: Option<u64>,
    now: i64,
) -> Result<Subscription, BillingError> {
    let current = subscriptions
        .get(tenant)
        .await?
        .unwrap_or_else(|| Subscription::free(tenant, now));
    if current.has_live_stripe_subscription() {
        return Err(BillingError::Invalid(
            "the tenant pays through Stripe: change or cancel that subscription first".into(),
        ));
    }
    if mau_limit.is_some() && plan != PlanId::Enterprise {
        return Err(BillingError::Invalid(
            "a custom limit is for the Enterprise plan only".into(),
        ));
    }
    let next = Subscription {
        plan,
        status: "active".into(),
        source: Source::Manual,
        mau_limit,
        grace_until: None,
        downgraded_at: None,
        updated_at: now,
        ..Subscription::free(tenant, now)
    };
    subscriptions.save(&next).await?;
    Ok(next)
}

/// Whether `email` may receive quota and payment mail.
pub fn check_owner_email(email: &str) -> Result<(), BillingError> {
    if service_kit::mail::check_email(email).is_ok() {
        Ok(())
    } else {
        Err(BillingError::Invalid(
            "owner_email is not an email address".into(),
        ))
    }
}

/// Sets (or, with `None`, clears) who receives quota and payment mail.
pub async fn set_owner_email(
    accounts: &AccountStore,
    tenant: TenantId,
    email: Option<&str>,
    now: i64,
) -> Result<(), BillingError> {
    if let Some(email) = email {
        check_owner_email(email)?;
    }
    Ok(accounts.set_owner_email(tenant, email, now).await?)
}
