//! A tenant's subscription state, and how Stripe's view of a subscription
//! becomes it. Webhook events only say *that* something changed: the state
//! applied is always the subscription as Stripe describes it now, so events
//! may arrive in any order, and of two reads of one subscription the one that
//! began later is the one kept.
use super::plan::PlanId;
use super::tenant::TenantId;

pub const SECONDS_PER_DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Stripe,
    Manual,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "stripe" => Some(Self::Stripe),
            "manual" => Some(Self::Manual),
            _ => None,
        }
    }
}

/// The number of a read of a tenant's subscription from Stripe, drawn
/// before the request: a read numbered higher began later, so it saw
/// Stripe's state as of then or later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StripeRead(i64);

impl StripeRead {
    pub fn new(number: i64) -> Self {
        Self(number)
    }

    pub fn number(self) -> i64 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub tenant_id: TenantId,
    pub plan: PlanId,
    /// Stripe's status word (`active`, `past_due`, `canceled`, …), or
    /// `active` for a manual or default plan.
    pub status: String,
    pub source: Source,
    /// A contractual limit (Enterprise); `None`: the plan's.
    pub mau_limit: Option<u64>,
    pub stripe_subscription_id: Option<String>,
    pub stripe_price_id: Option<String>,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// After a failed payment: when the tenant falls back to Free.
    pub grace_until: Option<i64>,
    /// When the owner was told that the grace period ran out.
    pub downgraded_at: Option<i64>,
    /// The Stripe read this state came from; `None`: never read from Stripe.
    pub stripe_read: Option<StripeRead>,
    pub updated_at: i64,
}

impl Subscription {
    /// Whether this state starts a grace period the state `before` it did
    /// not have: the moment the owner is told a payment failed, once.
    pub fn starts_grace_after(&self, before: Option<&Subscription>) -> bool {
        self.grace_until.is_some() && before.is_none_or(|b| b.grace_until.is_none())
    }

    /// A tenant billing has no record of is on Free.
    pub fn free(tenant_id: TenantId, now: i64) -> Self {
        Self {
            tenant_id,
            plan: PlanId::Free,
            status: "active".into(),
            source: Source::Manual,
            mau_limit: None,
            stripe_subscription_id: None,
            stripe_price_id: None,
            current_period_end: None,
            cancel_at_period_end: false,
            grace_until: None,
            downgraded_at: None,
            stripe_read: None,
            updated_at: now,
        }
    }

    /// The plan in force at `now`: a lapsed grace period means Free.
    pub fn effective_plan(&self, now: i64) -> PlanId {
        match self.grace_until {
            Some(deadline) if now >= deadline => PlanId::Free,
            _ => self.plan,
        }
    }

    /// Monthly-active-user limit in force; `None`: unlimited.
    pub fn mau_limit(&self, now: i64) -> Option<u64> {
        let plan = self.effective_plan(now);
        if plan == self.plan {
            if let Some(custom) = self.mau_limit {
                return Some(custom);
            }
        }
        plan.plan().mau_limit
    }

    /// Whether the tenant has a Stripe subscription to change or cancel.
    pub fn has_live_stripe_subscription(&self) -> bool {
        self.source == Source::Stripe
            && self.stripe_subscription_id.is_some()
            && !matches!(self.status.as_str(), "canceled" | "incomplete_expired")
    }
}

/// Stripe's current view of one subscription, reduced to what billing uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeView {
    pub subscription_id: String,
    pub status: String,
    /// The plan its price maps to; `None`: a price billing doesn't sell.
    pub plan: Option<PlanId>,
    pub price_id: Option<String>,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// The state to store once Stripe says `view` in the read `read`, given what
