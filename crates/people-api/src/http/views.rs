//! What the API answers: wire shapes, apart from the domain types.
use serde::Serialize;

use crate::domain::connection::Connection;
use crate::domain::person::{Person, PersonId};
use service_kit::paging::Page;

pub use service_kit::clock::rfc3339;

#[derive(Serialize)]
pub struct PersonView {
    id: String,
    display_name: Option<String>,
    bio: Option<String>,
    location: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<Person> for PersonView {
    fn from(p: Person) -> Self {
        Self {
            id: p.id.to_string(),
            display_name: p.profile.display_name().map(str::to_owned),
            bio: p.profile.bio().map(str::to_owned),
            location: p.profile.location().map(str::to_owned),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// A connection as one of its two people sees it.
#[derive(Serialize)]
pub struct ConnectionView {
    id: String,
    status: &'static str,
    /// `outgoing` when I asked, `incoming` when I was asked.
    direction: &'static str,
    /// The other person.
    person_id: String,
    requester_id: String,
    addressee_id: String,
    created_at: String,
    responded_at: Option<String>,
}

impl ConnectionView {
    pub fn new(c: &Connection, me: &PersonId) -> Self {
        Self {
            id: c.id.to_string(),
            status: c.status.as_str(),
            direction: c.direction_for(me).as_str(),
            person_id: c.other_than(me).to_string(),
            requester_id: c.requester.to_string(),
            addressee_id: c.addressee.to_string(),
            created_at: rfc3339(c.created_at),
            responded_at: c.responded_at.map(rfc3339),
        }
    }
}

#[derive(Serialize)]
pub struct ConnectionList {
    items: Vec<ConnectionView>,
    next_after: Option<String>,
}

impl ConnectionList {
    pub fn new(page: Page<Connection>, me: &PersonId) -> Self {
        Self {
            items: page
                .items
                .iter()
                .map(|c| ConnectionView::new(c, me))
                .collect(),
            next_after: page.next_after,
        }
    }
}
