//! `/dashboard/t/{slug}/sign-in-methods`: the upstream identity providers a
//! tenant's users may sign in through ("Continue with Google"), in the
//! console: the callback URL to register at the provider, each provider's
//! settings (never its client secret), and, for members who may write, add
//! one from a preset, any OpenID Connect issuer or any plain OAuth 2.0
//! provider (its endpoints and userinfo fields), change its name, client
//! id, secret and scopes, turn it off and on, and remove it after
//! confirming. Every change goes through the `manage` use case the
//! management API uses, so its rules refuse the same things here.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;

use super::console::owned_tenant;
use super::context::{csrf_field, PageCtx, PageForm, PlatformForm, PlatformPageCtx};
use super::error::PageError;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::upstream::UpstreamProvider;
use crate::domain::upstream_settings::{MappingInput, Preset, Protocol, SettingsInput};
use crate::manage::upstream::ProviderInput;
use crate::manage::ManageError;

csrf_field!(AddForm, UpdateForm, DeleteForm);

/// The add form's choices for a provider named by its issuer URL, and for
/// a plain OAuth 2.0 one named by its endpoints; every other choice is a
/// preset's name.
const GENERIC: &str = "oidc";
const GENERIC_OAUTH2: &str = "oauth2";

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
#[serde(default)]
pub struct AddForm {
    csrf: String,
    kind: String,
    issuer: String,
    authorization_url: String,
    token_url: String,
    userinfo_url: String,
    subject_field: String,
    email_field: String,
    email_verified_field: String,
    name_field: String,
    /// A checkbox: the tenant vouches for the provider's emails.
    trust_email: Option<String>,
    /// A checkbox: keep the provider's tokens for the tenant's backend.
    keep_tokens: Option<String>,
    client_id: String,
    client_secret: String,
    slug: String,
    display_name: String,
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
    /// What the chosen kind reads of the form: the issuer for OpenID
    /// Connect (Microsoft's too, which names the tenant's directory), the
    /// endpoints and fields for plain OAuth 2.0 (a GitHub Enterprise
    /// Server's endpoints replace github.com's), the rest ignored.
    fn input(&self) -> ProviderInput {
        let oauth2 = || SettingsInput {
            authorization_url: given(&self.authorization_url),
            token_url: given(&self.token_url),
            userinfo_url: given(&self.userinfo_url),
            mapping: MappingInput {
                subject: given(&self.subject_field),
                email: given(&self.email_field),
                email_verified: given(&self.email_verified_field),
                name: given(&self.name_field),
            },
            trust_email: self.trust_email.as_ref().map(|_| true),
            ..SettingsInput::default()
        };
        let mut settings = match self.kind.as_str() {
            GENERIC => SettingsInput {
                issuer: given(&self.issuer),
                ..SettingsInput::default()
            },
            GENERIC_OAUTH2 => SettingsInput {
                kind: Some(GENERIC_OAUTH2.to_owned()),
                ..oauth2()
            },
            preset => match Preset::parse(preset).map(|p| (p, p.issuer())) {
                // Microsoft's issuer is the tenant's directory.
                Some((Preset::Microsoft, _)) => SettingsInput {
                    issuer: given(&self.issuer),
                    ..SettingsInput::default()
                },
                Some((_, None)) => oauth2(),
                _ => SettingsInput::default(),
            },
        };
        if ![GENERIC, GENERIC_OAUTH2].contains(&self.kind.as_str()) {
            settings.preset = Some(self.kind.clone());
        }
        settings.scopes = given(&self.scopes);
        ProviderInput {
            slug: given(&self.slug),
            display_name: given(&self.display_name),
            client_id: Some(self.client_id.trim().to_owned()),
            client_secret: Some(self.client_secret.clone()),
            enabled: None,
            keep_tokens: Some(self.keep_tokens.is_some()),
            settings,
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
            settings: SettingsInput {
                scopes: trimmed(&self.scopes),
                ..SettingsInput::default()
            },
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
    PageForm { ctx, form }: PlatformForm<AddForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
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
    PageForm { ctx, form }: PlatformForm<UpdateForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
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
    PageForm { ctx, form }: PlatformForm<DeleteForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
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
    // Where it signs people in: the issuer, or the authorization endpoint.
    let reached_at = match &p.settings.protocol {
        Protocol::Oidc { issuer } => issuer.clone(),
        Protocol::OAuth2(o) => o.authorization_url.to_string(),
    };
    context! {
        id => &p.id,
        slug => p.slug.as_ref(),
        name => p.display_name.as_ref(),
        kind => p.settings.protocol.kind().as_str(),
        reached_at,
        client_id => &p.client_id,
        scopes => &p.settings.scopes,
        enabled => p.enabled,
        state => ctx.text(if p.enabled { "sign_in_on" } else { "sign_in_off" }),
        action => format!("{}/{}", sign_in_methods_path(tenant.slug.as_ref()), p.id),
        open => editing.is_some(),
        typed_name => as_typed(editing.map(|f| &f.display_name), p.display_name.as_ref()),
        typed_client_id => as_typed(editing.map(|f| &f.client_id), &p.client_id),
        typed_scopes => as_typed(editing.map(|f| &f.scopes), &p.settings.scopes),
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
        Preset::Google.slug()
    } else {
        add.kind.as_str()
    };
    let kinds: Vec<Value> = Preset::ALL
        .iter()
        .map(|p| (p.slug(), p.display_name().to_owned()))
        .chain([
            (GENERIC, ctx.text("sign_in_generic")),
            (GENERIC_OAUTH2, ctx.text("sign_in_generic_oauth2")),
        ])
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
            authorization_url => &add.authorization_url,
            token_url => &add.token_url,
            userinfo_url => &add.userinfo_url,
            subject_field => &add.subject_field,
            email_field => &add.email_field,
            email_verified_field => &add.email_verified_field,
            name_field => &add.name_field,
            trust_email => add.trust_email.is_some(),
            keep_tokens => add.keep_tokens.is_some(),
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
        assert_eq!(input.settings.preset.as_deref(), Some("google"));
        assert_eq!(input.settings.issuer, None);
        assert_eq!(input.client_id.as_deref(), Some("cid"));
        assert_eq!(
            (input.slug, input.display_name, input.settings.scopes),
            (None, None, None)
        );
        let form = AddForm {
            kind: GENERIC.into(),
            issuer: "https://idp.example ".into(),
            userinfo_url: "https://ignored.example/u".into(),
            ..AddForm::default()
        };
        let input = form.input();
        assert_eq!(input.settings.preset, None);
        assert_eq!(
            input.settings.issuer.as_deref(),
            Some("https://idp.example")
        );
        assert_eq!(input.settings.userinfo_url, None);
        let form = AddForm {
            kind: "microsoft".into(),
            issuer: "https://login.microsoftonline.com/x/v2.0".into(),
            ..AddForm::default()
        };
        let input = form.input();
        assert_eq!(input.settings.preset.as_deref(), Some("microsoft"));
        assert!(
            input.settings.issuer.is_some(),
            "Microsoft names a directory"
        );
    }

    #[test]
    fn an_oauth2_provider_reads_its_endpoints_and_fields() {
        let form = AddForm {
            kind: GENERIC_OAUTH2.into(),
            issuer: "https://ignored.example".into(),
            authorization_url: " https://idp.example/a ".into(),
            token_url: "https://idp.example/t".into(),
            userinfo_url: "https://idp.example/u".into(),
            subject_field: "user_id".into(),
            email_field: " ".into(),
            trust_email: Some("on".into()),
            ..AddForm::default()
        };
        let s = form.input().settings;
        assert_eq!(s.kind.as_deref(), Some("oauth2"));
        assert_eq!(s.preset, None);
        assert_eq!(s.issuer, None);
        assert_eq!(
            s.authorization_url.as_deref(),
            Some("https://idp.example/a")
        );
        assert_eq!(s.mapping.subject.as_deref(), Some("user_id"));
        assert_eq!(s.mapping.email, None, "blank keeps the default");
        assert_eq!(s.trust_email, Some(true));
        // GitHub: blank endpoints keep github.com's.
        let github = AddForm {
            kind: "github".into(),
            ..AddForm::default()
        };
        let s = github.input().settings;
        assert_eq!(s.preset.as_deref(), Some("github"));
        assert_eq!((s.authorization_url, s.trust_email), (None, None));
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
            (input.display_name, input.client_id, input.settings.scopes),
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
            input.settings.scopes.as_deref(),
            Some(""),
            "cleared scopes are refused, not kept"
        );
        assert_eq!(input.enabled, None);
    }
}