/// is stored; `None`: keep what is stored, which came from a read that began
/// later (`view` may be older than it) or is a live subscription that an old
/// one's end does not undo.
pub fn apply_stripe_view(
    previous: &Subscription,
    view: &StripeView,
    read: StripeRead,
    now: i64,
    grace_days: u32,
) -> Option<Subscription> {
    if previous.stripe_read.is_some_and(|stored| stored > read) {
        return None;
    }
    // A subscription other than the one on file only takes over when it is
    // live: a stale event about an old, cancelled one must not undo a newer.
    let other = previous
        .stripe_subscription_id
        .as_deref()
        .is_some_and(|id| id != view.subscription_id);
    let live = matches!(
        view.status.as_str(),
        "active" | "trialing" | "past_due" | "unpaid"
    );
    if other && previous.has_live_stripe_subscription() && !live {
        return None;
    }
    let paid_plan = view.plan.unwrap_or(PlanId::Free);
    let same = previous.stripe_subscription_id.as_deref() == Some(&view.subscription_id);
    let (plan, grace_until, downgraded_at) = match view.status.as_str() {
        "active" | "trialing" => (paid_plan, None, None),
        "past_due" | "unpaid" => {
            // One grace period per failure, however many events tell of it.
            let started = previous.grace_until.filter(|_| same);
            let deadline = started.unwrap_or_else(|| now + i64::from(grace_days) * SECONDS_PER_DAY);
            let told = previous.downgraded_at.filter(|_| started.is_some());
            (paid_plan, Some(deadline), told)
        }
        // canceled, incomplete, incomplete_expired, paused, or a status
        // Stripe adds later: nothing is paid for.
        _ => (PlanId::Free, None, None),
    };
    Some(Subscription {
        tenant_id: previous.tenant_id,
        plan,
        status: view.status.clone(),
        source: Source::Stripe,
        mau_limit: None,
        stripe_subscription_id: Some(view.subscription_id.clone()),
        stripe_price_id: view.price_id.clone(),
        current_period_end: view.current_period_end,
        cancel_at_period_end: view.cancel_at_period_end,
        grace_until,
        downgraded_at,
        stripe_read: Some(read),
        updated_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;

    /// Applies `view` as read at `now` (reads numbered by time here).
    fn apply(previous: &Subscription, view: &StripeView, now: i64) -> Subscription {
        apply_stripe_view(previous, view, StripeRead::new(now), now, 7).expect("a newer read")
    }

    fn tenant() -> TenantId {
        TenantId::parse("6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f").unwrap()
    }

    #[test]
    fn a_grace_period_starts_once() {
        let free = Subscription::free(tenant(), NOW);
        let grace = Subscription {
            grace_until: Some(NOW + 7 * 86_400),
            ..free.clone()
        };
        assert!(grace.starts_grace_after(None));
        assert!(grace.starts_grace_after(Some(&free)));
        assert!(!grace.starts_grace_after(Some(&grace)), "already in grace");
        assert!(!free.starts_grace_after(None));
        assert!(!free.starts_grace_after(Some(&grace)), "grace ended");
    }

    fn view(id: &str, status: &str, plan: PlanId) -> StripeView {
        StripeView {
            subscription_id: id.into(),
            status: status.into(),
            plan: Some(plan),
            price_id: Some(format!("price_{plan}")),
            current_period_end: Some(NOW + 30 * SECONDS_PER_DAY),
            cancel_at_period_end: false,
        }
    }

    #[test]
    fn an_active_subscription_gives_its_plan() {
        let s = apply(
            &Subscription::free(tenant(), NOW),
            &view("sub_1", "active", PlanId::Pro),
            NOW,
        );
        assert_eq!(s.effective_plan(NOW), PlanId::Pro);
        assert_eq!(s.mau_limit(NOW), Some(20_000));
        assert_eq!(s.grace_until, None);
        assert!(s.has_live_stripe_subscription());
    }

    #[test]
    fn a_failed_payment_starts_one_grace_period_then_free() {
        let active = apply(
            &Subscription::free(tenant(), NOW),
            &view("sub_1", "active", PlanId::Starter),
            NOW,
        );
        let past_due = apply(
            &active,
            &view("sub_1", "past_due", PlanId::Starter),
            NOW + 10,
        );
        let deadline = NOW + 10 + 7 * SECONDS_PER_DAY;
        assert_eq!(past_due.grace_until, Some(deadline));
        // A second event about the same failure does not move the deadline.
        let again = apply(
            &past_due,
            &view("sub_1", "past_due", PlanId::Starter),
            NOW + 3_600,
        );
        assert_eq!(again.grace_until, Some(deadline));
        assert_eq!(again.effective_plan(deadline - 1), PlanId::Starter);
        assert_eq!(again.effective_plan(deadline), PlanId::Free);
        assert_eq!(again.mau_limit(deadline), Some(1_000));
        // Paying clears it.
        let paid = apply(
            &again,
            &view("sub_1", "active", PlanId::Starter),
            NOW + 7_200,
        );
        assert_eq!(paid.grace_until, None);
    }

    #[test]
    fn cancelled_or_unpaid_at_creation_is_free() {
        for status in [
            "canceled",
            "incomplete",
            "incomplete_expired",
            "paused",
            "some_new_status",
        ] {
            let s = apply(
                &Subscription::free(tenant(), NOW),
                &view("sub_1", status, PlanId::Pro),
                NOW,
            );
            assert_eq!(s.effective_plan(NOW), PlanId::Free, "{status}");
        }
    }

    #[test]
    fn a_stale_event_about_an_old_subscription_does_not_undo_the_new_one() {
        let new = apply(
            &Subscription::free(tenant(), NOW),
            &view("sub_new", "active", PlanId::Pro),
            NOW,
        );
        let stale = apply_stripe_view(
            &new,
            &view("sub_old", "canceled", PlanId::Starter),
            StripeRead::new(NOW + 1),
            NOW + 1,
            7,
        );
        assert_eq!(stale, None, "the new one is kept");
        // A new live subscription does replace the one on file.
        let replaced = apply(&new, &view("sub_newer", "active", PlanId::Starter), NOW + 2);
        assert_eq!(
            replaced.stripe_subscription_id.as_deref(),
            Some("sub_newer")
        );
    }

    #[test]
    fn a_read_that_began_before_the_stored_one_is_not_saved() {
        // Read 2 saw the cancellation and was saved first; read 1, begun
        // earlier, saw the subscription still active and finished last.
        let cancelled = apply(
            &Subscription::free(tenant(), NOW),
            &view("sub_1", "canceled", PlanId::Pro),
            NOW + 2,
        );
        let late = apply_stripe_view(
            &cancelled,
            &view("sub_1", "active", PlanId::Pro),
            StripeRead::new(NOW + 1),
            NOW + 3,
            7,
        );
        assert_eq!(late, None);
        // The same read again, or a later one, is applied.
        for read in [NOW + 2, NOW + 4] {
            let s = apply_stripe_view(
                &cancelled,
                &view("sub_1", "active", PlanId::Pro),
                StripeRead::new(read),
                NOW + 5,
                7,
            )
            .expect("applied");
            assert_eq!(s.stripe_read, Some(StripeRead::new(read)));
        }
    }

    #[test]
    fn a_price_billing_does_not_sell_gives_free() {
        let mut v = view("sub_1", "active", PlanId::Pro);
        v.plan = None;
        let s = apply(&Subscription::free(tenant(), NOW), &v, NOW);
        assert_eq!(s.plan, PlanId::Free);
    }

    #[test]
    fn a_contract_limit_applies_to_its_plan_only() {
        let mut s = Subscription::free(tenant(), NOW);
        s.plan = PlanId::Enterprise;
        s.mau_limit = Some(250_000);
        assert_eq!(s.mau_limit(NOW), Some(250_000));
        s.mau_limit = None;
        assert_eq!(s.mau_limit(NOW), None);
    }
}
