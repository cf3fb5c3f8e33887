//! Restoring a backup, in two steps so nothing is written to the database
//! until the whole file has authenticated: [`prepare`] checks the header
//! against the target (service, engine, master key) and decrypts the file
//! to a private temporary copy; [`Prepared::apply`] puts it in place and
//! brings the schema up to this release.
use std::io::Read;
use std::path::Path;

use tempfile::NamedTempFile;

use super::error::BackupError;
use super::header::{engine_name, Envelope, Header};
use super::{blocking, postgres, sqlite, stream};
use crate::db::{self, Engine, Migrations, PoolSettings};
use crate::secret::Secret;

/// The database a backup is restored into.
pub struct Target<'a> {
    /// `auth`, `billing` or `people`.
    pub service: &'a str,
    pub database_url: &'a str,
}

/// A backup that authenticated, decrypted and ready to be put in place.
pub struct Prepared {
    header: Header,
    database_url: String,
    dump: NamedTempFile,
}

/// Reads and checks `from` for `target`, and decrypts it. Refuses another
/// service's backup, the other engine's, an unknown or wrong master key, and
/// a file that does not authenticate to its end.
pub async fn prepare(
    target: Target<'_>,
    ring: &[(String, Secret)],
    from: &Path,
) -> Result<Prepared, BackupError> {
    let engine = Engine::from_url(target.database_url)?;
    let mut file = std::fs::File::open(from)
        .map_err(BackupError::io(format!("reading {}", from.display())))?;
    let envelope = Envelope::read(&mut file)?;
    let header = envelope.header.clone();
    if header.service != target.service {
        return Err(BackupError::WrongService {
            found: header.service,
            expected: target.service.to_owned(),
        });
    }
    if header.engine != engine {
        return Err(BackupError::WrongEngine {
            found: engine_name(header.engine),
            expected: engine_name(engine),
            service: target.service.to_owned(),
        });
    }
    stream::check_key(&envelope, ring)?;
    let mut dump = match engine {
        Engine::Postgres => {
            for tool in ["pg_restore", "psql"] {
                postgres::check_tool(tool, target.database_url).await?;
            }
            tempfile::Builder::new()
                .prefix("connectauth-restore-")
                .tempfile()
                .map_err(BackupError::io("a temporary file"))?
        }
        Engine::Sqlite => sqlite::staging(target.database_url)?,
    };
    let ring = ring.to_vec();
    let dump = blocking(move || {
        stream::open(&envelope, &ring, &mut file, dump.as_file_mut())?;
        Ok(dump)
    })
    .await?;
    let mut start = [0u8; 16];
    let read = dump
        .reopen()
        .and_then(|mut f| f.read(&mut start))
        .map_err(BackupError::io("reading the decrypted backup"))?;
    let start = &start[..read];
    let recognised = match engine {
        Engine::Postgres => start.starts_with(b"PGDMP"),
        Engine::Sqlite => sqlite::is_database(start),
    };
    if !recognised {
        return Err(BackupError::NotADump(engine_name(engine)));
    }
    Ok(Prepared {
        header,
        database_url: target.database_url.to_owned(),
        dump,
    })
}

impl Prepared {
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Replaces the database's contents with the backup's, then applies the
    /// migrations of this release (a backup of an older release comes up
    /// to date).
    pub async fn apply(self, migrations: &Migrations) -> Result<(), BackupError> {
        let url = self.database_url;
        match self.header.engine {
            Engine::Postgres => {
                let conn = postgres::Conn::parse(&url)?;
                let dump = self.dump;
                let scratch =
                    tempfile::tempdir().map_err(BackupError::io("a temporary directory"))?;
                blocking(move || postgres::restore(&conn, dump.path(), scratch.path())).await?;
            }
            Engine::Sqlite => sqlite::replace(&url, self.dump).await?,
        }
        let db = db::connect(&url, PoolSettings::default()).await?;
        db::migrate(&db, migrations).await?;
        db.pool.close().await;
        Ok(())
    }
}
