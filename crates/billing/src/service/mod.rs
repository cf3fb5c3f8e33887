//! What billing does, between the HTTP handlers and the stores: metering
//! and quotas, entitlements, checkout and portal, Stripe webhooks, dunning.
mod checkout;
mod dashboard;
mod dunning;
mod entitlements;
pub mod manual_plan;
mod metering;
mod notify;
mod webhooks;

use service_kit::clock::SharedClock;
use service_kit::mail::MailQueue;

pub use checkout::{CheckoutOutcome, CheckoutParams};
pub use dashboard::{SubscriptionView, UsageView};
pub use dunning::spawn_dunning_task;
pub use entitlements::{entitlements_of, Entitlements, UsageReport};
pub use metering::{UsageEvent, UsageReceipt, MAX_EVENTS_PER_REPORT};
pub use webhooks::WebhookOutcome;

use crate::config::{QuotaSettings, StripeSettings};
use crate::domain::plan::PlanId;
use crate::domain::webhook_senders::{SenderRule, SenderWatch};
use crate::store::accounts::AccountStore;
use crate::store::events::EventStore;
use crate::store::invoices::InvoiceStore;
use crate::store::notices::NoticeStore;
use crate::store::subscriptions::SubscriptionStore;
use crate::store::usage::UsageStore;
use crate::store::StoreError;
use crate::stripe::webhook::{EventError, SignatureError};
use crate::stripe::{Gateway, GatewayError};
use manual_plan::ManualPlans;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error("billing is not configured: no Stripe key is set")]
    NotConfigured,
    #[error("the {0} plan cannot be bought online")]
    NotPurchasable(PlanId),
    #[error("the tenant has no paid subscription to manage")]
    NoSubscription,
    #[error("{0}")]
    Invalid(String),
    #[error("webhook signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("webhook payload: {0}")]
    Event(#[from] EventError),
    /// The sender failed its signature too often lately
    /// (`domain::webhook_senders`); refused without a check.
    #[error("webhook sender refused for {retry_after} s after repeated signature failures")]
    SenderRefused { retry_after: u64 },
}

/// Stripe, when configured: the API client and the webhook settings.
#[derive(Clone)]
pub struct StripeLink {
    pub gateway: Gateway,
    pub settings: StripeSettings,
}

/// The billing use case. Its stores are private: handlers call its methods,
/// which answer with domain types or views, never a store's own.
pub struct Billing {
    accounts: AccountStore,
    subscriptions: SubscriptionStore,
    usage: UsageStore,
    notices: NoticeStore,
    events: EventStore,
    invoices: InvoiceStore,
    stripe: Option<StripeLink>,
    mail: MailQueue,
    clock: SharedClock,
    quotas: QuotaSettings,
    /// What an operator sets by hand: the plan and the owner's address.
    pub manual: ManualPlans,
    /// Stripe webhook senders that keep failing their signature.
    senders: std::sync::Mutex<SenderWatch>,
}

impl Billing {
    pub fn new(
        pool: sqlx::AnyPool,
        stripe: Option<StripeLink>,
        mail: MailQueue,
        clock: SharedClock,
        quotas: QuotaSettings,
    ) -> Self {
        Self {
            accounts: AccountStore::new(pool.clone()),
            subscriptions: SubscriptionStore::new(pool.clone()),
            usage: UsageStore::new(pool.clone()),
            notices: NoticeStore::new(pool.clone()),
            events: EventStore::new(pool.clone()),
            invoices: InvoiceStore::new(pool.clone()),
            manual: ManualPlans::new(pool, clock.clone(), quotas),
            stripe,
            mail,
            clock,
            quotas,
            senders: std::sync::Mutex::new(SenderWatch::new(SenderRule::default())),
        }
    }

    /// When webhook senders that keep failing their signature are refused.
    pub fn with_sender_rule(self, rule: SenderRule) -> Self {
        Self {
            senders: std::sync::Mutex::new(SenderWatch::new(rule)),
            ..self
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn stripe_configured(&self) -> bool {
        self.stripe.is_some()
    }

    fn stripe(&self) -> Result<&StripeLink, BillingError> {
        self.stripe.as_ref().ok_or(BillingError::NotConfigured)
    }

    pub fn mail(&self) -> &MailQueue {
        &self.mail
    }
}
