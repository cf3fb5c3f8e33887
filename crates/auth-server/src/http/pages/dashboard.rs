//! `/dashboard`: the tenant owners' dashboard, pages of the `platform`
//! tenant's session. `/dashboard` lists the tenants the person owns;
//! `/dashboard/t/{slug}/billing` shows one tenant's plan, usage, warning,
//! invoices and plans and who gets its billing emails, sends the owner to
//! Stripe Checkout or the Customer Portal, and lets them change that address. A tenant the person does not own is a 404, exactly like
//! one that does not exist.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;
use service_kit::mail::EMAIL_MAX;
use time::OffsetDateTime;

use super::context::{with_retry_after, PageCtx, PlatformPageCtx};
use super::error::PageError;
use crate::billing_link::client::{Plan, PlanList};
use crate::dashboard::owner_billing::{billing_path, Next, Overview, OwnerBillingError};
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::user::User;
use crate::i18n::Locale;
use crate::identity::sessions::ActiveSession;

/// Seconds a browser is asked to wait when billing is unavailable.
const UNAVAILABLE_RETRY_SECS: u64 = 30;

#[derive(Deserialize)]
pub struct BillingQuery {
    /// `success` or `cancelled`: back from Stripe Checkout.
    checkout: Option<String>,
    /// The plan an immediate change moved to.
    changed: Option<String>,
    /// `saved`: the billing email address was changed.
    contact: Option<String>,
}

#[derive(Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    plan: String,
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    owner_email: String,
}

#[derive(Deserialize)]
pub struct PortalForm {
    #[serde(default)]
    csrf: String,
}

/// What the billing page says above its content.
enum Notice {
    None,
    CheckoutSuccess,
    CheckoutCancelled,
    Changed(String),
    ContactSaved,
}

/// The logged-in platform user, or where to send the browser instead: the
/// platform login page (coming back to `back` afterwards), or MFA enrolment
/// when the platform tenant requires it.
pub(super) async fn platform_user(
    ctx: &PageCtx,
    back: &str,
) -> Result<Result<User, HttpResponse>, PageError> {
    let Some(session) = ctx.session().await?.filter(ActiveSession::is_authenticated) else {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", back)
            .finish();
        return Ok(Err(ctx.redirect(&format!("/login?{query}"))));
    };
    if ctx.requires_mfa() && !session.user.mfa_enabled() {
        return Ok(Err(ctx.redirect("/mfa/enroll")));
    }
    Ok(Ok(session.user))
}

/// The logged-in platform user and the tenant `slug` whose billing they
/// may use (an owner's; see [`owner_of_at`]), or where to send the browser
/// instead (see [`platform_user`]; back to the tenant's billing page).
async fn owner_of(
    ctx: &PageCtx,
    slug: &str,
) -> Result<Result<(User, Tenant), HttpResponse>, PageError> {
    owner_of_at(ctx, slug, &billing_path(slug), Access::Billing).await
}

/// The tenant `slug` its logged-in member asks for, if their role allows
/// `access`, or where to send the browser instead (the platform login,
/// coming back to `back`): what every console page starts with.
pub(super) async fn owned_tenant(
    ctx: &PageCtx,
    slug: &str,
    back: &str,
    access: Access,
) -> Result<Result<Tenant, HttpResponse>, PageError> {
    Ok(owner_of_at(ctx, slug, back, access)
        .await?
        .map(|(_, tenant)| tenant))
}

/// The logged-in platform user and the tenant `slug` they are a member of,
/// when their role allows `access`. Not a member: the same 404 as an
/// unknown tenant. A member whose role does not allow it: 403. The role is
/// kept on the page context, so pages show only what it allows.
pub(super) async fn owner_of_at(
    ctx: &PageCtx,
    slug: &str,
    back: &str,
    access: Access,
) -> Result<Result<(User, Tenant), HttpResponse>, PageError> {
    let user = match platform_user(ctx, back).await? {
        Ok(user) => user,
        Err(redirect) => return Ok(Err(redirect)),
    };
    let (tenant, role) = ctx
        .state
        .owners
        .owned_tenant(user.id, slug)
        .await
        .map_err(PageError::internal)?
        .ok_or(PageError::TenantNotFound)?;
    ctx.set_role(role);
    if !role.allows(access) {
        return Err(PageError::Forbidden);
    }
    Ok(Ok((user, tenant)))
}

