//! Builds the auth server from its config: pool, state, routes, listener.
use actix_web::web;
use service_kit::db::{self, Database, Migrations};
use service_kit::http::{self as kit_http, RunningServer};
pub use service_kit::startup::StartupError;
use tokio::task::JoinHandle;

use crate::analyst::triage::Triage;
use crate::analyst::Analyst;
use crate::billing_link::platform::Platform;
use crate::config::AuthConfig;
use crate::domain::retention::Retention;
use crate::maintenance::Cleanup;
use crate::sentinel::daily_report::{DailyReport, OperatorMail};
use crate::sentinel::Sentinel;
use crate::state::AppState;
use crate::webhooks::Dispatcher;

/// How often the server checks whether a tenant's signing keys are due to rotate.
const KEY_ROTATION_CHECK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// How soon making the platform tenant is tried again after a failure.
const PLATFORM_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// How long queued mail may take to leave after the server stops.
const MAIL_DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

pub static MIGRATIONS: Migrations = Migrations {
    postgres: sqlx::migrate!("../../migrations/auth/postgres"),
    sqlite: sqlx::migrate!("../../migrations/auth/sqlite"),
};

pub struct Application {
    running: RunningServer,
    state: web::Data<AppState>,
    /// Background tasks, stopped when the server stops.
    tasks: Vec<JoinHandle<()>>,
    /// The sentinel, unless `AUTH_SENTINEL=off`: its lease is given back at
    /// shutdown.
    sentinel: Option<std::sync::Arc<Sentinel>>,
    /// The daily security report, unless `AUTH_SENTINEL_DAILY_REPORT=off`:
    /// its lease is given back at shutdown.
    daily_report: Option<std::sync::Arc<DailyReport>>,
    /// The cleanup of expired rows, unless `AUTH_CLEANUP_EVERY_MINUTES=0`:
    /// its lease is given back at shutdown.
    cleanup: Option<std::sync::Arc<Cleanup>>,
    /// The webhooks' dispatcher, unless `AUTH_WEBHOOKS=off`: its lease is
    /// given back at shutdown too.
    webhooks: Option<std::sync::Arc<Dispatcher>>,
}

impl Application {
    /// Connects to the configured database and binds the configured address.
    pub async fn build(config: AuthConfig) -> Result<Self, StartupError> {
        let db = db::connect(&config.database_url, config.pool).await?;
        Self::build_with_db(config, db)
    }

    pub fn build_with_db(config: AuthConfig, db: Database) -> Result<Self, StartupError> {
        Self::build_with_clock(
            config,
            db,
            std::sync::Arc::new(service_kit::clock::SystemClock),
        )
    }

    /// [`Application::build_with_db`] with the clock that OAuth, signing keys
    /// and billing read, for tests that move time.
    pub fn build_with_clock(
        config: AuthConfig,
        db: Database,
        clock: service_kit::clock::SharedClock,
    ) -> Result<Self, StartupError> {
        let listener = kit_http::bind(&config.http)?;
        let state = web::Data::new(
            AppState::with_clock(&config, db.clone(), clock.clone())
                .map_err(StartupError::setup("cannot set up"))?,
        );
        if let Some(problem) = crate::http::pages::client_ip::startup_problem(
            config.http.mode,
            config.http.bind,
            &config.identity.trusted_proxies,
        ) {
            tracing::error!("{problem}");
        }
        // Scheduled key rotation; a database lease makes one instance do it.
        let mut tasks = vec![crate::keys::rotation::spawn_rotation_task(
            state.oauth.keys.clone(),
            KEY_ROTATION_CHECK,
        )];
        tasks.push(spawn_platform_task(state.billing.platform.clone()));
        // Every instance enforces the blocks; one runs the sentinel.
        tasks.push(state.blocklist.clone().spawn_refresh());
        // Every instance reports the 401s of its management API.
        tasks.push(state.manage_probes.clone().spawn());
        let cleanup = cleanup(&config, &db, &state, clock.clone());
        if let Some(cleanup) = &cleanup {
            tasks.push(cleanup.clone().spawn());
        }
        let sentinel = config.sentinel.enabled.then(|| {
            std::sync::Arc::new(Sentinel::new(
                &db,
                state.identity.clone(),
                state.blocklist.clone(),
                clock.clone(),
                (*config.sentinel).clone(),
            ))
        });
        if let Some(sentinel) = &sentinel {
            tasks.push(sentinel.clone().spawn());
        }
        let analyst = match &config.sentinel.analyst {
            Some(settings) => Some(std::sync::Arc::new(
                Analyst::new(settings, db.pool.clone(), clock.clone())
                    .map_err(StartupError::setup("AI analyst"))?,
            )),
            None => None,
        };
        if let Some(analyst) = &analyst {
            let triage = Triage::new(analyst.clone(), db.pool.clone(), clock.clone());
            tasks.push(std::sync::Arc::new(triage).spawn());
        }
        let daily_report = config.sentinel.daily_report.enabled.then(|| {
            std::sync::Arc::new(
                DailyReport::new(
                    &db,
                    state.identity.clone(),
                    clock.clone(),
                    config.sentinel.daily_report,
                )
                .with_analyst(analyst.clone())
                .with_operator_report(operator_mail(&config, &state)),
            )
        });
        if let Some(daily_report) = &daily_report {
            tasks.push(daily_report.clone().spawn());
        }
        let webhooks = if config.webhooks.enabled {
            Some(std::sync::Arc::new(
                Dispatcher::new(
                    &db,
                    state.identity.services.keys.clone(),
                    state.identity.clone(),
                    clock.clone(),
                    config.webhooks.clone(),
                )
                .map_err(StartupError::setup("webhooks"))?,
            ))
        } else {
            None
        };
        if let Some(webhooks) = &webhooks {
            tasks.push(webhooks.clone().spawn());
        }
        if db.engine == db::Engine::Postgres {
            tasks.push(
                state
                    .oauth
                    .keys
                    .freshness()
                    .clone()
                    .spawn_listener(config.database_url.clone()),
            );
        }
        if let Some(reporter) = &state.billing.reporter {
            tasks.push(crate::billing_link::usage_report::spawn_usage_task(
                reporter.clone(),
                config.billing.report_interval,
            ));
        }
        let metrics = match config.metrics_addr {
            Some(addr) => Some(serve_metrics(addr, &db, &state)?),
            None => None,
        };
        let routes_state = state.clone();
        let running = kit_http::serve(listener, config.http.clone(), db.pool, move |cfg| {
            cfg.app_data(routes_state.clone());
            crate::http::configure(cfg);
        })?
        .with_metrics(metrics);
        Ok(Self {
            running,
            state,
            tasks,
            sentinel,
            daily_report,
            cleanup,
            webhooks,
        })
    }

