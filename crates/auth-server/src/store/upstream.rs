//! Upstream identity providers of each tenant, and the links from a
//! provider's accounts (provider, subject) to the tenant's users.
use sqlx::any::AnyArguments;
use sqlx::any::AnyRow;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};

use super::{is_unique_violation, parse_id, StoreError};
use crate::domain::display_name::DisplayName;
use crate::domain::tenant::TenantId;
use crate::domain::upstream::{ProviderDraft, ProviderSlug, UpstreamProvider};
use crate::domain::upstream_settings::{
    ClaimMapping, MappingInput, OAuth2Settings, Preset, Protocol, ProviderKind, ProviderSettings,
    TokenAuth,
};
use crate::domain::user::UserId;

const COLUMNS: &str =
    "id, tenant_id, slug, display_name, kind, issuer, client_id, client_secret_sealed, \
scopes, enabled, created_at, updated_at, preset, token_auth, authorization_url, token_url, \
userinfo_url, subject_field, email_field, email_verified_field, name_field, trust_email, keep_tokens";

/// A provider's settings as the columns hold them (see the migration
/// `upstream_oauth2`: an `oauth2` row's issuer is '').
struct SettingsColumns<'a> {
    kind: &'static str,
    issuer: &'a str,
    preset: Option<&'static str>,
    token_auth: &'static str,
    authorization_url: Option<&'a str>,
    token_url: Option<&'a str>,
    userinfo_url: Option<&'a str>,
    subject_field: Option<&'a str>,
    email_field: Option<&'a str>,
    email_verified_field: Option<&'a str>,
    name_field: Option<&'a str>,
    trust_email: Option<i64>,
}

fn columns_of(s: &ProviderSettings) -> SettingsColumns<'_> {
    let oauth2 = match &s.protocol {
        Protocol::OAuth2(o) => Some(o),
        Protocol::Oidc { .. } => None,
    };
    SettingsColumns {
        kind: s.protocol.kind().as_str(),
        issuer: s.protocol.issuer().unwrap_or(""),
        preset: s.preset.map(Preset::slug),
        token_auth: s.token_auth.as_str(),
        authorization_url: oauth2.map(|o| o.authorization_url.as_str()),
        token_url: oauth2.map(|o| o.token_url.as_str()),
        userinfo_url: oauth2.map(|o| o.userinfo_url.as_str()),
        subject_field: oauth2.and_then(|o| o.mapping.subject.as_deref()),
        email_field: oauth2.map(|o| o.mapping.email.as_str()),
        email_verified_field: oauth2.map(|o| o.mapping.email_verified.as_str()),
        name_field: oauth2.map(|o| o.mapping.name.as_str()),
        trust_email: oauth2.map(|o| i64::from(o.trust_email)),
    }
}

/// Binds what an insert and an update of a provider both write, as the
/// next eighteen parameters: slug, display name, issuer, client id, sealed
/// secret (`None`: the one stored stays), scopes, enabled, `now` (updated
/// at), then the OAuth 2.0 columns from `token_auth` to `trust_email`, and
/// `keep_tokens`.
fn bind_draft<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    draft: &'q ProviderDraft,
    c: &SettingsColumns<'q>,
    client_secret_sealed: Option<&'q str>,
    now: i64,
) -> Query<'q, Any, AnyArguments<'q>> {
    query
        .bind(draft.slug.as_ref())
        .bind(draft.display_name.as_ref())
        .bind(c.issuer)
        .bind(&draft.client_id)
        .bind(client_secret_sealed)
        .bind(&draft.settings.scopes)
        .bind(i64::from(draft.enabled))
        .bind(now)
        .bind(c.token_auth)
        .bind(c.authorization_url)
        .bind(c.token_url)
        .bind(c.userinfo_url)
        .bind(c.subject_field)
        .bind(c.email_field)
        .bind(c.email_verified_field)
        .bind(c.name_field)
        .bind(c.trust_email)
        .bind(i64::from(draft.keep_tokens))
}

/// A user's account at one provider, as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkedIdentity {
    pub provider_id: String,
    pub provider_slug: String,
    pub provider_name: String,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

/// Tokens kept from a user's last sign-in through one provider, sealed.
/// `Debug` shows no token.
#[derive(sqlx::FromRow)]
pub struct KeptTokens {
    pub provider_id: String,
    pub provider_slug: String,
    pub subject: String,
    pub sealed: String,
    pub obtained_at: Option<i64>,
}

impl std::fmt::Debug for KeptTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptTokens")
            .field("provider_slug", &self.provider_slug)
            .field("obtained_at", &self.obtained_at)
            .finish_non_exhaustive()
    }
}

/// How many updates a provider had when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision(i64);

#[derive(Clone)]
pub struct UpstreamStore {
    pool: AnyPool,
}

