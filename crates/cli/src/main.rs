//! `connectauth`: one binary for development and operations.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod dev_secrets;
mod environment;
mod services;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(args) => commands::dev::run(args).await,
        Command::Serve(args) => commands::serve::run(args).await,
        Command::Migrate(args) => commands::migrate::run(args).await,
        Command::Secrets(args) => commands::secrets::run(args),
        Command::Tenant(args) => commands::tenant::run(args).await,
        Command::Client(args) => commands::client::run(args).await,
        Command::Keys(args) => commands::keys::run(args).await,
        Command::Billing(args) => commands::billing::run(args).await,
        Command::Report(args) => commands::report::run(args).await,
        Command::Backup(args) => commands::backup::run(args).await,
        Command::Restore(args) => commands::backup::restore(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
