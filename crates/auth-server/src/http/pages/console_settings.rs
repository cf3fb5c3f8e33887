//! `/dashboard/t/{slug}/settings`: an owner sets how their tenant's users
//! sign up and sign in (sign-up open or closed, allowed email domains,
//! required MFA, lockout threshold, session lifetimes) and how its tokens
//! are made (default audience, key rotation period). The form is turned
//! into a JSON merge patch of the tenant's settings and goes through the
//! `manage` tenant use case, where every value is checked against its rule:
//! a refused form changes nothing and is shown again as typed.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::console::owned_tenant;
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use crate::domain::team::Access;
use crate::domain::tenant::{Tenant, TenantSettings};

csrf_field!(SettingsForm);

pub fn settings_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/settings")
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    /// `saved`: the last form was saved.
    done: Option<String>,
}

/// The form as typed. Checkboxes are absent when unticked; an empty field
/// means "the server's default".
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    #[serde(skip_serializing)]
    csrf: String,
    signup_open: Option<String>,
    signup_email_domains: String,
    require_mfa: Option<String>,
    lockout_threshold: String,
    session_idle_minutes: String,
    session_lifetime_hours: String,
    default_audience: String,
    key_rotation_days: String,
}

impl SettingsForm {
    /// The form that shows `settings` as they are.
    fn of(settings: &TenantSettings) -> Self {
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let on = |b: bool| b.then(|| "on".to_owned());
        Self {
            csrf: String::new(),
            signup_open: on(settings.signup_open()),
            signup_email_domains: settings.signup_email_domains().join(", "),
            require_mfa: on(settings.require_mfa()),
            lockout_threshold: number(settings.lockout_threshold()),
            session_idle_minutes: number(settings.session_idle_minutes()),
            session_lifetime_hours: number(settings.session_lifetime_hours()),
            default_audience: settings.default_audience().unwrap_or_default().to_owned(),
            key_rotation_days: number(settings.key_rotation_days()),
        }
    }

    /// The merge patch this form asks for: every setting on the page, an
    /// empty field as `null` (back to the default). A number field that is
    /// not a whole number goes as typed, for the settings rule to refuse.
    fn patch(&self) -> Value {
        let number = |text: &str| match text.trim() {
            "" => Value::Null,
            t => t
                .parse::<i64>()
                .map_or_else(|_| Value::from(t), Value::from),
        };
        let text = |text: &str| match text.trim() {
            "" => Value::Null,
            t => Value::from(t),
        };
        let domains: Vec<&str> = self
            .signup_email_domains
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .collect();
        json!({
            "signup_open": self.signup_open.is_some(),
            "signup_email_domains": if domains.is_empty() { Value::Null } else { json!(domains) },
            "require_mfa": self.require_mfa.is_some(),
            "lockout_threshold": number(&self.lockout_threshold),
            "session_idle_minutes": number(&self.session_idle_minutes),
            "session_lifetime_hours": number(&self.session_lifetime_hours),
            "default_audience": text(&self.default_audience),
            "key_rotation_days": number(&self.key_rotation_days),
        })
    }
}

pub async fn show_settings(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<SettingsQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &settings_path(&slug), Access::Read).await?;
    let notice = (q.done.as_deref() == Some("saved")).then(|| ctx.text("settings_saved"));
    let typed = SettingsForm::of(&tenant.settings);
    settings_page(&ctx, &tenant, StatusCode::OK, &typed, notice, None)
}

pub async fn submit_settings(
    PageForm { ctx, form }: PlatformForm<SettingsForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &settings_path(&slug), Access::Write).await?;
    match ctx
        .state
        .manage
        .tenants
        .patch_settings(tenant.id, form.patch())
        .await
    {
        Ok(_) => {
            tracing::info!(tenant = %tenant.slug, "settings changed by the tenant owner");
            Ok(ctx.redirect_to(&format!("{}?done=saved", settings_path(&slug))))
        }
        Err(e) => match e.settings_rule() {
            Some(rule) => {
                let error = ctx.refused_text(&rule);
                settings_page(
                    &ctx,
                    &tenant,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form,
                    None,
                    Some(error),
                )
            }
            None => Err(PageError::internal(e)),
        },
    }
}

fn settings_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    typed: &SettingsForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let sessions = ctx.state.identity.services.session_policy;
    let defaults = context! {
        lockout_threshold => ctx.state.identity.services.account_lockout.threshold,
        session_idle_minutes => sessions.idle.as_secs() / 60,
        session_lifetime_hours => sessions.absolute.as_secs() / 3600,
        key_rotation_days => ctx.state.manage.keys.default_rotation_days(),
        default_audience => ctx.state.oauth.issuer(tenant),
    };
    ctx.render(
        status,
        "settings.html",
        context! {
            heading => ctx.text_with("settings_title", &[("tenant", tenant.display_name.as_ref())]),
            action => settings_path(tenant.slug.as_ref()),
            form => typed,
            defaults,
            notice,
            error,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_a_patch_of_every_setting_on_the_page() {
        let form = SettingsForm {
            signup_open: None,
            signup_email_domains: "acme.io,  example.com\nfoo.org".into(),
            require_mfa: Some("on".into()),
            lockout_threshold: " 10 ".into(),
            session_idle_minutes: String::new(),
            session_lifetime_hours: "1.5".into(),
            default_audience: " api ".into(),
            ..SettingsForm::default()
        };
        assert_eq!(
            form.patch(),
            json!({
                "signup_open": false,
                "signup_email_domains": ["acme.io", "example.com", "foo.org"],
                "require_mfa": true,
                "lockout_threshold": 10,
                "session_idle_minutes": null,
                "session_lifetime_hours": "1.5",
                "default_audience": "api",
                "key_rotation_days": null,
            })
        );
    }

    #[test]
    fn the_form_of_saved_settings_patches_nothing_away() {
        let saved = TenantSettings::parse(json!({
            "signup_email_domains": ["acme.io"],
            "require_mfa": true,
            "lockout_threshold": 7,
            "key_rotation_days": 30,
        }))
        .expect("valid");
        let again = saved
            .merged(SettingsForm::of(&saved).patch())
            .expect("valid patch");
        assert_eq!(again.signup_email_domains(), ["acme.io"]);
        assert!(again.require_mfa() && again.signup_open());
        assert_eq!(again.lockout_threshold(), Some(7));
        assert_eq!(again.key_rotation_days(), Some(30));
        assert_eq!(again.session_idle_minutes(), None);
    }
}
