//! Stripe webhooks. The signature is checked first, then the event id is
//! recorded so each event is applied once. An event only says that a
//! subscription changed: billing fetches the subscription as it is now and
//! stores that, so events may arrive late, twice or out of order. The answer
//! is 2xx only once the change is committed; an error makes Stripe retry.
use std::net::IpAddr;

use serde::Serialize;
use utoipa::ToSchema;

use super::{notify, Billing, BillingError};
use crate::domain::invoice::Invoice;
use crate::domain::subscription::{apply_stripe_view, Subscription};
use crate::domain::tenant::TenantId;
use crate::domain::webhook_senders::{SenderWatch, Verdict};
use crate::store::events::{Applied, Seen};
use crate::stripe::webhook::{
    parse_event, verify_signature, CheckoutCompleted, Event, InvoiceFacts, SignatureError,
    SubscriptionRef,
};

/// What became of a webhook delivery: `applied`, `duplicate`, or `ignored`
/// with a `reason`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[serde(tag = "result", content = "reason", rename_all = "snake_case")]
pub enum WebhookOutcome {
    /// Billing's state now follows Stripe's.
    Applied,
    /// Delivered before and already applied.
    Duplicate,
    /// Recorded and deliberately not acted on.
    Ignored(&'static str),
}

impl Billing {
    /// Applies one Stripe delivery, counted by outcome in
    /// `connectauth_billing_webhooks_total`.
    /// Applies a delivery from `sender` (the client's address, when known).
    /// A sender refused for failing its signature too often is answered
    /// at once; a signature that fails counts against it. A delivery
    /// without a signature is refused as such, whoever sends it.
    pub async fn handle_webhook(
        &self,
        payload: &[u8],
        signature: Option<&str>,
        sender: Option<IpAddr>,
    ) -> Result<WebhookOutcome, BillingError> {
        let now = self.now();
        // A delivery without a signature guesses nothing: it is refused as
        // such (400), neither counted nor answered as a refused sender.
        let watched = sender.filter(|_| signature.is_some());
        let refused = watched.and_then(|ip| self.senders().refused(ip, now));
        let result = match refused {
            Some(until) => Err(BillingError::SenderRefused {
                retry_after: u64::try_from(until.saturating_sub(now)).unwrap_or(1).max(1),
            }),
            None => self.apply_webhook(payload, signature).await,
        };
        if let (Err(BillingError::Signature(_)), Some(ip)) = (&result, watched) {
            if let Verdict::Blocked { until } = self.senders().failed(ip, now) {
                metrics::counter!("connectauth_billing_webhook_senders_refused_total").increment(1);
                tracing::warn!(
                    sender = %ip,
                    until,
                    "stripe webhook sender refused after repeated signature failures"
                );
            }
        }
        let outcome = match &result {
            Ok(WebhookOutcome::Applied) => "applied",
            Ok(WebhookOutcome::Duplicate) => "duplicate",
            Ok(WebhookOutcome::Ignored(_)) => "ignored",
            Err(BillingError::Signature(_)) => "bad_signature",
            Err(BillingError::SenderRefused { .. }) => "sender_refused",
            Err(_) => "failed",
        };
        metrics::counter!("connectauth_billing_webhooks_total", "outcome" => outcome).increment(1);
        result
    }

    /// The watch of failing senders; a poisoned lock (a panic while it was
    /// held) still holds consistent counts.
    fn senders(&self) -> std::sync::MutexGuard<'_, SenderWatch> {
        self.senders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn apply_webhook(
        &self,
        payload: &[u8],
        signature: Option<&str>,
    ) -> Result<WebhookOutcome, BillingError> {
        // Without a signature the request is not Stripe's, configured or not.
        let signature = signature.ok_or(SignatureError::Missing)?;
        let stripe = self.stripe()?;
        let now = self.now();
        verify_signature(
            payload,
            signature,
            &stripe.settings.webhook_secrets,
            now,
            stripe.settings.webhook_tolerance_secs,
        )?;
        let event = parse_event(payload)?;
        if self
            .events
            .receive(&event.id, &event.kind, event.created, now)
            .await?
            == Seen::Processed
        {
            return Ok(WebhookOutcome::Duplicate);
        }
        let outcome = match event.kind.as_str() {
            "checkout.session.completed" => self.on_checkout(&event).await?,
            "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted"
            | "customer.subscription.paused"
            | "customer.subscription.resumed" => {
                let s = SubscriptionRef::from_object(&event.object)?;
                match self
                    .tenant_of(Some(&s.customer_id), s.tenant_id.as_deref())
                    .await?
                {
                    Some(tenant) => self.sync(&event, tenant, &s.id).await?,
                    None => self.ignore(&event, "unknown customer").await?,
                }
            }
            "invoice.paid"
            | "invoice.payment_failed"
            | "invoice.payment_succeeded"
            | "invoice.finalized"
            | "invoice.voided"
            | "invoice.marked_uncollectible" => self.on_invoice(&event).await?,
            _ => self.ignore(&event, "event type not handled").await?,
        };
        tracing::info!(event = %event.id, kind = %event.kind, ?outcome, "stripe webhook");
        Ok(outcome)
    }

