//! `/dashboard/t/{slug}/sign-in-methods`: the upstream identity providers a
//! tenant's users may sign in through ("Continue with Google"), in the
//! console: the callback URL to register at the provider, each provider's
//! settings (never its client secret), and, for members who may write, add
//! one from a preset or any OpenID Connect issuer, change its name, client
//! id, secret and scopes, turn it off and on, and remove it after
//! confirming. Every change goes through the `manage` use case the
//! management API uses, so its rules refuse the same things here.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;

use super::console::owned_tenant;
use super::context::{PageCtx, PlatformPageCtx};
use super::error::PageError;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::upstream::{Preset, UpstreamProvider};
use crate::manage::upstream::ProviderInput;
use crate::manage::ManageError;

/// The add form's choice for a provider named by its issuer URL; every
/// other choice is a preset's name.
const GENERIC: &str = "oidc";
const PRESETS: [&str; 1] = ["google"];

pub fn sign_in_methods_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/sign-in-methods")
}

#[derive(Deserialize)]
pub struct MethodsQuery {
    /// `added`, `saved` or `deleted`: what the last form did.
    done: Option<String>,
}

/// A new provider: a preset or [`GENERIC`] with an issuer, the client
/// registered there, and optionally its slug, name and scopes.
#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    scopes: String,
}

/// A change: a field absent stays (the enable and disable buttons send
/// `enabled` only); a blank secret keeps the sealed one.
#[derive(Deserialize, Default)]
pub struct UpdateForm {
    #[serde(default)]
    csrf: String,
    display_name: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scopes: Option<String>,
    /// `true` or `false`.
    enabled: Option<String>,
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    /// A checkbox the member ticks to say they understand.
    confirm: Option<String>,
}

/// `text` trimmed, or `None` when nothing is left.
fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl AddForm {
    fn input(&self) -> ProviderInput {
        let (preset, issuer) = match self.kind.as_str() {
            GENERIC => (None, given(&self.issuer)),
            preset => (Some(preset.to_owned()), None),
        };
        ProviderInput {
            preset,
            issuer,
            slug: given(&self.slug),
            display_name: given(&self.display_name),
            client_id: Some(self.client_id.trim().to_owned()),
            client_secret: Some(self.client_secret.clone()),
            scopes: given(&self.scopes),
            enabled: None,
        }
    }
}

impl UpdateForm {
    fn input(&self) -> ProviderInput {
        let trimmed = |field: &Option<String>| field.as_deref().map(|t| t.trim().to_owned());
        ProviderInput {
            display_name: trimmed(&self.display_name),
            client_id: trimmed(&self.client_id),
            client_secret: self.client_secret.as_deref().and_then(given),
            scopes: trimmed(&self.scopes),
            enabled: match self.enabled.as_deref() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
            ..ProviderInput::default()
        }
    }
}

/// What the page shows again after a refused form: the add form as typed,
/// or one provider's edit form as typed (its section open).
#[derive(Default)]
struct Typed<'a> {
    add: Option<&'a AddForm>,
    edit: Option<(&'a str, &'a UpdateForm)>,
}

async fn tenant_at(ctx: &PageCtx, slug: &str, access: Access) -> Result<Tenant, PageError> {
    owned_tenant(ctx, slug, &sign_in_methods_path(slug), access).await
}

pub async fn show_sign_in_methods(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<MethodsQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_at(&ctx, &slug, Access::Read).await?;
    let notice = match q.done.as_deref() {
        Some("added") => Some(ctx.text("sign_in_added")),
        Some("saved") => Some(ctx.text("sign_in_saved")),
        Some("deleted") => Some(ctx.text("sign_in_deleted")),
        _ => None,
    };
    let typed = Typed::default();
    methods_page(&ctx, &tenant, StatusCode::OK, notice, None, typed).await
}

