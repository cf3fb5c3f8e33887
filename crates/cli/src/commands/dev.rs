//! `connectauth dev`: every service in one process, on SQLite files under the
//! data directory, with secrets generated once and kept there.
use std::net::SocketAddr;

use anyhow::Context;
use futures_util::future::select_all;
use service_kit::config::{Env, Loader};
use service_kit::telemetry::{self, LogFormat};

use crate::args::{DevArgs, ServiceName};
use crate::services::{self, ServiceConfig, Started};
use crate::{dev_secrets, environment};

use super::demo::{DEMO_CHALLENGE, DEMO_CLIENT_ID, DEMO_TENANT, DEMO_VERIFIER};

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    let base = environment::load()?;
    // One process, one exporter: the three services' spans under one name.
    // A bad trace setting is reported with the other configuration problems.
    let (traces, trace_problem) = match telemetry::traces::from_env(&base, "connectauth-dev") {
        Ok(traces) => (traces, None),
        Err(problem) => (None, Some(problem)),
    };
    let _log = telemetry::init_with_traces(
        LogFormat::from_env(&base, service_kit::config::RunMode::Development),
        "info,sqlx=warn",
        traces,
    );
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let dev = dev_env(&args, &base)?;
    let env = base.overlay(dev);

    let mut loader = Loader::new(&env);
    if let Some(problem) = trace_problem {
        loader.problem(problem);
    }
    let configs: Vec<ServiceConfig> = ServiceName::ALL
        .iter()
        .map(|n| ServiceConfig::read(*n, &mut loader))
        .collect();
    loader.finish()?;
    let stripe = configs
        .iter()
        .any(|c| matches!(c, ServiceConfig::Billing(b) if b.stripe.is_some()));

    let mut started: Vec<Started> = Vec::new();
    for config in configs {
        let name = config.name();
        let db = config.connect().await?;
        services::migrate(name, &db).await?;
        if let ServiceConfig::Auth(auth) = &config {
            let manage = services::standalone(auth, &db)?;
            super::demo::ensure(&manage, args.host, args.people_port).await?;
        }
        started.push(config.start(db)?);
    }
    print_banner(&args, &started, stripe);

    let handles: Vec<_> = started.iter().map(|s| s.handle.clone()).collect();
    let tasks: Vec<_> = started.into_iter().map(|s| s.task).collect();
    tokio::select! {
        () = service_kit::shutdown::signal() => {}
        (ended, index, _) = select_all(tasks) => {
            tracing::error!(service = ServiceName::ALL[index].as_str(), result = ?ended, "a service stopped on its own; stopping the others");
        }
    }
    for handle in handles {
        handle.stop(true).await;
    }
    tracing::info!("all services stopped");
    Ok(())
}

/// What development forces: SQLite under the data dir, loopback ports, its secrets.
fn dev_env(args: &DevArgs, base: &Env) -> anyhow::Result<Env> {
    let mut env = Env::from_pairs(dev_secrets::load_or_create(&args.data_dir)?);
    env.set("CONNECTAUTH_ENV", "development");
    let dir = args.data_dir.display();
    // The Connect People API trusts the demo tenant of this auth server.
    env.set(
        "PEOPLE_ISSUER",
        format!(
            "http://{}/t/{DEMO_TENANT}",
            SocketAddr::new(args.host, args.auth_port)
        ),
    );
    // Without an SMTP server, mail lands in files under the data dir (links logged).
    let no_smtp = base.raw("SMTP_URL").is_none_or(|v| v.trim().is_empty());
    if no_smtp {
        env.set("AUTH_MAIL_DIR", format!("{dir}/mail"));
    }
    // Billing meters this auth server and checks the service tokens its
    // `platform` tenant issues, unless the developer's environment says
    // otherwise (an empty AUTH_BILLING_URL turns metering off).
    let auth = SocketAddr::new(args.host, args.auth_port);
    let billing = SocketAddr::new(args.host, args.billing_port);
    for (key, value) in [
        ("AUTH_BILLING_URL", Some(format!("http://{billing}"))),
        ("BILLING_ISSUER", Some(format!("http://{auth}/t/platform"))),
        ("BILLING_MAIL_DIR", no_smtp.then(|| format!("{dir}/mail"))),
    ] {
        if let Some(value) = value.filter(|_| base.raw(key).is_none()) {
            env.set(key, value);
        }
    }
    for (name, port) in [
        (ServiceName::Auth, args.auth_port),
        (ServiceName::Billing, args.billing_port),
        (ServiceName::People, args.people_port),
    ] {
        let prefix = name.env_prefix();
        let addr = SocketAddr::new(args.host, port);
        env.set(format!("{prefix}_BIND"), addr.to_string());
        env.set(format!("{prefix}_PUBLIC_URL"), format!("http://{addr}"));
        env.set(
            format!("{prefix}_DATABASE_URL"),
            format!("sqlite://{dir}/{}.db", name.as_str()),
        );
    }
    Ok(env)
}

