//! `/dashboard/t/{slug}/billing`: one tenant's plan, usage, warning,
//! invoices and plans and who gets its billing emails; sends the owner to
//! Stripe Checkout or the Customer Portal, and lets them change that
//! address. A tenant the person is not a member of is a 404, exactly like
//! one that does not exist.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;
use service_kit::mail::EMAIL_MAX;

use super::billing_view::{plan_by_id, BillingView};
use super::console::owner_of_at;
use super::context::{
    csrf_field, with_retry_after, PageCtx, PageForm, PlatformForm, PlatformPageCtx,
};
use super::error::PageError;
use crate::billing_link::client::PlanList;
use crate::dashboard::owner_billing::{billing_path, Next, OwnerBillingError};
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::user::User;

csrf_field!(CheckoutForm, PortalForm, ContactForm);

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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckoutForm {
    csrf: String,
    plan: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    csrf: String,
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

/// The logged-in platform user and the tenant `slug` whose billing they may
/// use (see [`owner_of_at`]; back to the tenant's billing page).
async fn owner_of(ctx: &PageCtx, slug: &str) -> Result<(User, Tenant), PageError> {
    owner_of_at(ctx, slug, &billing_path(slug), Access::Billing).await
}

pub async fn show_billing(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<BillingQuery>,
) -> Result<HttpResponse, PageError> {
    let (user, tenant) = owner_of(&ctx, &slug).await?;
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
    PageForm { ctx, form }: PlatformForm<CheckoutForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (user, tenant) = owner_of(&ctx, &slug).await?;
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
    PageForm { ctx, .. }: PlatformForm<PortalForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (user, tenant) = owner_of(&ctx, &slug).await?;
    match ctx.state.owner_billing.portal(user.id, &tenant).await {
        Ok(url) => Ok(ctx.redirect_to(url.as_str())),
        Err(e) => refused(&ctx, &user, &tenant, e).await,
    }
}

/// Who receives the tenant's quota and payment emails: `PUT …/account`,
/// then back to the page with a notice (the address is not put in the URL).
pub async fn submit_contact(
    PageForm { ctx, form }: PlatformForm<ContactForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (user, tenant) = owner_of(&ctx, &slug).await?;
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
