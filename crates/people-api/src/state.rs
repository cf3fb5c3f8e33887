//! What handlers get through `web::Data<AppState>`: the use cases, never a
//! store. The token checker is app data of its own
//! (`service_kit::bearer::register`), where the verify SDK's extractor looks.
use std::sync::Arc;

use service_kit::clock::{SharedClock, SystemClock};
use service_kit::db::Database;

use crate::service::{Connections, Profiles};

pub struct AppState {
    pub profiles: Profiles,
    pub connections: Connections,
}

impl AppState {
    pub fn new(db: &Database) -> Self {
        let clock: SharedClock = Arc::new(SystemClock);
        Self {
            profiles: Profiles::new(db.pool.clone(), clock.clone()),
            connections: Connections::new(db.pool.clone(), clock),
        }
    }
}
