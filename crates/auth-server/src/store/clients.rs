//! Clients table. Every query filters on the tenant: a client id of tenant A
//! is an unknown client under tenant B.
use std::sync::LazyLock;

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::domain::client::{
    Client, ClientDraft, ClientId, ClientKind, ClientRuleError, ClientSecrets, ClientSettings,
    ClientUpdate, CorsOrigin, GrantType, PlainSecret, Privilege, RedirectUri, Resource,
    SecretOverlap, TokenLifetimes,
};
use crate::domain::display_name::DisplayName;
use crate::domain::refresh_reuse::RefreshReuseInterval;
use crate::domain::scope::ScopeSet;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::TenantId;
use service_kit::paging::{Page, PageRequest};

const COLUMNS: &str = "id, tenant_id, kind, name, redirect_uris, post_logout_redirect_uris, \
grant_types, scopes, cors_origins, access_token_secs, refresh_token_secs, refresh_idle_secs, \
refresh_reuse_interval_secs, id_token_alg, first_party, secret_digest, previous_secret_digest, previous_secret_expires_at, \
created_at, updated_at, disabled_at, allowed_resources, require_pkce, privileges, secret_rotated_at";

/// The columns a client's settings are written to, in the order
/// [`bind_settings`] binds them: the same for a new client and an update.
const SETTINGS_COLUMNS: [&str; 15] = [
    "name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "scopes",
    "cors_origins",
    "access_token_secs",
    "refresh_token_secs",
    "refresh_idle_secs",
    "refresh_reuse_interval_secs",
    "id_token_alg",
    "first_party",
    "allowed_resources",
    "require_pkce",
    "privileges",
];

/// The settings, then what only a new client has.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    let columns = [
        &SETTINGS_COLUMNS[..],
        &[
            "id",
            "tenant_id",
            "kind",
            "secret_digest",
            "previous_secret_digest",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
            "disabled_at",
            "secret_rotated_at",
        ],
    ]
    .concat();
    let values: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO clients ({}) VALUES ({})",
        columns.join(", "),
        values.join(", ")
    )
});

/// The settings, then `updated_at`, the tenant, the id and the revision the
/// update read (it lands only while that is still the revision).
static UPDATE: LazyLock<String> = LazyLock::new(|| {
    let n = SETTINGS_COLUMNS.len();
    let set: Vec<String> = SETTINGS_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE clients SET {}, updated_at = ${}, revision = revision + 1 \
         WHERE tenant_id = ${} AND id = ${} AND revision = ${}",
        set.join(", "),
        n + 1,
        n + 2,
        n + 3,
        n + 4
    )
});

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds `s` in the order of [`SETTINGS_COLUMNS`].
fn bind_settings<'q>(query: AnyQuery<'q>, s: &ClientSettings) -> AnyQuery<'q> {
    query
        .bind(s.name().as_ref().to_owned())
        .bind(json_list(s.redirect_uris()))
        .bind(json_list(s.post_logout_redirect_uris()))
        .bind(json_list(s.grant_types().iter().map(|g| g.as_str())))
        .bind(s.scopes().to_string())
        .bind(json_list(s.cors_origins()))
        .bind(s.lifetimes().access_secs())
        .bind(s.lifetimes().refresh_absolute_secs())
        .bind(s.lifetimes().refresh_idle_secs())
        .bind(s.refresh_reuse_interval().secs())
        .bind(s.id_token_alg().as_str())
        .bind(i64::from(s.first_party()))
        .bind(json_list(s.allowed_resources()))
        .bind(i64::from(s.require_pkce()))
        .bind(json_list(s.privileges().iter().map(|p| p.as_str())))
}

