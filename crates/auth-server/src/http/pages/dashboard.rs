//! `/dashboard`: the tenant owners' dashboard, pages of the `platform`
//! tenant's session, listing the tenants the person is a member of with
//! links to each one's console pages. A tenant's billing page is
//! `console_billing`'s (the route table still names it `dashboard::…`).
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use minijinja::{context, Value};

use super::console::platform_user;
use super::context::PlatformPageCtx;
use super::error::PageError;
use crate::dashboard::owner_billing::billing_path;
use crate::domain::team::Access;

pub async fn show_dashboard(ctx: PlatformPageCtx) -> Result<HttpResponse, PageError> {
    let user = platform_user(&ctx, "/dashboard").await?;
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
                leave_url => format!("/dashboard/t/{}/leave", t.slug),
                credentials_url => super::console_credentials::credentials_path(t.slug.as_ref()),
                billing_url => billing_path(t.slug.as_ref()),
                apps_url => super::console_apps::apps_path(t.slug.as_ref()),
                users_url => super::console_users::users_path(t.slug.as_ref()),
                branding_url => super::console_branding::branding_path(t.slug.as_ref()),
                settings_url => super::console_settings::settings_path(t.slug.as_ref()),
                keys_url => super::console_keys::keys_path(t.slug.as_ref()),
                blocks_url => super::console_blocks::blocks_path(t.slug.as_ref()),
                sign_in_url => super::console_sign_in_methods::sign_in_methods_path(t.slug.as_ref()),
                events_url => super::console_events::events_path(t.slug.as_ref()),
                report_url => super::console_security_report::security_report_path(t.slug.as_ref()),
                webhooks_url => super::console_webhooks::webhooks_path(t.slug.as_ref()),
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