    async fn on_checkout(&self, event: &Event) -> Result<WebhookOutcome, BillingError> {
        let session = CheckoutCompleted::from_object(&event.object)?;
        let Some(subscription) = session.subscription_id.as_deref() else {
            return self.ignore(event, "not a subscription checkout").await;
        };
        match self
            .tenant_of(session.customer_id.as_deref(), session.tenant())
            .await?
        {
            Some(tenant) => self.sync(event, tenant, subscription).await,
            None => self.ignore(event, "unknown customer").await,
        }
    }

    async fn on_invoice(&self, event: &Event) -> Result<WebhookOutcome, BillingError> {
        let facts = InvoiceFacts::from_object(&event.object)?;
        let Some(tenant) = self
            .tenant_of(facts.customer_id.as_deref(), facts.tenant_id.as_deref())
            .await?
        else {
            return self.ignore(event, "unknown customer").await;
        };
        let invoice = Invoice {
            id: facts.id.clone(),
            subscription_id: facts.subscription_id.clone(),
            number: facts.number.clone(),
            status: facts.status.clone().unwrap_or_else(|| "open".into()),
            amount_due: facts.amount_due,
            amount_paid: facts.amount_paid,
            currency: facts.currency.clone().unwrap_or_else(|| "eur".into()),
            hosted_invoice_url: facts.hosted_invoice_url.clone(),
            created: facts.created.unwrap_or(event.created),
        };
        self.invoices.upsert(tenant, &invoice, self.now()).await?;
        match facts.subscription_id.as_deref() {
            Some(subscription) => self.sync(event, tenant, subscription).await,
            None => {
                self.events.mark_processed(&event.id, self.now()).await?;
                Ok(WebhookOutcome::Applied)
            }
        }
    }

    /// Fetches the subscription as Stripe has it now and stores that, unless
    /// a read that began later is already stored (two events for one tenant
    /// processed at once: the older state must not land last).
    async fn sync(
        &self,
        event: &Event,
        tenant: TenantId,
        subscription_id: &str,
    ) -> Result<WebhookOutcome, BillingError> {
        let stripe = self.stripe()?;
        let read = self.accounts.begin_stripe_read(tenant, self.now()).await?;
        let snapshot = match stripe.gateway.subscription(subscription_id).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => return self.ignore(event, "no such subscription").await,
            Err(e) => return Err(e.into()),
        };
        // The subscription must belong to the tenant's own customer.
        if self.tenant_of(Some(&snapshot.customer_id), None).await? != Some(tenant) {
            tracing::warn!(event = %event.id, "subscription and tenant do not match; ignored");
            return self.ignore(event, "subscription of another customer").await;
        }
        let view = self.view_of(&snapshot).await?;
        let now = self.now();
        let grace_days = self.quotas.grace_days;
        let applied = self
            .events
            .apply(&event.id, tenant, now, |before| {
                let free = Subscription::free(tenant, now);
                apply_stripe_view(before.unwrap_or(&free), &view, read, now, grace_days)
            })
            .await?;
        match applied {
            Applied::AlreadyProcessed => Ok(WebhookOutcome::Duplicate),
            Applied::Kept => Ok(WebhookOutcome::Ignored("a newer state is stored")),
            Applied::Changed(change) => {
                let (before, after) = (change.before, change.after);
                if after.starts_grace_after(before.as_ref()) {
                    if let (Some(owner), Some(until)) =
                        (self.owner_email(tenant).await?, after.grace_until)
                    {
                        notify::payment_failed(self, &owner, after.plan, until);
                    }
                }
                Ok(WebhookOutcome::Applied)
            }
        }
    }

    async fn ignore(
        &self,
        event: &Event,
        why: &'static str,
    ) -> Result<WebhookOutcome, BillingError> {
        if self.events.mark_processed(&event.id, self.now()).await? {
            Ok(WebhookOutcome::Ignored(why))
        } else {
            Ok(WebhookOutcome::Duplicate)
        }
    }

    /// The tenant of a Stripe customer billing created. A tenant named in
    /// metadata is only believed when it owns that customer.
    async fn tenant_of(
        &self,
        customer: Option<&str>,
        claimed: Option<&str>,
    ) -> Result<Option<TenantId>, BillingError> {
        let Some(customer) = customer else {
            return Ok(None);
        };
        let owner = self.accounts.tenant_of_customer(customer).await?;
        if let (Some(owner), Some(claimed)) = (owner, claimed) {
            if owner.to_string() != claimed {
                tracing::warn!(%owner, "event metadata names another tenant than the customer's");
            }
        }
        Ok(owner)
    }
}
