//! `connectauth backup SERVICE --out PATH`: an encrypted backup of one
//! service's database; `connectauth restore SERVICE --from FILE [--yes]`:
//! replaces the database with a backup's contents, then migrates it. The
//! whole file is authenticated before the database is touched
//! (docs/operations.md, Backups and Restore drill).
use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use service_kit::backup::{self, engine_name, Source, Target};
use service_kit::clock::{rfc3339, SystemClock};
use service_kit::db::redact_url;

use crate::args::{BackupArgs, RestoreArgs};
use crate::services;

pub async fn run(args: BackupArgs) -> anyhow::Result<()> {
    let name = args.service;
    let (url, ring) = services::backup_settings(name)?;
    let source = Source {
        service: name.as_str(),
        database_url: &url,
    };
    let created = backup::create(source, &ring, &SystemClock, &args.out).await?;
    let header = &created.header;
    println!("wrote {}", created.path.display());
    println!("service:    {}", header.service);
    println!("engine:     {}", engine_name(header.engine));
    println!("created at: {}", rfc3339(header.created_at));
    println!(
        "master key: {} (the file opens only with this key of AUTH_MASTER_KEYS)",
        header.master_key_id
    );
    println!("dump size:  {} bytes", created.dump_bytes);
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let name = args.service;
    let (url, ring) = services::backup_settings(name)?;
    let target = Target {
        service: name.as_str(),
        database_url: &url,
    };
    let prepared = backup::prepare(target, &ring, &args.from).await?;
    let header = prepared.header();
    println!(
        "{}: a backup of the {} database ({}) made at {} under master key {}; it authenticates",
        args.from.display(),
        header.service,
        engine_name(header.engine),
        rfc3339(header.created_at),
        header.master_key_id
    );
    if !args.yes && !confirmed(&redact_url(&url))? {
        bail!("not restored (nothing was changed)");
    }
    prepared.apply(services::migrations(name)).await?;
    println!(
        "{}: restored from {} and migrated",
        name.as_str(),
        args.from.display()
    );
    Ok(())
}

/// Asks on the terminal; without one, `--yes` is required.
fn confirmed(database: &str) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("restore replaces the database at {database}: pass --yes to confirm");
    }
    print!("Replace every row of the database at {database} with the backup's? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