pub async fn show_dashboard(ctx: PlatformPageCtx) -> Result<HttpResponse, PageError> {
    let ctx = ctx.0;
    let user = match platform_user(&ctx, "/dashboard").await? {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect),
    };
    let tenants = ctx
        .state
        .owners
        .tenants_of(user.id)
        .await
        .map_err(PageError::internal)?;
    let rows: Vec<Value> = tenants
        .iter()
        .map(|(t, role)| {
            context! {
                slug => t.slug.as_ref(), name => t.display_name.as_ref(),
                role => role.as_str(),
                can_bill => role.allows(Access::Billing),
                can_team => role.allows(Access::Team),
                team_url => super::console_team::team_path(t.slug.as_ref()),
                credentials_url => super::console_credentials::credentials_path(t.slug.as_ref()),
                billing_url => billing_path(t.slug.as_ref()),
                apps_url => super::console_apps::apps_path(t.slug.as_ref()),
                users_url => super::console_users::users_path(t.slug.as_ref()),
                branding_url => super::console_branding::branding_path(t.slug.as_ref()),
                settings_url => super::console_settings::settings_path(t.slug.as_ref()),
                keys_url => super::console_keys::keys_path(t.slug.as_ref()),
                events_url => super::console_events::events_path(t.slug.as_ref()),
            }
        })
        .collect();
    ctx.render(
        StatusCode::OK,
        "dashboard.html",
        context! {
            wide => true,
            email => user.email.address(),
            tenants => rows,
            billing_off => !ctx.state.owner_billing.is_on(),
        },
    )
}