    /// The listeners: the service's port, its metrics port (`AUTH_METRICS_ADDR`),
    /// and the handle that stops it.
    pub fn running(&self) -> &RunningServer {
        &self.running
    }

    /// Serves until stopped, then gives queued mail a few seconds to leave.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.running.run().await;
        for task in &self.tasks {
            task.abort();
        }
        if let Some(sentinel) = &self.sentinel {
            sentinel.stop().await;
        }
        if let Some(daily_report) = &self.daily_report {
            daily_report.stop().await;
        }
        if let Some(cleanup) = &self.cleanup {
            cleanup.stop().await;
        }
        if let Some(webhooks) = &self.webhooks {
            webhooks.stop().await;
        }
        // Answered requests may still be making links: let them queue their mail.
        self.state.identity.finish_background(MAIL_DRAIN).await;
        if let Err(e) = self.state.identity.services.mail.shutdown(MAIL_DRAIN).await {
            tracing::warn!(error = %e, "mail still queued at shutdown was dropped");
        }
        served
    }
}

/// The metrics listener: the process's recorder, with the database pool's
/// use and the password pool's queue sampled at each scrape.
fn serve_metrics(
    addr: std::net::SocketAddr,
    db: &db::Database,
    state: &web::Data<AppState>,
) -> Result<(u16, actix_web::dev::Server), StartupError> {
    let hasher = state.identity.services.hasher.load();
    let mail = state.identity.services.mail.clone();
    service_kit::metrics::serve_with_pool(addr, db.pool.clone(), move || {
        let (running, waiting) = hasher.running_and_waiting();
        metrics::gauge!("password_hash_jobs", "state" => "running").set(running as f64);
        metrics::gauge!("password_hash_jobs", "state" => "waiting").set(waiting as f64);
        metrics::gauge!("mail_queue_depth").set(mail.pending() as f64);
    })
    .map_err(StartupError::setup(
        "cannot serve metrics on AUTH_METRICS_ADDR",
    ))
}

/// Makes the `platform` tenant and its keys if they are missing, retrying
/// until the database lets it (the service token needs it; so does the
/// dashboard's login).
fn spawn_platform_task(platform: std::sync::Arc<Platform>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match platform.ensure().await {
                Ok(_) => return,
                Err(e) => tracing::warn!(error = %e, "cannot ensure the platform tenant yet"),
            }
            tokio::time::sleep(PLATFORM_RETRY).await;
        }
    })
}

/// The operators' report across tenants, when `AUTH_OPERATOR_EMAILS`
/// names anyone to mail it to.
fn operator_mail(config: &AuthConfig, state: &web::Data<AppState>) -> Option<OperatorMail> {
    let to = config.sentinel.operator_emails.clone();
    (!to.is_empty()).then(|| OperatorMail {
        reports: state.manage.operator_reports.clone(),
        to,
    })
}

/// The cleanup of expired rows (`crate::maintenance`), under the session
/// and lockout policies the hosted pages apply; `None` when this instance
/// does not run it.
fn cleanup(
    config: &AuthConfig,
    db: &Database,
    state: &web::Data<AppState>,
    clock: service_kit::clock::SharedClock,
) -> Option<std::sync::Arc<Cleanup>> {
    let every = config.cleanup.every?;
    let identity = &state.identity;
    let retention = Retention::new(
        config.cleanup.event_retention,
        &identity.services.session_policy,
        &[
            identity.services.account_lockout,
            identity.services.ip_lockout,
        ],
    );
    let usage = state.billing.reporter.clone();
    Some(std::sync::Arc::new(Cleanup::new(
        db, retention, every, usage, clock,
    )))
}