impl UpstreamStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Stores a new provider under `id` (drawn by the caller: the sealed
    /// secret is bound to it).
    pub async fn create(
        &self,
        id: &str,
        tenant: TenantId,
        draft: &ProviderDraft,
        client_secret_sealed: &str,
        now: i64,
    ) -> Result<UpstreamProvider, StoreError> {
        let c = columns_of(&draft.settings);
        // $3 to $20 are what `bind_draft` binds, kind and preset come last.
        let sql = format!(
            "INSERT INTO upstream_providers ({COLUMNS}) VALUES ($1, $2, $3, $4, $21, $5, $6, $7, \
             $8, $9, $10, $10, $22, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        );
        let insert = sqlx::query(&sql).bind(id).bind(tenant.to_string());
        bind_draft(insert, draft, &c, Some(client_secret_sealed), now)
            .bind(c.kind)
            .bind(c.preset)
            .execute(&self.pool)
            .await
            .map_err(|e| unique_as(e, StoreError::ProviderSlugTaken))?;
        self.get(tenant, id).await
    }

    /// Replaces every setting (the kind stays: the use case refuses a
    /// change); the sealed secret only when one is given. Only over the
    /// revision `read` ([`UpstreamStore::get_for_update`]): `None` when
    /// another update came since, or the provider is gone.
    pub async fn update(
        &self,
        tenant: TenantId,
        id: &str,
        draft: &ProviderDraft,
        client_secret_sealed: Option<&str>,
        now: i64,
        read: Revision,
    ) -> Result<Option<UpstreamProvider>, StoreError> {
        let c = columns_of(&draft.settings);
        let update = sqlx::query(
            "UPDATE upstream_providers SET slug = $1, display_name = $2, issuer = $3, client_id = $4, \
             client_secret_sealed = COALESCE($5, client_secret_sealed), scopes = $6, enabled = $7, \
             updated_at = $8, token_auth = $9, authorization_url = $10, token_url = $11, \
             userinfo_url = $12, subject_field = $13, email_field = $14, email_verified_field = $15, \
             name_field = $16, trust_email = $17, keep_tokens = $18, revision = revision + 1 \
             WHERE tenant_id = $19 AND id = $20 AND kind = $21 AND revision = $22",
        );
        let done = bind_draft(update, draft, &c, client_secret_sealed, now)
            .bind(tenant.to_string())
            .bind(id)
            .bind(c.kind)
            .bind(read.0)
            .execute(&self.pool)
            .await
            .map_err(|e| unique_as(e, StoreError::ProviderSlugTaken))?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if !draft.keep_tokens {
            // Turned off: what was kept goes.
            sqlx::query(
                "UPDATE upstream_identities SET tokens_sealed = NULL, tokens_at = NULL \
                 WHERE provider_id = $1 AND tokens_sealed IS NOT NULL",
            )
            .bind(id)
            .execute(&self.pool)
            .await?;
        }
        self.get(tenant, id).await.map(Some)
    }

    /// Deletes the provider and every link to it (its users stay).
    pub async fn delete(&self, tenant: TenantId, id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM upstream_identities WHERE provider_id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM upstream_providers WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::ProviderNotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// The provider and its revision, the count of updates it had, which
    /// [`UpstreamStore::update`] writes over.
    pub async fn get_for_update(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<(UpstreamProvider, Revision), StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, revision FROM upstream_providers WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant.to_string())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::ProviderNotFound)?;
        Ok((provider_from_row(&row)?, Revision(row.try_get("revision")?)))
    }

    pub async fn get(&self, tenant: TenantId, id: &str) -> Result<UpstreamProvider, StoreError> {
        Ok(self.get_for_update(tenant, id).await?.0)
    }

    pub async fn by_slug(
        &self,
        tenant: TenantId,
        slug: &str,
    ) -> Result<Option<UpstreamProvider>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM upstream_providers WHERE tenant_id = $1 AND slug = $2"
        ))
        .bind(tenant.to_string())
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(provider_from_row)
        .transpose()
    }

    /// The tenant's providers, by slug.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<UpstreamProvider>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM upstream_providers WHERE tenant_id = $1 ORDER BY slug"
        ))
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(provider_from_row).collect()
    }

    /// The user an upstream account is linked to, if any.
    pub async fn linked_user(
        &self,
        provider_id: &str,
        subject: &str,
    ) -> Result<Option<UserId>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id FROM upstream_identities WHERE provider_id = $1 AND subject = $2",
        )
        .bind(provider_id)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|r| parse_id(r, "user_id", UserId::parse))
            .transpose()
    }

    /// Links an upstream account to a user; `UpstreamIdentityTaken` when
    /// it is linked already (to anyone).
    pub async fn link(
        &self,
        provider: &UpstreamProvider,
        subject: &str,
        user: UserId,
        email: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO upstream_identities (provider_id, subject, tenant_id, user_id, email, created_at, last_login_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&provider.id)
        .bind(subject)
        .bind(provider.tenant_id.to_string())
        .bind(user.to_string())
        .bind(email)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| unique_as(e, StoreError::UpstreamIdentityTaken))?;
        Ok(())
    }

    /// Records a sign-in through the link (and the email the provider gave).
    pub async fn touch(
        &self,
        provider_id: &str,
        subject: &str,
        email: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE upstream_identities SET last_login_at = $1, email = COALESCE($2, email) \
             WHERE provider_id = $3 AND subject = $4",
        )
        .bind(now)
        .bind(email)
        .bind(provider_id)
        .bind(subject)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps the tokens of a sign-in through the link (sealed by the
    /// caller), replacing what was kept before.
    pub async fn keep_tokens(
        &self,
        provider_id: &str,
        subject: &str,
        sealed: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE upstream_identities SET tokens_sealed = $1, tokens_at = $2 \
             WHERE provider_id = $3 AND subject = $4",
        )
        .bind(sealed)
        .bind(now)
        .bind(provider_id)
        .bind(subject)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tokens kept for the user, per linked provider that keeps them.
    pub async fn kept_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<KeptTokens>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT i.provider_id, p.slug AS provider_slug, i.subject, i.tokens_sealed AS sealed, \
             i.tokens_at AS obtained_at \
             FROM upstream_identities i JOIN upstream_providers p ON p.id = i.provider_id \
             WHERE i.tenant_id = $1 AND i.user_id = $2 AND p.keep_tokens = 1 \
             AND i.tokens_sealed IS NOT NULL ORDER BY p.slug",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?)
    }

    /// The user's linked accounts, oldest first.
    pub async fn identities_of(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<LinkedIdentity>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT i.provider_id, p.slug AS provider_slug, p.display_name AS provider_name, \
             i.email, i.created_at, i.last_login_at \
             FROM upstream_identities i JOIN upstream_providers p ON p.id = i.provider_id \
             WHERE i.tenant_id = $1 AND i.user_id = $2 ORDER BY i.created_at, p.slug",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?)
    }
}

