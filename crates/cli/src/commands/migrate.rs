//! `connectauth migrate [service]`: applies pending migrations.
use service_kit::config::Loader;
use service_kit::db::PoolSettings;

use crate::args::{MigrateArgs, ServiceName};
use crate::{environment, services};

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let env = environment::load()?;
    let names = args.service.map_or(ServiceName::ALL.to_vec(), |s| vec![s]);
    let mut loader = Loader::new(&env);
    let urls: Vec<_> = names
        .iter()
        .map(|n| (*n, services::database_url(*n, &mut loader)))
        .collect();
    loader.finish()?;
    for (name, url) in urls {
        let db = services::connect(name, &url, PoolSettings::default()).await?;
        services::migrate(name, &db).await?;
        println!("{}: migrations applied", name.as_str());
    }
    Ok(())
}
