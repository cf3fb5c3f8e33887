//! Profiles: the caller's own, made on their first call, and the people of
//! the caller's tenant.
use service_kit::clock::SharedClock;
use sqlx::AnyPool;

use super::ServiceError;
use crate::domain::person::{Caller, Person, PersonId, Profile};
use crate::store::people::PeopleStore;

pub struct Profiles {
    people: PeopleStore,
    clock: SharedClock,
}

impl Profiles {
    pub fn new(pool: AnyPool, clock: SharedClock) -> Self {
        Self {
            people: PeopleStore::new(pool),
            clock,
        }
    }

    /// The caller's person, made with an empty profile on their first call.
    /// The hot path of `GET /v1/me`: once made, one primary-key lookup.
    pub async fn me(&self, caller: &Caller) -> Result<Person, ServiceError> {
        Ok(self.people.ensure(caller, self.clock.now()).await?)
    }

    /// Replaces the caller's whole profile, making them if it is their first call.
    pub async fn replace_mine(
        &self,
        caller: &Caller,
        profile: &Profile,
    ) -> Result<Person, ServiceError> {
        let me = self
            .people
            .save_profile(caller, profile, self.clock.now())
            .await?;
        Ok(me)
    }

    /// Person `id` of the caller's tenant: people of other tenants do not exist here.
    pub async fn person(&self, caller: &Caller, id: &PersonId) -> Result<Person, ServiceError> {
        self.me(caller).await?;
        self.people
            .get(&caller.tenant, id)
            .await?
            .ok_or(ServiceError::PersonNotFound)
    }
}
