//! What every console page starts with: the signed-in platform user, and the
//! tenant they are a member of with a role that allows the page. A visitor
//! who must sign in (or enrol MFA) first is sent there as a
//! [`PageError::Redirect`], so a handler's `?` ends at the check.
use super::context::PageCtx;
use super::error::PageError;
use crate::domain::team::Access;
use crate::domain::tenant::Tenant;
use crate::domain::user::User;

/// The logged-in platform user, or the redirect instead: to the platform
/// login page (coming back to `back` afterwards), or to MFA enrolment when
/// the platform tenant requires it.
pub(super) async fn platform_user(ctx: &PageCtx, back: &str) -> Result<User, PageError> {
    let Some(session) = ctx.signed_in().await? else {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", back)
            .finish();
        return Err(ctx.redirect_first(&format!("/login?{query}")));
    };
    if ctx.requires_mfa() && !session.is_multi_factor() {
        return Err(ctx.redirect_first("/mfa/enroll"));
    }
    Ok(session.user)
}

/// The tenant `slug` its logged-in member asks for, if their role allows
/// `access` (see [`owner_of_at`]).
pub(super) async fn owned_tenant(
    ctx: &PageCtx,
    slug: &str,
    back: &str,
    access: Access,
) -> Result<Tenant, PageError> {
    Ok(owner_of_at(ctx, slug, back, access).await?.1)
}

/// The logged-in platform user (see [`platform_user`]) and the tenant `slug`
/// they are a member of, when their role allows `access`. Not a member: the
/// same 404 as an unknown tenant. A member whose role does not allow it:
/// 403. The role is kept on the page context, so pages show only what it
/// allows.
pub(super) async fn owner_of_at(
    ctx: &PageCtx,
    slug: &str,
    back: &str,
    access: Access,
) -> Result<(User, Tenant), PageError> {
    let user = platform_user(ctx, back).await?;
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
    Ok((user, tenant))
}

/// Turning something on or off from the console: a user (enabled or
/// disabled) or a webhook endpoint (sent events or not). As a path segment,
/// `enable` or `disable`.
#[derive(serde::Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    Enable,
    Disable,
}

impl Switch {
    pub fn is_on(self) -> bool {
        self == Self::Enable
    }

    /// The page's `done` notice: `enabled` or `disabled`.
    pub fn done(self) -> &'static str {
        match self {
            Self::Enable => "enabled",
            Self::Disable => "disabled",
        }
    }
}
