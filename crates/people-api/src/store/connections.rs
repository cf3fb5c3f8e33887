//! The `connections` table. A person sees only connections they are a party
//! to: every query names them as requester or addressee.
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};

use super::{is_foreign_key_violation, is_unique_violation, StoreError};
use crate::domain::connection::{Connection, ConnectionId, ConnectionQuery, ConnectionStatus};
use crate::domain::person::{Caller, PersonId, TenantId};
use service_kit::paging::Page;

/// `query` with its last three parameters bound: the connection's id, then
/// the caller's tenant and person.
fn on_connection<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    id: ConnectionId,
    caller: &'q Caller,
) -> Query<'q, Any, AnyArguments<'q>> {
    query
        .bind(id.to_string())
        .bind(caller.tenant.as_ref())
        .bind(caller.person.as_ref())
}

const COLUMNS: &str = "id, requester_id, addressee_id, status, created_at, responded_at";

#[derive(Clone)]
pub struct ConnectionStore {
    pool: AnyPool,
}

impl ConnectionStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Stores a new request. The pair index refuses a second connection
    /// between the same two people, in either direction, even under races.
    pub async fn insert(&self, tenant: &TenantId, c: &Connection) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO connections \
             (id, tenant_id, requester_id, addressee_id, status, created_at, responded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.id.to_string())
        .bind(tenant.as_ref())
        .bind(c.requester.as_ref())
        .bind(c.addressee.as_ref())
        .bind(c.status.as_str())
        .bind(c.created_at)
        .bind(c.responded_at)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::ConnectionExists
            } else if is_foreign_key_violation(&e) {
                StoreError::PersonNotFound
            } else {
                StoreError::Database(e)
            }
        })?;
        Ok(())
    }

    /// The connection, if `caller` is one of its two people.
    pub async fn get_for(
        &self,
        caller: &Caller,
        id: ConnectionId,
    ) -> Result<Option<Connection>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM connections \
             WHERE id = $1 AND tenant_id = $2 AND (requester_id = $3 OR addressee_id = $3)"
        );
        let row = on_connection(sqlx::query(&sql), id, caller)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(connection_from_row).transpose()
    }

    /// Accepts a pending request addressed to `caller`; `None` when there is
    /// none (any more).
    pub async fn accept(
        &self,
        caller: &Caller,
        id: ConnectionId,
        at: i64,
    ) -> Result<Option<Connection>, StoreError> {
        let sql = format!(
            "UPDATE connections SET status = 'accepted', responded_at = $1 \
             WHERE id = $2 AND tenant_id = $3 AND addressee_id = $4 AND status = 'pending' \
             RETURNING {COLUMNS}"
        );
        let row = on_connection(sqlx::query(&sql).bind(at), id, caller)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(connection_from_row).transpose()
    }

    /// Deletes a pending request addressed to `caller`; false when there is none.
    pub async fn decline(&self, caller: &Caller, id: ConnectionId) -> Result<bool, StoreError> {
        let sql = "DELETE FROM connections \
             WHERE id = $1 AND tenant_id = $2 AND addressee_id = $3 AND status = 'pending'";
        let done = on_connection(sqlx::query(sql), id, caller)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a connection `caller` is a party to; false when there is none.
    pub async fn delete(&self, caller: &Caller, id: ConnectionId) -> Result<bool, StoreError> {
        let sql = "DELETE FROM connections \
             WHERE id = $1 AND tenant_id = $2 AND (requester_id = $3 OR addressee_id = $3)";
        let done = on_connection(sqlx::query(sql), id, caller)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The caller's connections in id (creation) order, `query.limit` at a time.
    pub async fn list(
        &self,
        caller: &Caller,
        query: &ConnectionQuery,
    ) -> Result<Page<Connection>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM connections \
             WHERE tenant_id = $1 AND (requester_id = $2 OR addressee_id = $2) \
             AND ($3 = '' OR status = $3) AND id > $4 \
             ORDER BY id LIMIT $5"
        ))
        .bind(caller.tenant.as_ref())
        .bind(caller.person.as_ref())
        .bind(query.status.map_or("", ConnectionStatus::as_str))
        .bind(query.after.map(|a| a.to_string()).unwrap_or_default())
        .bind(query.limit.fetch())
        .fetch_all(&self.pool)
        .await?;
        Page::from_rows(&rows, query.limit, connection_from_row, |c| {
            c.id.to_string()
        })
    }
}

fn connection_from_row(row: &AnyRow) -> Result<Connection, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("connection `{id}`: {what}"));
    let person = |column: &str| -> Result<PersonId, StoreError> {
        let text: String = row.try_get(column)?;
        PersonId::parse(&text).map_err(|_| corrupt(column))
    };
    let status: String = row.try_get("status")?;
    Ok(Connection {
        id: ConnectionId::parse(&id).ok_or_else(|| corrupt("id"))?,
        requester: person("requester_id")?,
        addressee: person("addressee_id")?,
        status: ConnectionStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        created_at: row.try_get("created_at")?,
        responded_at: row.try_get("responded_at")?,
    })
}
