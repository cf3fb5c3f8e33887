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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use service_kit::both_engines;
    use service_kit::clock::ManualClock;
    use service_kit::db::Engine;

    use super::*;
    use crate::service::testing::{caller, migrated};

    async fn the_first_call_makes_the_caller_and_reads_write_nothing(engine: Engine) {
        let (_db, pool) = migrated(engine).await;
        let clock = Arc::new(ManualClock::new(1_000));
        let profiles = Profiles::new(pool, clock.clone());
        let alice = caller("tenant-a", "alice");

        let made = profiles.me(&alice).await.expect("made");
        assert_eq!((made.created_at, made.updated_at), (1_000, 1_000));
        assert_eq!(made.profile, Profile::default());
        clock.advance(60);
        assert_eq!(profiles.me(&alice).await.expect("read"), made);

        let profile = Profile::parse("Alice", Some("Hi"), None).expect("valid");
        let saved = profiles
            .replace_mine(&alice, &profile)
            .await
            .expect("saved");
        assert_eq!((saved.created_at, saved.updated_at), (1_000, 1_060));
        assert_eq!(saved.profile, profile);
    }
    both_engines!(
        first_call_makes_the_caller,
        the_first_call_makes_the_caller_and_reads_write_nothing
    );

    /// The same `sub` in two tenants is two people, and neither tenant sees
    /// the other's.
    async fn people_are_found_only_in_the_callers_tenant(engine: Engine) {
        let (_db, pool) = migrated(engine).await;
        let profiles = Profiles::new(pool, Arc::new(ManualClock::new(1_000)));
        let alice_a = caller("tenant-a", "alice");
        let named = Profile::parse("Alice of A", None, None).expect("valid");
        profiles
            .replace_mine(&alice_a, &named)
            .await
            .expect("saved");

        let bob_b = caller("tenant-b", "bob");
        let alice_id = PersonId::parse("alice").expect("id");
        assert!(matches!(
            profiles.person(&bob_b, &alice_id).await,
            Err(ServiceError::PersonNotFound)
        ));
        let alice_b = profiles
            .me(&caller("tenant-b", "alice"))
            .await
            .expect("made");
        assert_eq!(alice_b.profile.display_name(), None);
        let seen = profiles
            .person(&caller("tenant-a", "bob"), &alice_id)
            .await
            .expect("same tenant");
        assert_eq!(seen.profile, named);
    }
    both_engines!(
        tenant_isolation,
        people_are_found_only_in_the_callers_tenant
    );
}
