//! Monthly active users, as the auth server reports them: a set per tenant
//! and UTC month, so a retried or replayed report never counts twice. After
//! each report the quotas of the tenants in it are checked.
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{notify, Billing, BillingError};
use crate::domain::month::Month;
use crate::domain::quota::Quota;
use crate::domain::tenant::TenantId;
use crate::store::usage::Sighting;

pub const MAX_EVENTS_PER_REPORT: usize = 1_000;
/// Reports may carry sightings this old (a reporter catching up after an outage).
const MAX_AGE_SECS: i64 = 400 * 86_400;
/// Clocks differ a little between services.
const MAX_SKEW_SECS: i64 = 300;

/// One user seen logging in or refreshing a token.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageEvent {
    /// The auth server's tenant id (a hyphenated UUID).
    #[schema(format = "uuid", example = "6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f")]
    pub tenant_id: String,
    /// The end user's id within the tenant: 1 to 64 characters, neither
    /// whitespace nor control characters (surrounding whitespace is ignored).
    #[schema(pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f]{1,64}\s*$")]
    pub user_id: String,
    /// When the user was seen, in unix seconds: at most 5 minutes ahead and
    /// 400 days old.
    #[schema(example = 1_793_000_000)]
    pub at: i64,
}

/// What a usage report did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct UsageReceipt {
    /// Events in the report.
    pub received: usize,
    /// Users new to their month (the others were already counted).
    pub recorded: u64,
}

impl Billing {
    /// All or nothing: one bad event refuses the report, nothing is stored.
    pub async fn record_usage(&self, events: &[UsageEvent]) -> Result<UsageReceipt, BillingError> {
        if events.len() > MAX_EVENTS_PER_REPORT {
            return Err(BillingError::Invalid(format!(
                "at most {MAX_EVENTS_PER_REPORT} events per report"
            )));
        }
        let now = self.now();
        let sightings = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                sighting(e, now).map_err(|why| BillingError::Invalid(format!("events[{i}]: {why}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let recorded = self.usage.record(&sightings).await?;
        let current = Month::of(now).map_err(|e| BillingError::Invalid(e.to_string()))?;
        let touched: BTreeSet<TenantId> = sightings
            .iter()
            .filter(|s| s.month == current)
            .map(|s| s.tenant)
            .collect();
        if recorded > 0 {
            for tenant in touched {
                self.check_quota(tenant, current, now).await?;
            }
        }
        metrics::counter!("connectauth_billing_usage_events_total", "outcome" => "received")
            .increment(events.len() as u64);
        metrics::counter!("connectauth_billing_usage_events_total", "outcome" => "recorded")
            .increment(recorded);
        Ok(UsageReceipt {
            received: events.len(),
            recorded,
        })
    }

    /// Emails the owner at 80 % and 100 %, once per threshold and month.
    async fn check_quota(
        &self,
        tenant: TenantId,
        month: Month,
        now: i64,
    ) -> Result<(), BillingError> {
        let subscription = self.subscription(tenant).await?;
        let used = self.usage.count(tenant, month).await?;
        let quota = Quota {
            used,
            limit: subscription.mau_limit(now),
            hard_limit_percent: self.quotas.hard_limit_percent,
        };
        let reached = quota.thresholds_reached();
        if reached.is_empty() {
            return Ok(());
        }
        let Some(owner) = self.accounts.get(tenant).await?.owner_email else {
            tracing::info!(%tenant, used, "quota threshold reached; no owner email on file");
            return Ok(());
        };
        let plan = subscription.effective_plan(now);
        for threshold in reached {
            if self.notices.claim(tenant, month, threshold, now).await? {
                notify::quota(self, &owner, threshold, month, &quota, plan);
            }
        }
        Ok(())
    }
}

fn sighting(e: &UsageEvent, now: i64) -> Result<Sighting, &'static str> {
    let tenant = TenantId::parse(&e.tenant_id).map_err(|_| "tenant_id is not a UUID")?;
    let user = e.user_id.trim();
    if user.is_empty()
        || user.chars().count() > 64
        || user.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err("user_id must be 1 to 64 printable characters");
    }
    if e.at > now + MAX_SKEW_SECS {
        return Err("at is in the future");
    }
    if e.at < now - MAX_AGE_SECS {
        return Err("at is too old");
    }
    let month = Month::of(e.at).map_err(|_| "at is not a valid instant")?;
    Ok(Sighting {
        tenant,
        month,
        user_id: user.to_owned(),
        at: e.at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;
    const TENANT: &str = "6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f";

    fn event(user_id: &str, at: i64) -> UsageEvent {
        UsageEvent {
            tenant_id: TENANT.into(),
            user_id: user_id.into(),
            at,
        }
    }

    #[test]
    fn sightings_may_be_five_minutes_ahead_and_four_hundred_days_old() {
        assert_eq!(MAX_SKEW_SECS, 5 * 60);
        assert_eq!(MAX_AGE_SECS, 400 * 24 * 60 * 60);
        for at in [NOW, NOW + MAX_SKEW_SECS, NOW - MAX_AGE_SECS] {
            let seen = sighting(&event(" u1 ", at), NOW).expect("accepted");
            assert_eq!((seen.user_id.as_str(), seen.at), ("u1", at));
            assert_eq!(seen.month, Month::of(at).expect("month"));
        }
        assert_eq!(
            sighting(&event("u1", NOW + MAX_SKEW_SECS + 1), NOW).err(),
            Some("at is in the future")
        );
        assert_eq!(
            sighting(&event("u1", NOW - MAX_AGE_SECS - 1), NOW).err(),
            Some("at is too old")
        );
    }

    #[test]
    fn user_ids_are_one_to_sixty_four_printable_characters() {
        assert!(sighting(&event(&"é".repeat(64), NOW), NOW).is_ok());
        for bad in ["", "  ", "a b", "tab\there", &"é".repeat(65)] {
            assert!(sighting(&event(bad, NOW), NOW).is_err(), "{bad:?}");
        }
        let mut other = event("u1", NOW);
        other.tenant_id = "not-a-uuid".into();
        assert_eq!(sighting(&other, NOW).err(), Some("tenant_id is not a UUID"));
    }
}