fn print_banner(args: &DevArgs, started: &[Started], stripe: bool) {
    println!();
    println!(
        "ConnectAuth is running (development; data in {}):",
        args.data_dir.display()
    );
    for s in started {
        println!(
            "  {:<8} http://{}",
            s.name.as_str(),
            SocketAddr::new(args.host, s.port)
        );
    }
    println!("  demo tenant: {DEMO_TENANT}");
    if let Some(auth) = started.iter().find(|s| s.name == ServiceName::Auth) {
        let base = format!(
            "http://{}/t/{DEMO_TENANT}",
            SocketAddr::new(args.host, auth.port)
        );
        println!("  sign up:     {base}/signup");
        println!("  log in:      {base}/login");
    }
    println!(
        "  mail:        {}/mail unless SMTP_URL is set (links also in the log)",
        args.data_dir.display()
    );
    if stripe {
        println!("  billing:     Stripe configured (plans bought through Checkout)");
    } else {
        println!(
            "  billing:     offline (no BILLING_STRIPE_SECRET_KEY): set a plan with \
             `connectauth billing set-plan --tenant <slug> --plan <plan>`"
        );
    }
    println!();
    println!(
        "Management API (operator token in {}/{}):",
        args.data_dir.display(),
        dev_secrets::FILE_NAME
    );
    println!(
        "  export AUTH_ADMIN_TOKEN=$(sed -n 's/^AUTH_ADMIN_TOKEN=//p' {}/{})",
        args.data_dir.display(),
        dev_secrets::FILE_NAME
    );
    if let Some(auth) = started.iter().find(|s| s.name == ServiceName::Auth) {
        println!(
            "  curl -H \"Authorization: Bearer $AUTH_ADMIN_TOKEN\" http://{}/manage/v1/tenants",
            SocketAddr::new(args.host, auth.port)
        );
    }
    if let (Some(auth), Some(people)) = (
        started.iter().find(|s| s.name == ServiceName::Auth),
        started.iter().find(|s| s.name == ServiceName::People),
    ) {
        let auth = SocketAddr::new(args.host, auth.port);
        let people = SocketAddr::new(args.host, people.port);
        println!();
        println!("Call the Connect People API as a user (PKCE verifier fixed for the demo):");
        println!(
            "  1. open http://{auth}/t/{DEMO_TENANT}/authorize?response_type=code&client_id={DEMO_CLIENT_ID}\\
&redirect_uri=http%3A%2F%2F{people}%2Fcallback&scope=openid%20profile%20profile%3Aread%20profile%3Awrite\\
&code_challenge={DEMO_CHALLENGE}&code_challenge_method=S256&state=demo"
        );
        println!(
            "     sign up or log in; the page you land on (http://{people}/callback) shows the code \
             and the command of step 2 with it"
        );
        println!(
            "  2. curl -s http://{auth}/t/{DEMO_TENANT}/token -d grant_type=authorization_code -d client_id={DEMO_CLIENT_ID} \\\n       -d redirect_uri=http://{people}/callback -d code_verifier={DEMO_VERIFIER} -d code=$CODE"
        );
        println!("  3. curl -s -H \"Authorization: Bearer $ACCESS_TOKEN\" http://{people}/v1/me");
    }
    println!("Press Ctrl-C to stop.");
}
