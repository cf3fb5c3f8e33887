//! Builds the auth server from its config: pool, state, routes, listener.
use actix_web::dev::ServerHandle;
use actix_web::web;
use service_kit::db::{self, Database, DbError, Migrations};
use service_kit::http::{self as kit_http, RunningServer};

use crate::config::AuthConfig;
use crate::state::AppState;

/// How often the server checks whether a tenant's signing keys are due to rotate.
const KEY_ROTATION_CHECK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// How long queued mail may take to leave after the server stops.
const MAIL_DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

pub static MIGRATIONS: Migrations = Migrations {
    postgres: sqlx::migrate!("../../migrations/auth/postgres"),
    sqlite: sqlx::migrate!("../../migrations/auth/sqlite"),
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("cannot set up: {0}")]
    State(#[from] crate::state::StateError),
}

pub struct Application {
    running: RunningServer,
    state: web::Data<AppState>,
}

impl Application {
    /// Connects to the configured database and binds the configured address.
    pub async fn build(config: AuthConfig) -> Result<Self, StartupError> {
        let db = db::connect(&config.database_url, config.pool).await?;
        Self::build_with_db(config, db)
    }

    pub fn build_with_db(config: AuthConfig, db: Database) -> Result<Self, StartupError> {
        let listener = kit_http::bind(&config.http)?;
        let state = web::Data::new(AppState::new(&config, db.clone())?);
        // Scheduled key rotation; a database lease makes one instance do it.
        crate::keys::rotation::spawn_rotation_task(state.oauth.keys.clone(), KEY_ROTATION_CHECK);
        let routes_state = state.clone();
        let running = kit_http::serve(listener, config.http.clone(), db.pool, move |cfg| {
            cfg.app_data(routes_state.clone());
            crate::http::configure(cfg);
        })?;
        Ok(Self { running, state })
    }

    pub fn port(&self) -> u16 {
        self.running.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.running.handle()
    }

    /// Serves until stopped, then gives queued mail a few seconds to leave.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.running.server.await;
        if let Err(e) = self.state.identity.mail.shutdown(MAIL_DRAIN).await {
            tracing::warn!(error = %e, "mail still queued at shutdown was dropped");
        }
        served
    }
}
