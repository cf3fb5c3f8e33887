//! Making a backup: a dump of one service's database, encrypted as it is
//! written, under a name that says what and when.
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::error::{BackupError, FormatError};
use super::header::Header;
use super::{blocking, postgres, sqlite, stream};
use crate::clock::Clock;
use crate::db::Engine;
use crate::secret::Secret;

/// The database a backup is taken of.
pub struct Source<'a> {
    /// `auth`, `billing` or `people`.
    pub service: &'a str,
    pub database_url: &'a str,
}

/// A backup written.
#[derive(Debug)]
pub struct Created {
    pub path: PathBuf,
    pub header: Header,
    /// Bytes of the (unencrypted) dump.
    pub dump_bytes: u64,
}

/// The file a backup goes to: `out` itself, or in the directory `out` a
/// file named for the service and the time (UTC), which sorts by date:
/// `connectauth-auth-20261206T184500Z.cabackup`.
fn file_name(out: &Path, service: &str, now: i64) -> PathBuf {
    if !out.is_dir() {
        return out.to_path_buf();
    }
    let stamp = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| now.to_string());
    out.join(format!("connectauth-{service}-{stamp}.cabackup"))
}

/// Dumps `source` and writes it, encrypted under the first key of `ring`,
/// to [`file_name`]. The file appears only once complete; an existing file
/// is never overwritten.
pub async fn create(
    source: Source<'_>,
    ring: &[(String, Secret)],
    clock: &dyn Clock,
    out: &Path,
) -> Result<Created, BackupError> {
    let engine = Engine::from_url(source.database_url)?;
    let now = clock.now();
    let path = file_name(out, source.service, now);
    if path.exists() {
        return Err(BackupError::Exists(path));
    }
    // New backups are encrypted under the ring's first key, as new seals are.
    let (key_id, _) = ring.first().ok_or(FormatError::NoKeys)?;
    let header = Header {
        service: source.service.to_owned(),
        engine,
        master_key_id: key_id.clone(),
        created_at: now,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut partial = tempfile::Builder::new()
        .prefix(".connectauth-backup-")
        .tempfile_in(&dir)
        .map_err(BackupError::io(format!("writing in {}", dir.display())))?;
    let ring = ring.to_vec();
    let sealed_header = header.clone();
    let (dump_bytes, partial) = match engine {
        Engine::Postgres => {
            postgres::check_tool("pg_dump", source.database_url).await?;
            let conn = postgres::Conn::parse(source.database_url)?;
            blocking(move || {
                let bytes = postgres::dump(&conn, sealed_header, &ring, partial.as_file_mut())?;
                Ok((bytes, partial))
            })
            .await?
        }
        Engine::Sqlite => {
            let scratch = tempfile::tempdir().map_err(BackupError::io("a temporary directory"))?;
            let copy = scratch.path().join("snapshot.db");
            sqlite::snapshot(source.database_url, &copy).await?;
            blocking(move || {
                let mut file = std::fs::File::open(&copy)
                    .map_err(BackupError::io("reading the SQLite snapshot"))?;
                let bytes = stream::seal(sealed_header, &ring, &mut file, partial.as_file_mut())?;
                drop(scratch);
                Ok((bytes, partial))
            })
            .await?
        }
    };
    finish(partial, &path)?;
    Ok(Created {
        path,
        header,
        dump_bytes,
    })
}

fn finish(partial: NamedTempFile, path: &Path) -> Result<(), BackupError> {
    partial
        .as_file()
        .sync_all()
        .map_err(BackupError::io("syncing the backup"))?;
    partial.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists(path.to_path_buf())
        } else {
            BackupError::io(format!("writing {}", path.display()))(e.error)
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_a_directory_the_file_is_named_for_the_service_and_the_utc_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            file_name(dir.path(), "billing", 1_796_582_700),
            dir.path()
                .join("connectauth-billing-20261206T184500Z.cabackup")
        );
        let given = dir.path().join("nightly.cabackup");
        assert_eq!(file_name(&given, "auth", 1_796_582_700), given);
    }
}