pub async fn submit_add(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, PageError> {
    ctx.accept_form(&form.csrf)?;
    let tenant = tenant_at(&ctx, &slug, Access::Write).await?;
    let added = ctx
        .state
        .manage
        .upstreams
        .create(tenant.id, form.input())
        .await;
    match added {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=added", sign_in_methods_path(&slug)))),
        Err(e) => {
            let (status, error) = refusal(&ctx, e)?;
            let typed = Typed {
                add: Some(&form),
                edit: None,
            };
            methods_page(&ctx, &tenant, status, None, Some(error), typed).await
        }
    }
}

pub async fn submit_update(
    ctx: PlatformPageCtx,
    path: web::Path<(String, String)>,
    form: web::Form<UpdateForm>,
) -> Result<HttpResponse, PageError> {
    ctx.accept_form(&form.csrf)?;
    let (slug, id) = path.into_inner();
    let tenant = tenant_at(&ctx, &slug, Access::Write).await?;
    let updated = ctx
        .state
        .manage
        .upstreams
        .update(tenant.id, &id, form.input())
        .await;
    match updated {
        Ok(_) => Ok(ctx.redirect_to(&format!("{}?done=saved", sign_in_methods_path(&slug)))),
        Err(e) => {
            let (status, error) = refusal(&ctx, e)?;
            let typed = Typed {
                add: None,
                edit: Some((&id, &form)),
            };
            methods_page(&ctx, &tenant, status, None, Some(error), typed).await
        }
    }
}

pub async fn submit_delete(
    ctx: PlatformPageCtx,
    path: web::Path<(String, String)>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    ctx.accept_form(&form.csrf)?;
    let (slug, id) = path.into_inner();
    let tenant = tenant_at(&ctx, &slug, Access::Write).await?;
    if form.confirm.is_none() {
        let error = ctx.text("sign_in_delete_unconfirmed");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return methods_page(&ctx, &tenant, status, None, Some(error), Typed::default()).await;
    }
    match ctx.state.manage.upstreams.delete(tenant.id, &id).await {
        Ok(()) => Ok(ctx.redirect_to(&format!("{}?done=deleted", sign_in_methods_path(&slug)))),
        Err(e) if e.is_provider_not_found() => Err(PageError::TenantNotFound),
        Err(e) => Err(PageError::internal(e)),
    }
}

/// A refusal the member can mend, as its status and text: a broken rule
/// (422) or a slug the tenant already uses (409). Another tenant's or an
/// unknown provider is the same 404 as an unknown tenant.
fn refusal(ctx: &PageCtx, e: ManageError) -> Result<(StatusCode, String), PageError> {
    if let Some(rule) = e.upstream_rule() {
        Ok((StatusCode::UNPROCESSABLE_ENTITY, ctx.refused_text(rule)))
    } else if e.is_provider_slug_taken() {
        Ok((StatusCode::CONFLICT, ctx.text("sign_in_slug_taken")))
    } else if e.is_provider_not_found() {
        Err(PageError::TenantNotFound)
    } else {
        Err(PageError::internal(e))
    }
}

fn provider_row(ctx: &PageCtx, tenant: &Tenant, p: &UpstreamProvider, typed: &Typed) -> Value {
    let editing = typed
        .edit
        .filter(|(id, _)| *id == p.id)
        .map(|(_, form)| form);
    let as_typed = |field: Option<&Option<String>>, saved: &str| {
        field.and_then(Option::as_deref).unwrap_or(saved).to_owned()
    };
    context! {
        id => &p.id,
        slug => p.slug.as_ref(),
        name => p.display_name.as_ref(),
        issuer => &p.issuer,
        client_id => &p.client_id,
        scopes => &p.scopes,
        enabled => p.enabled,
        state => ctx.text(if p.enabled { "sign_in_on" } else { "sign_in_off" }),
        action => format!("{}/{}", sign_in_methods_path(tenant.slug.as_ref()), p.id),
        open => editing.is_some(),
        typed_name => as_typed(editing.map(|f| &f.display_name), p.display_name.as_ref()),
        typed_client_id => as_typed(editing.map(|f| &f.client_id), &p.client_id),
        typed_scopes => as_typed(editing.map(|f| &f.scopes), &p.scopes),
    }
}

async fn methods_page(
    ctx: &PageCtx,
    tenant: &Tenant,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    typed: Typed<'_>,
) -> Result<HttpResponse, PageError> {
    let upstreams = &ctx.state.manage.upstreams;
    let providers: Vec<Value> = upstreams
        .list(tenant.id)
        .await
        .map_err(PageError::internal)?
        .iter()
        .map(|p| provider_row(ctx, tenant, p, &typed))
        .collect();
    // The add form as typed, but for its secret: never sent back.
    let blank = AddForm::default();
    let add = typed.add.unwrap_or(&blank);
    let chosen = if add.kind.is_empty() {
        PRESETS[0]
    } else {
        add.kind.as_str()
    };
    let kinds: Vec<Value> = PRESETS
        .iter()
        .filter_map(|name| Some((*name, Preset::parse(name)?.display_name().to_owned())))
        .chain([(GENERIC, ctx.text("sign_in_generic"))])
        .map(|(value, label)| context! { value, label, selected => value == chosen })
        .collect();
    ctx.render(
        status,
        "sign_in_methods.html",
        context! {
            wide => true,
            heading => ctx.text_with("sign_in_title", &[("tenant", tenant.display_name.as_ref())]),
            action => sign_in_methods_path(tenant.slug.as_ref()),
            callback_url => upstreams.callback_url(tenant),
            login_url => format!("/t/{}/login", tenant.slug),
            providers,
            kinds,
            issuer => &add.issuer,
            client_id => &add.client_id,
            slug => &add.slug,
            display_name => &add.display_name,
            scopes => &add.scopes,
            notice,
            error,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_names_no_issuer_and_a_generic_provider_does() {
        let form = AddForm {
            kind: "google".into(),
            issuer: "https://ignored.example".into(),
            client_id: " cid ".into(),
            client_secret: "s3cr3t".into(),
            ..AddForm::default()
        };
        let input = form.input();
        assert_eq!(input.preset.as_deref(), Some("google"));
        assert_eq!(input.issuer, None);
        assert_eq!(input.client_id.as_deref(), Some("cid"));
        assert_eq!(
            (input.slug, input.display_name, input.scopes),
            (None, None, None)
        );
        let form = AddForm {
            kind: GENERIC.into(),
            issuer: "https://idp.example ".into(),
            ..AddForm::default()
        };
        let input = form.input();
        assert_eq!(input.preset, None);
        assert_eq!(input.issuer.as_deref(), Some("https://idp.example"));
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name() {
        let toggle = UpdateForm {
            enabled: Some("false".into()),
            ..UpdateForm::default()
        };
        let input = toggle.input();
        assert_eq!(input.enabled, Some(false));
        assert_eq!(
            (input.display_name, input.client_id, input.scopes),
            (None, None, None)
        );
        let edit = UpdateForm {
            display_name: Some(" Acme SSO ".into()),
            client_id: Some("cid".into()),
            client_secret: Some("  ".into()),
            scopes: Some("".into()),
            ..UpdateForm::default()
        };
        let input = edit.input();
        assert_eq!(input.display_name.as_deref(), Some("Acme SSO"));
        assert_eq!(
            input.client_secret, None,
            "a blank secret keeps the sealed one"
        );
        assert_eq!(
            input.scopes.as_deref(),
            Some(""),
            "cleared scopes are refused, not kept"
        );
        assert_eq!(input.enabled, None);
    }
}
