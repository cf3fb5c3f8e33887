//! Self-service onboarding: a platform user with a verified email creates a
//! tenant, becomes its owner, and gets a first app (one of the starter apps)
//! with its secret shown once. The tenant starts on the Free plan (billing's
//! plan for a tenant it has never heard of).

use crate::domain::client::{Client, PlainSecret};
use crate::domain::display_name::DisplayName;
use crate::domain::starter_app::{StarterApp, StarterAppError};
use crate::domain::tenant::{NewTenant, Tenant, TenantRuleError, TenantSettings, TenantSlug};
use crate::domain::user::User;
use crate::manage::{Manage, ManageError};
use crate::store::StoreError;

/// How many tenants one person may create for themselves; operators add
/// more through the management API.
pub const SELF_SERVICE_TENANTS_MAX: usize = 3;

/// What the "create your tenant" form asks.
pub struct TenantRequest<'a> {
    pub slug: &'a str,
    pub display_name: &'a str,
    pub app: &'a str,
    /// Where a web or single-page app's login comes back to.
    pub callback_url: Option<&'a str>,
}

/// A new tenant, its first app and, for a confidential app, the app's
/// secret in clear: the only time it exists.
pub struct Started {
    pub tenant: Tenant,
    pub app: StarterApp,
    pub client: Client,
    pub secret: Option<PlainSecret>,
}

#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    #[error("verify your email address before creating a tenant")]
    EmailNotVerified,
    #[error("you already own {SELF_SERVICE_TENANTS_MAX} tenants")]
    TooManyTenants,
    #[error(transparent)]
    Tenant(#[from] TenantRuleError),
    #[error("the slug `{0}` is taken")]
    SlugTaken(String),
    #[error(transparent)]
    App(#[from] StarterAppError),
    #[error(transparent)]
    Manage(ManageError),
}

impl From<ManageError> for OnboardingError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::Store(StoreError::SlugTaken(slug)) => Self::SlugTaken(slug),
            other => Self::Manage(other),
        }
    }
}

/// Creates the tenant `request` describes for `user`, makes them its owner
/// and gives it its first app. Everything the person typed is checked
/// before anything is written.
pub async fn start_tenant(
    manage: &Manage,
    user: &User,
    request: &TenantRequest<'_>,
) -> Result<Started, OnboardingError> {
    if user.email_verified_at.is_none() {
        return Err(OnboardingError::EmailNotVerified);
    }
    let new = NewTenant {
        slug: TenantSlug::parse(request.slug.trim())?,
        display_name: DisplayName::parse(request.display_name)
            .map_err(TenantRuleError::DisplayName)?,
        settings: TenantSettings::default(),
    };
    let app = StarterApp::parse(request.app)?;
    let (kind, settings) = app.client(None, request.callback_url)?;
    let Some(tenant) = manage
        .tenants
        .create_owned(new, user.id, SELF_SERVICE_TENANTS_MAX)
        .await?
    else {
        return Err(OnboardingError::TooManyTenants);
    };
    let (client, secret) = manage.clients.create(tenant.id, kind, settings).await?;
    tracing::info!(tenant = %tenant.slug, user_id = %user.id, app = app.as_str(), "tenant created by its owner");
    Ok(Started {
        tenant,
        app,
        client,
        secret,
    })
}
