//! `connectauth serve <service>`: one service, as production runs it.
use anyhow::Context;
use service_kit::config::Loader;
use service_kit::telemetry::{self, LogFormat};

use crate::args::ServeArgs;
use crate::environment;
use crate::services::{self, ServiceConfig};

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let env = environment::load()?;
    let mode = env.run_mode().map_err(anyhow::Error::msg)?;
    // A bad trace setting is reported with the other configuration problems.
    let (traces, trace_problem) = match telemetry::traces::from_env(&env, args.service.trace_name())
    {
        Ok(traces) => (traces, None),
        Err(problem) => (None, Some(problem)),
    };
    // Dropped last: a graceful stop flushes the logs and the spans.
    let _log =
        telemetry::init_with_traces(LogFormat::from_env(&env, mode), "info,sqlx=warn", traces);
    let mut loader = Loader::new(&env);
    if let Some(problem) = trace_problem {
        loader.problem(problem);
    }
    let config = ServiceConfig::read(args.service, &mut loader);
    let known = loader.finish()?;
    environment::warn_unknown(
        &env,
        &[&format!("{}_", args.service.env_prefix()), "CONNECTAUTH_"],
        &known,
    );

    let db = config.connect().await?;
    if args.migrate {
        services::migrate(args.service, &db).await?;
    }
    let started = config.start(db)?;
    tracing::info!(
        service = args.service.as_str(),
        port = started.port,
        ?mode,
        "listening"
    );
    tokio::select! {
        () = service_kit::shutdown::signal() => {
            started.handle.stop(true).await;
            tracing::info!("stopped gracefully");
            Ok(())
        }
        ended = started.task => {
            ended.context("server task failed")?.context("server stopped")?;
            Ok(())
        }
    }
}
