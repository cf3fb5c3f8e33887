//! The billing page's figures, worded for the reader's language: plan,
//! usage and its warning, grace and end dates, plans to buy, invoices.
use minijinja::{context, Value};

use super::context::PageCtx;
use crate::billing_link::client::{Plan, PlanList};
use crate::dashboard::owner_billing::Overview;
use crate::domain::tenant::Tenant;
use crate::domain::time_text::day_utc;
use crate::i18n::Locale;

pub(super) fn plan_by_id<'a>(plans: &'a PlanList, id: &str) -> Option<&'a Plan> {
    plans.plans.iter().find(|p| p.id == id)
}

/// The billing page's figures, worded for the reader's language.
pub(super) struct BillingView {
    values: Value,
}

impl BillingView {
    pub(super) fn new(ctx: &PageCtx, tenant: &Tenant, o: &Overview) -> Self {
        let locale = ctx.locale;
        let e = &o.subscription.entitlements;
        let plan_name =
            plan_by_id(&o.plans, &e.plan).map_or_else(|| e.plan.clone(), |p| p.name.clone());
        let used = number(e.mau_used, locale);
        let usage = match (e.mau_limit, e.usage_percent) {
            (Some(limit), percent) => ctx.text_with(
                "billing_usage_value",
                &[
                    ("used", &used),
                    ("limit", &number(limit, locale)),
                    (
                        "percent",
                        &percent_of(percent, e.mau_used, limit).to_string(),
                    ),
                ],
            ),
            (None, _) => ctx.text_with("billing_usage_unlimited", &[("used", &used)]),
        };
        let warning = warning_text(ctx, tenant, o);
        let grace = e
            .grace_until
            .map(|at| ctx.text_with("billing_grace", &[("date", &day_utc(at))]));
        let ends = e
            .current_period_end
            .filter(|_| e.cancel_at_period_end)
            .map(|at| ctx.text_with("billing_ends", &[("date", &day_utc(at))]));
        let checkout = o.subscription.checkout_available && o.plans.checkout_available;
        let subscribed = o.subscription.stripe_subscription_id.is_some();
        let plans: Vec<Value> = o
            .plans
            .plans
            .iter()
            .map(|p| {
                let current = p.id == e.plan;
                let buyable = checkout
                    && p.self_serve
                    && !current
                    && !(subscribed && p.id == o.subscription.subscribed_plan);
                let button_key = if subscribed {
                    "billing_switch"
                } else {
                    "billing_subscribe"
                };
                context! {
                    id => &p.id, name => &p.name, current,
                    price => price(ctx, p), mau => plan_mau(ctx, p.mau_limit),
                    button => buyable.then(|| ctx.text_with(button_key, &[("plan", &p.name)])),
                }
            })
            .collect();
        let invoices: Vec<Value> = o
            .invoices
            .iter()
            .map(|i| {
                context! {
                    number => i.number.clone().unwrap_or_else(|| i.id.clone()),
                    date => day_utc(i.created), status => &i.status,
                    amount => money(i.amount_due, &i.currency, locale),
                    url => i.hosted_invoice_url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")),
                }
            })
            .collect();
        Self {
            values: context! {
                plan_name, status => &e.status, month => &e.month, usage, warning,
                warning_level => &e.warning, grace, ends, plans, invoices,
                checkout_available => checkout,
            },
        }
    }

    pub(super) fn into_value(self) -> Value {
        self.values
    }
}

/// The banner at 80 %, 100 % and over the hard limit, naming the plan that fits.
fn warning_text(ctx: &PageCtx, tenant: &Tenant, o: &Overview) -> Option<String> {
    let e = &o.subscription.entitlements;
    let key = match e.warning.as_str() {
        "approaching" => "billing_warning_approaching",
        "reached" => "billing_warning_reached",
        "over_limit" => "billing_warning_over",
        _ => return None,
    };
    let limit = e
        .mau_limit
        .map(|l| number(l, ctx.locale))
        .unwrap_or_default();
    let percent = e
        .mau_limit
        .map(|l| percent_of(e.usage_percent, e.mau_used, l))
        .unwrap_or_default()
        .to_string();
    let mut text = ctx.text_with(
        key,
        &[
            ("tenant", tenant.display_name.as_ref()),
            ("limit", &limit),
            ("percent", &percent),
        ],
    );
    let suggestion = e
        .suggested_plan
        .as_deref()
        .and_then(|id| plan_by_id(&o.plans, id));
    let advice = match suggestion {
        Some(p) => ctx.text_with(
            "billing_suggest",
            &[("plan", &p.name), ("mau", &plan_mau(ctx, p.mau_limit))],
        ),
        None => ctx.text("billing_suggest_contact"),
    };
    text.push(' ');
    text.push_str(&advice);
    Some(text)
}

/// Billing's rounded-down percentage, or ours when it sent none.
fn percent_of(given: Option<f64>, used: u64, limit: u64) -> u64 {
    match given {
        // Billing sends a whole number; anything else is shown rounded down.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(p) if p.is_finite() && p >= 0.0 => p.floor() as u64,
        _ => used.saturating_mul(100).checked_div(limit).unwrap_or(0),
    }
}

fn plan_mau(ctx: &PageCtx, limit: Option<u64>) -> String {
    match limit {
        Some(n) => ctx.text_with("billing_plan_mau", &[("mau", &number(n, ctx.locale))]),
        None => ctx.text("billing_plan_mau_contract"),
    }
}

fn price(ctx: &PageCtx, p: &Plan) -> String {
    match p.price_cents {
        Some(cents) => ctx.text_with(
            "billing_per_month",
            &[(
                "price",
                &money(
                    i64::try_from(cents).unwrap_or(i64::MAX),
                    &p.currency,
                    ctx.locale,
                ),
            )],
        ),
        None => ctx.text("billing_on_quote"),
    }
}

/// `1,000` / `1 000` (a narrow no-break space in French).
fn number(n: u64, locale: Locale) -> String {
    let sep = match locale {
        Locale::En => ',',
        Locale::Fr => '\u{202f}',
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// `9 €`, `9.50 €` / `9,50 €`; other currencies by their code.
fn money(cents: i64, currency: &str, locale: Locale) -> String {
    let symbol = match currency.to_ascii_lowercase().as_str() {
        "eur" => "€".to_owned(),
        other => other.to_ascii_uppercase(),
    };
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let units = number(abs / 100, locale);
    let amount = match (abs % 100, locale) {
        (0, _) => units,
        (c, Locale::En) => format!("{units}.{c:02}"),
        (c, Locale::Fr) => format!("{units},{c:02}"),
    };
    format!("{sign}{amount}\u{a0}{symbol}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_prices_read_naturally_in_both_languages() {
        assert_eq!(number(0, Locale::En), "0");
        assert_eq!(number(999, Locale::En), "999");
        assert_eq!(number(20_000, Locale::En), "20,000");
        assert_eq!(number(1_234_567, Locale::Fr), "1\u{202f}234\u{202f}567");
        assert_eq!(money(900, "eur", Locale::En), "9\u{a0}€");
        assert_eq!(money(950, "eur", Locale::Fr), "9,50\u{a0}€");
        assert_eq!(money(1234, "usd", Locale::En), "12.34\u{a0}USD");
    }

    #[test]
    fn percentages_are_rounded_down_and_never_divide_by_zero() {
        assert_eq!(percent_of(Some(80.0), 800, 1000), 80);
        assert_eq!(percent_of(None, 999, 1000), 99);
        assert_eq!(percent_of(None, 5, 0), 0);
        assert_eq!(percent_of(Some(f64::NAN), 500, 1000), 50);
    }
}