pub async fn show_billing(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<BillingQuery>,
) -> Result<HttpResponse, PageError> {
    let ctx = ctx.0;
    let (user, tenant) = match owner_of(&ctx, &slug).await? {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    let notice = match (q.checkout.as_deref(), &q.changed, q.contact.as_deref()) {
        (Some("success"), _, _) => Notice::CheckoutSuccess,
        (Some("cancelled"), _, _) => Notice::CheckoutCancelled,
        (_, Some(plan), _) => Notice::Changed(plan.clone()),
        (_, _, Some("saved")) => Notice::ContactSaved,
        _ => Notice::None,
    };
    billing_page(&ctx, &user, &tenant, StatusCode::OK, notice, None, None).await
}

pub async fn submit_checkout(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    form: web::Form<CheckoutForm>,
) -> Result<HttpResponse, PageError> {
    let ctx = ctx.0;
    ctx.accept_form(&form.csrf)?;
    let (user, tenant) = match owner_of(&ctx, &slug).await? {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    match ctx
        .state
        .owner_billing
        .checkout(user.id, &tenant, &form.plan)
        .await
    {
        Ok(Next::Stripe(url)) => Ok(ctx.redirect_to(url.as_str())),
        Ok(Next::Changed(plan)) => {
            tracing::info!(tenant = %tenant.slug, plan, "plan changed by its owner");
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("changed", &plan)
                .finish();
            Ok(ctx.redirect_to(&format!("{}?{query}", billing_path(&slug))))
        }
        Err(e) => refused(&ctx, &user, &tenant, e).await,
    }
}

pub async fn submit_portal(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    form: web::Form<PortalForm>,
) -> Result<HttpResponse, PageError> {
    let ctx = ctx.0;
    ctx.accept_form(&form.csrf)?;
    let (user, tenant) = match owner_of(&ctx, &slug).await? {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    match ctx.state.owner_billing.portal(user.id, &tenant).await {
        Ok(url) => Ok(ctx.redirect_to(url.as_str())),
        Err(e) => refused(&ctx, &user, &tenant, e).await,
    }
}

/// Who receives the tenant's quota and payment emails: `PUT …/account`,
/// then back to the page with a notice (the address is not put in the URL).
pub async fn submit_contact(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, PageError> {
    let ctx = ctx.0;
    ctx.accept_form(&form.csrf)?;
    let (user, tenant) = match owner_of(&ctx, &slug).await? {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    let typed = form.owner_email.trim();
    match ctx
        .state
        .owner_billing
        .set_owner_email(user.id, &tenant, typed)
        .await
    {
        Ok(()) => {
            tracing::info!(tenant = %tenant.slug, "billing email address changed by its owner");
            Ok(ctx.redirect_to(&format!("{}?contact=saved", billing_path(&slug))))
        }
        Err(OwnerBillingError::InvalidEmail) => {
            // The page again, the address as typed (cut short) in the field.
            let typed: String = typed.chars().take(EMAIL_MAX).collect();
            let error = ctx.text("billing_contact_invalid");
            billing_page(
                &ctx,
                &user,
                &tenant,
                StatusCode::UNPROCESSABLE_ENTITY,
                Notice::None,
                Some(error),
                Some(&typed),
            )
            .await
        }
        Err(e) => refused(&ctx, &user, &tenant, e).await,
    }
}

/// A billing action billing refused: the page again with the reason, or the
/// "unavailable" page.
async fn refused(
    ctx: &PageCtx,
    user: &User,
    tenant: &Tenant,
    e: OwnerBillingError,
) -> Result<HttpResponse, PageError> {
    let (status, key) = match &e {
        OwnerBillingError::NotConfigured | OwnerBillingError::Off => {
            (StatusCode::CONFLICT, "billing_not_configured")
        }
        OwnerBillingError::NotPurchasable => {
            (StatusCode::UNPROCESSABLE_ENTITY, "billing_not_purchasable")
        }
        OwnerBillingError::NoSubscription => (StatusCode::CONFLICT, "billing_no_subscription"),
        OwnerBillingError::InvalidEmail => {
            (StatusCode::UNPROCESSABLE_ENTITY, "billing_contact_invalid")
        }
        OwnerBillingError::Unavailable(_) => return unavailable(ctx, tenant, &e),
    };
    billing_page(
        ctx,
        user,
        tenant,
        status,
        Notice::None,
        Some(ctx.text(key)),
        None,
    )
    .await
}

fn unavailable(
    ctx: &PageCtx,
    tenant: &Tenant,
    e: &OwnerBillingError,
) -> Result<HttpResponse, PageError> {
    tracing::warn!(tenant = %tenant.slug, error = %e, "billing unavailable to the dashboard");
    let message = ctx.text("billing_unavailable");
    let res = ctx.message(
        StatusCode::SERVICE_UNAVAILABLE,
        "billing_unavailable_title",
        &message,
        Some(("dashboard_link", "/dashboard".to_owned())),
    )?;
    Ok(with_retry_after(res, Some(UNAVAILABLE_RETRY_SECS)))
}

/// The billing page; `typed` is what goes back in the email field after a
/// refused address (otherwise the current address, or the owner's own).
async fn billing_page(
    ctx: &PageCtx,
    user: &User,
    tenant: &Tenant,
    status: StatusCode,
    notice: Notice,
    error: Option<String>,
    typed: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let heading = ctx.text_with("billing_title", &[("tenant", tenant.display_name.as_ref())]);
    // Checkout and the portal answer with a redirect to the payment pages.
    for origin in ctx.state.owner_billing.payment_origins() {
        ctx.allow_form_target(origin.as_str());
    }
    let overview = match ctx.state.owner_billing.overview(user.id, tenant.id).await {
        Ok(overview) => overview,
        Err(OwnerBillingError::Off) => {
            return ctx.render(
                status,
                "dashboard_billing.html",
                context! { wide => true, heading, billing_off => true, error },
            );
        }
        Err(e) => return unavailable(ctx, tenant, &e),
    };
    let notice = notice_text(ctx, &overview.plans, notice);
    let view = BillingView::new(ctx, tenant, &overview);
    let current = overview
        .account
        .owner_email
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let contact = match current {
        Some(address) => ctx.text_with("billing_contact_current", &[("address", address)]),
        None => ctx.text("billing_contact_none"),
    };
    let contact_input = typed.or(current).unwrap_or(user.email.address());
    ctx.render(
        status,
        "dashboard_billing.html",
        context! {
            wide => true, heading, error, notice, contact, contact_input,
            contact_max => EMAIL_MAX,
            action => billing_path(tenant.slug.as_ref()),
            ..view.into_value()
        },
    )
}

fn notice_text(ctx: &PageCtx, plans: &PlanList, notice: Notice) -> Option<String> {
    match notice {
        Notice::None => None,
        Notice::CheckoutSuccess => Some(ctx.text("billing_checkout_success")),
        Notice::CheckoutCancelled => Some(ctx.text("billing_checkout_cancelled")),
        // Only a plan of the catalogue is named back.
        Notice::Changed(id) => {
            plan_by_id(plans, &id).map(|p| ctx.text_with("billing_changed", &[("plan", &p.name)]))
        }
        Notice::ContactSaved => Some(ctx.text("billing_contact_saved")),
    }
}

fn plan_by_id<'a>(plans: &'a PlanList, id: &str) -> Option<&'a Plan> {
    plans.plans.iter().find(|p| p.id == id)
}

/// The billing page's figures, worded for the reader's language.
struct BillingView {
    values: Value,
}

impl BillingView {
    fn new(ctx: &PageCtx, tenant: &Tenant, o: &Overview) -> Self {
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
            .map(|at| ctx.text_with("billing_grace", &[("date", &day(at))]));
        let ends = e
            .current_period_end
            .filter(|_| e.cancel_at_period_end)
            .map(|at| ctx.text_with("billing_ends", &[("date", &day(at))]));
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
                    date => day(i.created), status => &i.status,
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

    fn into_value(self) -> Value {
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

/// `2026-11-26` (UTC).
fn day(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
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
