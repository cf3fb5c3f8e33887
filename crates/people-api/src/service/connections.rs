//! Connections: ask, answer, list and end them. A person sees only their
//! own; anyone else's does not exist for them. Every call makes the caller
//! first, as any authenticated call does.
use service_kit::clock::SharedClock;
use service_kit::paging::Page;
use sqlx::AnyPool;

use super::{Profiles, ServiceError};
use crate::domain::connection::{Connection, ConnectionId, ConnectionQuery, ConnectionRuleError};
use crate::domain::person::{Caller, PersonId};
use crate::store::connections::ConnectionStore;

pub struct Connections {
    profiles: Profiles,
    connections: ConnectionStore,
    clock: SharedClock,
}

impl Connections {
    pub fn new(pool: AnyPool, clock: SharedClock) -> Self {
        Self {
            profiles: Profiles::new(pool.clone(), clock.clone()),
            connections: ConnectionStore::new(pool),
            clock,
        }
    }

    /// The caller asks `addressee`, a person of their tenant, to connect.
    pub async fn request(
        &self,
        caller: &Caller,
        addressee: PersonId,
    ) -> Result<Connection, ServiceError> {
        let connection = Connection::request(caller.person.clone(), addressee, self.clock.now())?;
        self.profiles.person(caller, &connection.addressee).await?;
        // The pair index refuses a second connection, either way, even under races.
        self.connections.insert(&caller.tenant, &connection).await?;
        Ok(connection)
    }

    /// The caller's connections, a page at a time.
    pub async fn list(
        &self,
        caller: &Caller,
        query: &ConnectionQuery,
    ) -> Result<Page<Connection>, ServiceError> {
        self.profiles.me(caller).await?;
        Ok(self.connections.list(caller, query).await?)
    }

    /// Connection `id`, if the caller is one of its two people.
    pub async fn get(&self, caller: &Caller, id: ConnectionId) -> Result<Connection, ServiceError> {
        self.profiles.me(caller).await?;
        self.connections
            .get_for(caller, id)
            .await?
            .ok_or(ServiceError::ConnectionNotFound)
    }

    /// The addressee accepts a pending request.
    pub async fn accept(
        &self,
        caller: &Caller,
        id: ConnectionId,
    ) -> Result<Connection, ServiceError> {
        self.answerable(caller, id).await?;
        // The update re-checks the state: of two answers at once, one wins.
        let accepted = self
            .connections
            .accept(caller, id, self.clock.now())
            .await?
            .ok_or(ConnectionRuleError::NotPending)?;
        Ok(accepted)
    }

    /// The addressee declines a pending request, which deletes it: the
    /// requester may ask again later.
    pub async fn decline(&self, caller: &Caller, id: ConnectionId) -> Result<(), ServiceError> {
        self.answerable(caller, id).await?;
        if !self.connections.decline(caller, id).await? {
            return Err(ConnectionRuleError::NotPending.into());
        }
        Ok(())
    }

    /// Either person ends a connection, or the requester withdraws a request.
    pub async fn remove(&self, caller: &Caller, id: ConnectionId) -> Result<(), ServiceError> {
        self.profiles.me(caller).await?;
        if !self.connections.delete(caller, id).await? {
            return Err(ServiceError::ConnectionNotFound);
        }
        Ok(())
    }

    /// Checks that the caller may answer connection `id` now.
    async fn answerable(&self, caller: &Caller, id: ConnectionId) -> Result<(), ServiceError> {
        let connection = self.get(caller, id).await?;
        connection.check_answerable_by(&caller.person)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use service_kit::both_engines;
    use service_kit::clock::ManualClock;
    use service_kit::db::Engine;

    use super::*;
    use crate::domain::connection::ConnectionStatus;
    use crate::service::testing::{caller, migrated};

    fn person(id: &str) -> PersonId {
        PersonId::parse(id).expect("id")
    }

    fn all() -> ConnectionQuery {
        ConnectionQuery::parse(None, None, None).expect("default query")
    }

    async fn requests_and_answers_are_stamped_by_the_clock(engine: Engine) {
        let (_db, pool) = migrated(engine).await;
        let clock = Arc::new(ManualClock::new(1_000));
        let connections = Connections::new(pool.clone(), clock.clone());
        let bob = caller("tenant-a", "bob");
        Profiles::new(pool, clock.clone())
            .me(&bob)
            .await
            .expect("bob");

        // Alice's first call is this request: it makes her too.
        let alice = caller("tenant-a", "alice");
        let asked = connections
            .request(&alice, person("bob"))
            .await
            .expect("asked");
        assert_eq!((asked.created_at, asked.responded_at), (1_000, None));
        clock.advance(30);
        let accepted = connections.accept(&bob, asked.id).await.expect("accepted");
        assert_eq!(accepted.status, ConnectionStatus::Accepted);
        assert_eq!(accepted.responded_at, Some(1_030));
        assert_eq!(
            connections.get(&alice, asked.id).await.expect("hers"),
            accepted
        );
    }
    both_engines!(
        stamped_by_the_clock,
        requests_and_answers_are_stamped_by_the_clock
    );

    /// A person of another tenant cannot be asked, and the same `sub` in
    /// another tenant is not a party to this tenant's connections.
    async fn connections_stay_in_their_tenant(engine: Engine) {
        let (_db, pool) = migrated(engine).await;
        let clock = Arc::new(ManualClock::new(1_000));
        let connections = Connections::new(pool.clone(), clock.clone());
        let profiles = Profiles::new(pool, clock);
        let (alice_a, bob_a, bob_b) = (
            caller("tenant-a", "alice"),
            caller("tenant-a", "bob"),
            caller("tenant-b", "bob"),
        );
        profiles.me(&bob_b).await.expect("bob of B");
        assert!(matches!(
            connections.request(&alice_a, person("bob")).await,
            Err(ServiceError::PersonNotFound)
        ));
        assert!(connections
            .list(&alice_a, &all())
            .await
            .expect("listed")
            .items
            .is_empty());

        profiles.me(&bob_a).await.expect("bob of A");
        let asked = connections
            .request(&alice_a, person("bob"))
            .await
            .expect("asked");
        assert!(matches!(
            connections.get(&bob_b, asked.id).await,
            Err(ServiceError::ConnectionNotFound)
        ));
        assert!(matches!(
            connections.accept(&bob_b, asked.id).await,
            Err(ServiceError::ConnectionNotFound)
        ));
        assert!(matches!(
            connections.remove(&bob_b, asked.id).await,
            Err(ServiceError::ConnectionNotFound)
        ));
        assert!(connections
            .list(&bob_b, &all())
            .await
            .expect("listed")
            .items
            .is_empty());
        assert_eq!(
            connections
                .list(&bob_a, &all())
                .await
                .expect("listed")
                .items,
            [asked]
        );
    }
    both_engines!(tenant_isolation, connections_stay_in_their_tenant);
}
