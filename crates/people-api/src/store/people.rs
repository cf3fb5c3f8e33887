//! The `people` table, keyed by (tenant, issuer `sub`).
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::person::{Caller, Person, PersonId, Profile, TenantId};

const COLUMNS: &str = "tenant_id, id, display_name, bio, location, created_at, updated_at";
/// The hot path of `GET /v1/me`: a primary-key lookup, its text built once.
const GET: &str = "SELECT tenant_id, id, display_name, bio, location, created_at, updated_at \
                   FROM people WHERE tenant_id = $1 AND id = $2";

#[derive(Clone)]
pub struct PeopleStore {
    pool: AnyPool,
}

impl PeopleStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// One primary-key lookup.
    pub async fn get(
        &self,
        tenant: &TenantId,
        id: &PersonId,
    ) -> Result<Option<Person>, StoreError> {
        let row = sqlx::query(GET)
            .bind(tenant.as_ref())
            .bind(id.as_ref())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(person_from_row).transpose()
    }

    /// The caller's row, made (at `at`) on their first call. Once it exists
    /// this is the single lookup of [`get`](Self::get): reads never write.
    pub async fn ensure(&self, caller: &Caller, at: i64) -> Result<Person, StoreError> {
        if let Some(person) = self.get(&caller.tenant, &caller.person).await? {
            return Ok(person);
        }
        // Two first calls may race: the loser's insert does nothing, both read the winner's row.
        sqlx::query(
            "INSERT INTO people (tenant_id, id, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .bind(caller.tenant.as_ref())
        .bind(caller.person.as_ref())
        .bind(at)
        .execute(&self.pool)
        .await?;
        self.get(&caller.tenant, &caller.person)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("person {} vanished", caller.person)))
    }

    /// Replaces the caller's profile (updated `at`), making their row if it
    /// is their first call.
    pub async fn save_profile(
        &self,
        caller: &Caller,
        profile: &Profile,
        at: i64,
    ) -> Result<Person, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO people (tenant_id, id, display_name, bio, location, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = excluded.display_name, \
             bio = excluded.bio, location = excluded.location, updated_at = excluded.updated_at \
             RETURNING {COLUMNS}"
        ))
        .bind(caller.tenant.as_ref())
        .bind(caller.person.as_ref())
        .bind(profile.display_name().map(str::to_owned))
        .bind(profile.bio().map(str::to_owned))
        .bind(profile.location().map(str::to_owned))
        .bind(at)
        .fetch_one(&self.pool)
        .await?;
        person_from_row(&row)
    }
}

fn person_from_row(row: &AnyRow) -> Result<Person, StoreError> {
    let tenant: String = row.try_get("tenant_id")?;
    let id: String = row.try_get("id")?;
    Ok(Person {
        tenant: TenantId::parse(&tenant)
            .map_err(|_| StoreError::Corrupt(format!("tenant id `{tenant}`")))?,
        id: PersonId::parse(&id).map_err(|_| StoreError::Corrupt(format!("person id `{id}`")))?,
        profile: Profile::from_trusted(
            row.try_get("display_name")?,
            row.try_get("bio")?,
            row.try_get("location")?,
        ),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
