//! Builds the service from its config: pool, routes, listener.
use actix_web::dev::ServerHandle;
use service_kit::db::{self, Database, DbError, Migrations};
use service_kit::http::{self as kit_http, RunningServer};

use crate::config::BillingConfig;

pub static MIGRATIONS: Migrations = Migrations {
    postgres: sqlx::migrate!("../../migrations/billing/postgres"),
    sqlite: sqlx::migrate!("../../migrations/billing/sqlite"),
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

pub struct Application {
    running: RunningServer,
}

impl Application {
    pub async fn build(config: BillingConfig) -> Result<Self, StartupError> {
        let db = db::connect(&config.database_url, config.pool).await?;
        Self::build_with_db(config, db)
    }

    pub fn build_with_db(config: BillingConfig, db: Database) -> Result<Self, StartupError> {
        let listener = kit_http::bind(&config.http)?;
        let running = kit_http::serve(
            listener,
            config.http.clone(),
            db.pool,
            crate::http::configure,
        )?;
        Ok(Self { running })
    }

    pub fn port(&self) -> u16 {
        self.running.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.running.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.running.server.await
    }
}