/// How often a rotation or an update retries when another change of the
/// same client won the race.
const CHANGE_ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ClientStoreError {
    #[error("no such client")]
    NotFound,
    #[error("no such tenant")]
    TenantNotFound,
    #[error(transparent)]
    Rule(#[from] ClientRuleError),
    /// Concurrent changes of the client kept winning over this one.
    #[error("the client kept changing during this change; try again")]
    Contended,
    #[error("cannot draw random bytes")]
    Random(#[from] getrandom::Error),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("stored client is unreadable: {0}")]
    Corrupt(String),
}

#[derive(Clone)]
pub struct ClientStore {
    pool: AnyPool,
}

impl ClientStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Writes a client made by [`Client::create`].
    pub async fn create(&self, client: &Client) -> Result<(), ClientStoreError> {
        let s = &client.settings;
        let secrets = client.secrets.as_ref();
        bind_settings(sqlx::query(&INSERT), s)
            .bind(client.id.as_ref())
            .bind(client.tenant_id.to_string())
            .bind(client.kind.as_str())
            .bind(secrets.map(|x| x.current_digest().to_owned()))
            .bind(secrets.and_then(|x| x.previous_digest().map(str::to_owned)))
            .bind(secrets.and_then(ClientSecrets::previous_expires_at))
            .bind(client.created_at)
            .bind(client.updated_at)
            .bind(client.disabled_at)
            .bind(secrets.and_then(ClientSecrets::rotated_at))
            .execute(&self.pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    ClientStoreError::TenantNotFound
                }
                _ => ClientStoreError::Database(e),
            })?;
        Ok(())
    }

    pub async fn get(&self, tenant: TenantId, id: &ClientId) -> Result<Client, ClientStoreError> {
        Ok(self.get_revised(tenant, id).await?.0)
    }

    /// The client and its revision, the count of updates it had, which
    /// [`ClientStore::update`] writes over.
    async fn get_revised(
        &self,
        tenant: TenantId,
        id: &ClientId,
    ) -> Result<(Client, i64), ClientStoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, revision FROM clients WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant.to_string())
        .bind(id.as_ref())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(ClientStoreError::NotFound)?;
        Ok((client_from_row(&row)?, row.try_get("revision")?))
    }

    /// The tenant's clients in id order, `page.limit()` at a time.
    pub async fn list(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<Client>, ClientStoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clients WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(tenant.to_string())
        .bind(page.after().unwrap_or(""))
        .bind(page.size().fetch())
        .fetch_all(&self.pool)
        .await?;
        Page::from_rows(&rows, page.size(), client_from_row, |c| c.id.to_string())
    }

    /// Applies `update`; the result must satisfy every client rule, else
    /// nothing is written. The write lands only if no other update came
    /// since the read (the row's revision); else `update` is applied again
    /// to what that one wrote, up to three times (`Contended` then), so
    /// two updates at once never undo each other.
    pub async fn update(
        &self,
        tenant: TenantId,
        id: &ClientId,
        update: ClientUpdate,
        now: i64,
    ) -> Result<Client, ClientStoreError> {
        // Read, then one conditional UPDATE: a read-then-write transaction
        // is refused by SQLite (`SQLITE_BUSY`) when another writer commits
        // in between.
        for _ in 0..CHANGE_ATTEMPTS {
            let (mut client, revision) = self.get_revised(tenant, id).await?;
            client.settings = client.settings.updated(client.kind, update.clone())?;
            client.updated_at = now;
            let done = bind_settings(sqlx::query(&UPDATE), &client.settings)
                .bind(now)
                .bind(tenant.to_string())
                .bind(id.as_ref())
                .bind(revision)
                .execute(&self.pool)
                .await?;
            if done.rows_affected() == 1 {
                return Ok(client);
            }
        }
        Err(ClientStoreError::Contended)
    }

    /// A new secret for a confidential client, returned in clear this once;
    /// the replaced one stays valid for `overlap`. The write only lands if the
    /// secret is still the one read, so concurrent rotations never hand out a
    /// secret that was overwritten.
    pub async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: &ClientId,
        overlap: SecretOverlap,
        now: i64,
    ) -> Result<(Client, PlainSecret), ClientStoreError> {
        for _ in 0..CHANGE_ATTEMPTS {
            let mut client = self.get(tenant, id).await?;
            let current = client.secrets.take().ok_or(ClientRuleError::NoSecret)?;
            let (next, plain) = current.rotated(overlap, now)?;
            let done = sqlx::query(
                "UPDATE clients SET secret_digest = $1, previous_secret_digest = $2, \
                 previous_secret_expires_at = $3, updated_at = $4, secret_rotated_at = $4 \
                 WHERE tenant_id = $5 AND id = $6 AND secret_digest = $7",
            )
            .bind(next.current_digest())
            .bind(next.previous_digest().map(str::to_owned))
            .bind(next.previous_expires_at())
            .bind(now)
            .bind(tenant.to_string())
            .bind(id.as_ref())
            .bind(current.current_digest())
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 1 {
                client.secrets = Some(next);
                client.updated_at = now;
                return Ok((client, plain));
            }
        }
        Err(ClientStoreError::Contended)
    }

    /// Enables the client again (its revoked grants stay revoked).
    pub async fn enable(
        &self,
        tenant: TenantId,
        id: &ClientId,
        now: i64,
    ) -> Result<Client, ClientStoreError> {
        let sql =
            "UPDATE clients SET disabled_at = NULL, updated_at = $1 WHERE tenant_id = $2 AND id = $3";
        self.stamp(sql, tenant, id, now).await
    }

    /// Disables the client; disabling a disabled client keeps the first date.
    pub async fn disable(
        &self,
        tenant: TenantId,
        id: &ClientId,
        now: i64,
    ) -> Result<Client, ClientStoreError> {
        let sql = "UPDATE clients SET disabled_at = COALESCE(disabled_at, $1), updated_at = $1 \
                   WHERE tenant_id = $2 AND id = $3";
        self.stamp(sql, tenant, id, now).await
    }

    /// Runs `sql` (`$1` now, `$2` tenant, `$3` client) and reads the client
    /// back; `NotFound` when it is not the tenant's.
    async fn stamp(
        &self,
        sql: &str,
        tenant: TenantId,
        id: &ClientId,
        now: i64,
    ) -> Result<Client, ClientStoreError> {
        let done = sqlx::query(sql)
            .bind(now)
            .bind(tenant.to_string())
            .bind(id.as_ref())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(ClientStoreError::NotFound);
        }
        self.get(tenant, id).await
    }

    pub async fn count(&self, tenant: TenantId) -> Result<i64, ClientStoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM clients WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}

