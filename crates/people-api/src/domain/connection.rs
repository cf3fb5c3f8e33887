//! A connection between two people: one asks (the requester), the other
//! (the addressee) accepts or declines. One per pair, whoever asked first.
use std::fmt;

use super::person::PersonId;
use service_kit::paging::{PageSize, PageSizeError};

/// Time-ordered (UUID v7), so ids sort by creation and serve as page cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(uuid::Uuid);

impl ConnectionId {
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }

    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::try_parse(text).ok().map(Self)
    }
}

impl Default for ConnectionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    Pending,
    Accepted,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            _ => None,
        }
    }
}

/// Which way a connection points, seen by one of its two people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// I asked.
    Outgoing,
    /// I was asked.
    Incoming,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outgoing => "outgoing",
            Self::Incoming => "incoming",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnectionRuleError {
    #[error("a person cannot connect to themselves")]
    SelfConnection,
    #[error("only the person who was asked may answer a connection request")]
    NotAddressee,
    #[error("this connection request was already accepted")]
    NotPending,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: ConnectionId,
    pub requester: PersonId,
    pub addressee: PersonId,
    pub status: ConnectionStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// When the addressee accepted; `None` while pending.
    pub responded_at: Option<i64>,
}

impl Connection {
    /// A new request from `requester` to `addressee`.
    pub fn request(
        requester: PersonId,
        addressee: PersonId,
        now: i64,
    ) -> Result<Self, ConnectionRuleError> {
        if requester == addressee {
            return Err(ConnectionRuleError::SelfConnection);
        }
        Ok(Self {
            id: ConnectionId::new(),
            requester,
            addressee,
            status: ConnectionStatus::Pending,
            created_at: now,
            responded_at: None,
        })
    }

    /// Whether `person` may accept or decline it: only its addressee, and
    /// only while it is pending.
    pub fn check_answerable_by(&self, person: &PersonId) -> Result<(), ConnectionRuleError> {
        if &self.addressee != person {
            return Err(ConnectionRuleError::NotAddressee);
        }
        if self.status != ConnectionStatus::Pending {
            return Err(ConnectionRuleError::NotPending);
        }
        Ok(())
    }

    /// The direction seen by `me`, one of its two people.
    pub fn direction_for(&self, me: &PersonId) -> Direction {
        if &self.requester == me {
            Direction::Outgoing
        } else {
            Direction::Incoming
        }
    }

    /// The other person, seen by `me`.
    pub fn other_than(&self, me: &PersonId) -> &PersonId {
        if &self.requester == me {
            &self.addressee
        } else {
            &self.requester
        }
    }
}

/// `GET /v1/connections`: a person's connections, optionally of one status.
#[derive(Debug, Clone)]
pub struct ConnectionQuery {
    pub status: Option<ConnectionStatus>,
    pub limit: PageSize,
    pub after: Option<ConnectionId>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("status is `pending` or `accepted`")]
    Status,
    #[error("after is the `next_after` of a page")]
    After,
    #[error(transparent)]
    Limit(#[from] PageSizeError),
}

impl ConnectionQuery {
    /// The query as a client writes it: an empty `status` or `after` is the
    /// same as none (a form left blank, a first page).
    pub fn parse(
        status: Option<&str>,
        limit: Option<u32>,
        after: Option<&str>,
    ) -> Result<Self, QueryError> {
        fn given(text: Option<&str>) -> Option<&str> {
            text.filter(|t| !t.is_empty())
        }
        let status = given(status)
            .map(|s| ConnectionStatus::parse(s).ok_or(QueryError::Status))
            .transpose()?;
        let after = given(after)
            .map(|a| ConnectionId::parse(a).ok_or(QueryError::After))
            .transpose()?;
        Ok(Self {
            status,
            limit: PageSize::parse(limit)?,
            after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str) -> PersonId {
        PersonId::parse(id).expect("id")
    }

    #[test]
    fn nobody_connects_to_themselves() {
        assert_eq!(
            Connection::request(person("a"), person("a"), 0),
            Err(ConnectionRuleError::SelfConnection)
        );
    }

    #[test]
    fn only_the_addressee_answers_and_only_once() {
        let mut c = Connection::request(person("a"), person("b"), 0).expect("request");
        assert_eq!(
            c.check_answerable_by(&person("a")),
            Err(ConnectionRuleError::NotAddressee)
        );
        assert_eq!(c.check_answerable_by(&person("b")), Ok(()));
        c.status = ConnectionStatus::Accepted;
        assert_eq!(
            c.check_answerable_by(&person("b")),
            Err(ConnectionRuleError::NotPending)
        );
        assert_eq!(c.direction_for(&person("a")), Direction::Outgoing);
        assert_eq!(c.other_than(&person("b")), &person("a"));
    }

    #[test]
    fn a_list_query_takes_blank_as_absent_and_refuses_the_unknown() {
        let id = ConnectionId::new();
        let query = ConnectionQuery::parse(Some("accepted"), Some(5), Some(&id.to_string()))
            .expect("valid");
        assert_eq!(query.status, Some(ConnectionStatus::Accepted));
        assert_eq!(query.limit.get(), 5);
        assert_eq!(query.after, Some(id));
        let blank = ConnectionQuery::parse(Some(""), None, Some("")).expect("blank is absent");
        assert_eq!((blank.status, blank.after), (None, None));
        assert_eq!(blank.limit, PageSize::parse(None).expect("default"));
        let refused = |status, limit, after| ConnectionQuery::parse(status, limit, after).err();
        assert_eq!(
            refused(Some("blocked"), None, None),
            Some(QueryError::Status)
        );
        assert_eq!(
            refused(Some("Pending"), None, None),
            Some(QueryError::Status)
        );
        assert_eq!(refused(None, None, Some("nope")), Some(QueryError::After));
        assert_eq!(
            refused(None, Some(0), None),
            Some(QueryError::Limit(PageSizeError))
        );
    }

    #[test]
    fn ids_sort_by_creation() {
        let first = ConnectionId::new().to_string();
        let second = ConnectionId::new().to_string();
        assert!(first < second);
        assert_eq!(
            ConnectionId::parse(&first).map(|i| i.to_string()),
            Some(first)
        );
        assert_eq!(ConnectionId::parse("nope"), None);
    }
}
