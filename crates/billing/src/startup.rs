//! Builds the service from its config: pool, Stripe, mail, token checker,
//! routes, listener, and the dunning task.
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use service_kit::bearer;
use service_kit::clock::{SharedClock, SystemClock};
use service_kit::db::{self, Database, Migrations};
use service_kit::http::{self as kit_http, RunningServer};
use service_kit::mail::MailQueue;
pub use service_kit::startup::StartupError;
use tokio::task::JoinHandle;

use crate::config::BillingConfig;
use crate::service::{spawn_dunning_task, Billing, StripeLink};
use crate::stripe::Gateway;

pub static MIGRATIONS: Migrations = Migrations {
    postgres: sqlx::migrate!("../../migrations/billing/postgres"),
    sqlite: sqlx::migrate!("../../migrations/billing/sqlite"),
};

/// How often lapsed grace periods are looked for.
const DUNNING_CHECK: Duration = Duration::from_secs(300);
/// Queued mail gets this long to leave at shutdown.
const MAIL_DRAIN: Duration = Duration::from_secs(10);

pub struct Application {
    running: RunningServer,
    billing: Arc<Billing>,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    pub async fn build(config: BillingConfig) -> Result<Self, StartupError> {
        let db = db::connect(&config.database_url, config.pool).await?;
        Self::build_with_db(config, db)
    }

    pub fn build_with_db(config: BillingConfig, db: Database) -> Result<Self, StartupError> {
        Self::build_with_clock(config, db, Arc::new(SystemClock))
    }

    /// Tests move time with a `ManualClock`.
    pub fn build_with_clock(
        config: BillingConfig,
        db: Database,
        clock: SharedClock,
    ) -> Result<Self, StartupError> {
        let verifier = web::Data::new(
            bearer::verifier(&config.platform).map_err(StartupError::setup("token checking"))?,
        );
        let stripe = match &config.stripe {
            Some(settings) => Some(StripeLink {
                gateway: Gateway::new(settings).map_err(StartupError::setup("stripe"))?,
                settings: settings.clone(),
            }),
            None => {
                tracing::info!("no BILLING_STRIPE_SECRET_KEY: billing runs offline (no checkout)");
                None
            }
        };
        let mail = MailQueue::from_settings(&config.mail, &config.mail_from)
            .map_err(StartupError::setup("mail"))?;
        let billing = Arc::new(
            Billing::new(db.pool.clone(), stripe, mail, clock, config.quotas)
                .with_sender_rule(config.webhook_senders.clone()),
        );
        let tasks = vec![spawn_dunning_task(billing.clone(), DUNNING_CHECK)];
        let metrics = match config.metrics_addr {
            Some(addr) => {
                let mail = billing.mail().clone();
                Some(
                    service_kit::metrics::serve_with_pool(addr, db.pool.clone(), move || {
                        metrics::gauge!("mail_queue_depth").set(mail.pending() as f64);
                    })
                    .map_err(StartupError::setup(
                        "cannot serve metrics on BILLING_METRICS_ADDR",
                    ))?,
                )
            }
            None => None,
        };
        let data = web::Data::from(billing.clone());
        let proxies = web::Data::new(config.trusted_proxies.clone());
        let listener = kit_http::bind(&config.http)?;
        let running = kit_http::serve(listener, config.http.clone(), db.pool, move |cfg| {
            cfg.app_data(data.clone());
            cfg.app_data(proxies.clone());
            bearer::register(cfg, &verifier);
            crate::http::configure(cfg);
        })?
        .with_metrics(metrics);
        Ok(Self {
            running,
            billing,
            tasks,
        })
    }

    /// The listeners: the service's port, its metrics port (`BILLING_METRICS_ADDR`),
    /// and the handle that stops it.
    pub fn running(&self) -> &RunningServer {
        &self.running
    }

    /// The service behind the routes (tests drive dunning through it).
    pub fn billing(&self) -> Arc<Billing> {
        self.billing.clone()
    }

    /// Serves until stopped, then gives queued mail a few seconds to leave.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.running.run().await;
        for task in &self.tasks {
            task.abort();
        }
        if let Err(e) = self.billing.mail().shutdown(MAIL_DRAIN).await {
            tracing::warn!(error = %e, "mail still queued at shutdown was dropped");
        }
        served
    }
}
