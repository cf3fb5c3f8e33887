//! What the People API does, between the handlers and the stores: the
//! caller's profile and other people's (`profiles.rs`), connections
//! (`connections.rs`), and what the demo callback page offers
//! (`demo_callback.rs`). Use cases take the caller and domain types and read
//! the time from the injected clock. Their store handles are private fields,
//! so `http/` cannot reach a store.
mod connections;
mod demo_callback;
mod profiles;

pub use connections::Connections;
pub use demo_callback::{DemoCallback, NextStep};
pub use profiles::Profiles;

use crate::domain::connection::ConnectionRuleError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no person of the caller's tenant has this id")]
    PersonNotFound,
    #[error("the caller has no connection with this id")]
    ConnectionNotFound,
    #[error("a connection between these people already exists")]
    ConnectionExists,
    #[error(transparent)]
    Rule(#[from] ConnectionRuleError),
    /// The database failed or holds what it should not: nothing the caller can mend.
    #[error("storage failed")]
    Store(#[source] StoreError),
}

/// The store reports what its constraints refused; those are the caller's
/// doing, the rest is ours.
impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::PersonNotFound => Self::PersonNotFound,
            StoreError::ConnectionExists => Self::ConnectionExists,
            StoreError::Database(_) | StoreError::Corrupt(_) => Self::Store(e),
        }
    }
}

/// What the use cases' tests share: a fresh database and callers.
#[cfg(test)]
mod testing {
    use service_kit::db::{self, Engine, PoolSettings};
    use service_kit::testing::TestDb;
    use sqlx::AnyPool;

    use crate::domain::person::{Caller, PersonId, TenantId};

    /// A fresh, migrated database: keep the `TestDb` as long as the pool.
    pub async fn migrated(engine: Engine) -> (TestDb, AnyPool) {
        let test_db = TestDb::new(engine).await;
        let database = db::connect(&test_db.url, PoolSettings::default())
            .await
            .expect("connect");
        db::migrate(&database, &crate::MIGRATIONS)
            .await
            .expect("migrate");
        (test_db, database.pool)
    }

    /// Person `person` of tenant `tenant`, as their token says.
    pub fn caller(tenant: &str, person: &str) -> Caller {
        Caller {
            tenant: TenantId::parse(tenant).expect("tenant id"),
            person: PersonId::parse(person).expect("person id"),
        }
    }
}