/// `taken` for a unique violation (each write here can break only one
/// unique rule a caller controls), the database error otherwise.
fn unique_as(e: sqlx::Error, taken: StoreError) -> StoreError {
    if is_unique_violation(&e) {
        taken
    } else {
        e.into()
    }
}

fn provider_from_row(row: &AnyRow) -> Result<UpstreamProvider, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("upstream provider {id}: {what}"));
    let slug: String = row.try_get("slug")?;
    let name: String = row.try_get("display_name")?;
    Ok(UpstreamProvider {
        tenant_id: parse_id(row, "tenant_id", |s| {
            crate::domain::tenant::TenantId::parse(s).ok()
        })?,
        slug: ProviderSlug::parse(&slug).map_err(|_| corrupt("slug"))?,
        display_name: DisplayName::parse(&name).map_err(|_| corrupt("display_name"))?,
        settings: settings_from_row(row, &corrupt)?,
        client_id: row.try_get("client_id")?,
        client_secret_sealed: row.try_get("client_secret_sealed")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        keep_tokens: row.try_get::<i64, _>("keep_tokens")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        id,
    })
}

fn settings_from_row(
    row: &AnyRow,
    corrupt: &dyn Fn(&str) -> StoreError,
) -> Result<ProviderSettings, StoreError> {
    let kind: String = row.try_get("kind")?;
    let kind = ProviderKind::parse(&kind).map_err(|_| corrupt("kind"))?;
    let preset = match row.try_get::<Option<String>, _>("preset")? {
        Some(name) => Some(Preset::parse(&name).ok_or_else(|| corrupt("preset"))?),
        None => None,
    };
    let token_auth = match row.try_get::<Option<String>, _>("token_auth")? {
        Some(text) => TokenAuth::parse(&text).map_err(|_| corrupt("token_auth"))?,
        None if kind == ProviderKind::Oidc => TokenAuth::ClientSecretBasic,
        None => TokenAuth::ClientSecretPost,
    };
    let protocol = match kind {
        ProviderKind::Oidc => Protocol::Oidc {
            issuer: row.try_get("issuer")?,
        },
        ProviderKind::OAuth2 => {
            let url = |column: &str| -> Result<url::Url, StoreError> {
                let text: Option<String> = row.try_get(column)?;
                text.as_deref()
                    .and_then(|t| url::Url::parse(t).ok())
                    .ok_or_else(|| corrupt(column))
            };
            let mapping = ClaimMapping::parse(&MappingInput {
                subject: row.try_get("subject_field")?,
                email: row.try_get("email_field")?,
                email_verified: row.try_get("email_verified_field")?,
                name: row.try_get("name_field")?,
            })
            .map_err(|_| corrupt("claim mapping"))?;
            Protocol::OAuth2(Box::new(OAuth2Settings {
                authorization_url: url("authorization_url")?,
                token_url: url("token_url")?,
                userinfo_url: url("userinfo_url")?,
                mapping,
                trust_email: row.try_get::<Option<i64>, _>("trust_email")?.unwrap_or(0) != 0,
            }))
        }
    };
    Ok(ProviderSettings {
        preset,
        protocol,
        token_auth,
        scopes: row.try_get("scopes")?,
    })
}