fn json_list<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    Value::Array(
        items
            .into_iter()
            .map(|s| Value::String(s.as_ref().to_owned()))
            .collect(),
    )
    .to_string()
}

fn client_from_row(row: &AnyRow) -> Result<Client, ClientStoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: &str| ClientStoreError::Corrupt(format!("client {id}: {what}"));
    let list = |column: &str| -> Result<Vec<String>, ClientStoreError> {
        let text: String = row.try_get(column)?;
        serde_json::from_str(&text).map_err(|_| corrupt(column))
    };
    let kind =
        ClientKind::parse(&row.try_get::<String, _>("kind")?).map_err(|_| corrupt("kind"))?;
    let grant_types = list("grant_types")?
        .iter()
        .map(|g| GrantType::parse(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt("grant_types"))?;
    let scopes =
        ScopeSet::parse(&row.try_get::<String, _>("scopes")?).map_err(|_| corrupt("scopes"))?;
    let privileges = list("privileges")?
        .iter()
        .map(|p| Privilege::parse(p))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| corrupt("privileges"))?;
    let id_token_alg = SigningAlg::parse(&row.try_get::<String, _>("id_token_alg")?)
        .map_err(|_| corrupt("id_token_alg"))?;
    let settings = ClientSettings::from_trusted(ClientDraft {
        name: DisplayName::from_trusted(row.try_get("name")?),
        redirect_uris: list("redirect_uris")?
            .into_iter()
            .map(RedirectUri::from_trusted)
            .collect(),
        post_logout_redirect_uris: list("post_logout_redirect_uris")?
            .into_iter()
            .map(RedirectUri::from_trusted)
            .collect(),
        grant_types,
        scopes,
        cors_origins: list("cors_origins")?
            .into_iter()
            .map(CorsOrigin::from_trusted)
            .collect(),
        lifetimes: TokenLifetimes::from_trusted(
            row.try_get("access_token_secs")?,
            row.try_get("refresh_token_secs")?,
            row.try_get("refresh_idle_secs")?,
        ),
        refresh_reuse_interval: RefreshReuseInterval::from_trusted(
            row.try_get("refresh_reuse_interval_secs")?,
        ),
        id_token_alg,
        first_party: row.try_get::<i64, _>("first_party")? != 0,
        allowed_resources: list("allowed_resources")?
            .into_iter()
            .map(Resource::from_trusted)
            .collect(),
        require_pkce: row.try_get::<i64, _>("require_pkce")? != 0,
        privileges,
    });
    let digest: Option<String> = row.try_get("secret_digest")?;
    let previous: Option<String> = row.try_get("previous_secret_digest")?;
    let previous_expires_at: Option<i64> = row.try_get("previous_secret_expires_at")?;
    let rotated_at: Option<i64> = row.try_get("secret_rotated_at")?;
    let secrets = match (kind, digest) {
        (ClientKind::Confidential, Some(current)) => Some(ClientSecrets::from_stored(
            current,
            previous.zip(previous_expires_at),
            rotated_at,
        )),
        (ClientKind::Public, None) => None,
        _ => return Err(corrupt("secret does not match kind")),
    };
    Ok(Client {
        id: ClientId::parse(&id).map_err(|_| corrupt("id"))?,
        tenant_id: TenantId::parse(&row.try_get::<String, _>("tenant_id")?)
            .map_err(|_| corrupt("tenant id"))?,
        kind,
        settings,
        secrets,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}
