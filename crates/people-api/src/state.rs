//! What handlers get through `web::Data<AppState>`. The token checker is
//! app data of its own (`service_kit::bearer::register`), where the verify
//! SDK's extractor looks.
use service_kit::db::Database;

use crate::store::connections::ConnectionStore;
use crate::store::people::PeopleStore;

pub struct AppState {
    pub people: PeopleStore,
    pub connections: ConnectionStore,
}

impl AppState {
    pub fn new(db: &Database) -> Self {
        Self {
            people: PeopleStore::new(db.pool.clone()),
            connections: ConnectionStore::new(db.pool.clone()),
        }
    }
}
