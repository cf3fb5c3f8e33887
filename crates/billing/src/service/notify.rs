//! Emails to tenant owners. Sending is queued (never awaited on a request);
//! a failure is logged without the address's local part.
use service_kit::mail::{MailError, OutgoingMail};

use super::Billing;
use crate::domain::month::Month;
use crate::domain::plan::PlanId;
use crate::domain::quota::Quota;

fn send(billing: &Billing, to: &str, subject: &str, text: String) {
    let queued = OutgoingMail::new(to, subject, text).and_then(|m| billing.mail.enqueue(m));
    if let Err(e) = queued {
        not_queued(to, &e);
    }
}

fn not_queued(to: &str, e: &MailError) {
    let domain = to.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    tracing::warn!(recipient_domain = domain, error = %e, "billing mail not queued");
}

pub(super) fn quota(
    billing: &Billing,
    to: &str,
    threshold: u32,
    month: Month,
    q: &Quota,
    plan: PlanId,
) {
    let limit = q.limit.unwrap_or_default();
    let mut text = format!(
        "Your {} plan includes {limit} monthly active users. In {month} you have {} so far ({}%).\n\n",
        plan.plan().name,
        q.used,
        q.percent().unwrap_or_default()
    );
    if threshold >= 100 {
        text.push_str(&format!(
            "You have reached your limit. Logins keep working; once you reach {} users, new sign-ups \
             will be refused until next month or until you upgrade.\n",
            q.hard_limit().unwrap_or_default()
        ));
    } else {
        text.push_str("You are close to your limit.\n");
    }
    if let Some(next) = q.suggestion(plan) {
        let next = next.plan();
        match next.mau_limit {
            Some(l) => text.push_str(&format!(
                "\nThe {} plan covers {l} monthly active users.\n",
                next.name
            )),
            None => text.push_str(&format!(
                "\nThe {} plan sets the limit by contract: contact us.\n",
                next.name
            )),
        }
    }
    send(
        billing,
        to,
        &format!("ConnectAuth: {threshold}% of your monthly active users"),
        text,
    );
}

pub(super) fn payment_failed(billing: &Billing, to: &str, plan: PlanId, grace_until: i64) {
    let date = time::OffsetDateTime::from_unix_timestamp(grace_until)
        .map(|d| d.date().to_string())
        .unwrap_or_default();
    send(
        billing,
        to,
        "ConnectAuth: your payment failed",
        format!(
            "We could not take the payment for your {} plan. Please update your card from the \
             billing page. If it is still unpaid on {date} (UTC), your tenant moves to the Free plan.\n",
            plan.plan().name
        ),
    );
}

pub(super) fn downgraded(billing: &Billing, to: &str) {
    let free = PlanId::Free.plan();
    send(
        billing,
        to,
        "ConnectAuth: your tenant is now on the Free plan",
        format!(
            "Your payment is still outstanding and the grace period has ended, so your tenant now \
             has the Free plan's limit of {} monthly active users. Pay the open invoice or subscribe \
             again from the billing page to restore your plan.\n",
            free.mau_limit.unwrap_or_default()
        ),
    );
}
