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
