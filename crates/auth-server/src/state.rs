//! What handlers get through `web::Data<AppState>`.
use service_kit::db::Database;

use crate::config::AuthConfig;
use crate::http::extract::OperatorTokenDigest;
use crate::store::tenants::TenantStore;

pub struct AppState {
    pub tenants: TenantStore,
    pub operator_token: OperatorTokenDigest,
}

impl AppState {
    pub fn new(config: &AuthConfig, db: Database) -> Self {
        Self {
            tenants: TenantStore::new(db.pool),
            operator_token: OperatorTokenDigest::of(&config.admin_token),
        }
    }
}
