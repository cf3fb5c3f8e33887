//! Builds the service from its config: pool, token checker, routes, listener.
use actix_web::web;
use service_kit::db::{self, Database, Migrations};
use service_kit::http::{self as kit_http, RunningServer};
pub use service_kit::startup::StartupError;

use crate::config::PeopleConfig;
use crate::http::callback::CallbackPage;
use crate::state::AppState;
use service_kit::bearer;

pub static MIGRATIONS: Migrations = Migrations {
    postgres: sqlx::migrate!("../../migrations/people/postgres"),
    sqlite: sqlx::migrate!("../../migrations/people/sqlite"),
};

pub struct Application {
    running: RunningServer,
}

impl Application {
    pub async fn build(config: PeopleConfig) -> Result<Self, StartupError> {
        let db = db::connect(&config.database_url, config.pool).await?;
        Self::build_with_db(config, db)
    }

    pub fn build_with_db(config: PeopleConfig, db: Database) -> Result<Self, StartupError> {
        let verifier = web::Data::new(
            bearer::verifier(&config.tokens).map_err(StartupError::setup("token checking"))?,
        );
        let state = web::Data::new(AppState::new(&db));
        // The demo client of `connectauth dev` comes back here; production has no demo.
        let demo = if config.http.mode.is_production() {
            None
        } else {
            let page = CallbackPage::new(&config.tokens.issuer, &config.http.public_url)
                .map_err(StartupError::setup("the demo callback page"))?;
            Some(web::Data::new(page))
        };
        let metrics = match config.metrics_addr {
            Some(addr) => Some(
                service_kit::metrics::serve_with_pool(addr, db.pool.clone(), || {}).map_err(
                    StartupError::setup("cannot serve metrics on PEOPLE_METRICS_ADDR"),
                )?,
            ),
            None => None,
        };
        let listener = kit_http::bind(&config.http)?;
        let running = kit_http::serve(listener, config.http.clone(), db.pool, move |cfg| {
            cfg.app_data(state.clone());
            bearer::register(cfg, &verifier);
            if let Some(demo) = &demo {
                cfg.app_data(demo.clone());
            }
            crate::http::configure(cfg, demo.is_some());
        })?
        .with_metrics(metrics);
        Ok(Self { running })
    }

    /// The listeners: the service's port, its metrics port (`PEOPLE_METRICS_ADDR`),
    /// and the handle that stops it.
    pub fn running(&self) -> &RunningServer {
        &self.running
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.running.run().await
    }
}
