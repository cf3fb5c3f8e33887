//! Development secrets, generated once into `<data>/secrets.env` (mode 0600)
//! and reused on every start, so sessions and keys survive restarts.
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use service_kit::secret;

pub const FILE_NAME: &str = "secrets.env";

/// Every secret variable the services need in development.
fn required() -> impl Iterator<Item = &'static str> {
    auth_server::config::SECRET_VARIABLES
        .iter()
        .chain(auth_server::config::KEYRING_VARIABLES)
        .copied()
}

/// Reads the file, adding (and saving) any secret it lacks.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let path: PathBuf = data_dir.join(FILE_NAME);
    let mut pairs: Vec<(String, String)> = if path.exists() {
        dotenvy::from_path_iter(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("cannot parse {}", path.display()))?
    } else {
        Vec::new()
    };
    let missing: Vec<&str> = required()
        .filter(|k| !pairs.iter().any(|(have, _)| have == k))
        .collect();
    if missing.is_empty() {
        return Ok(pairs);
    }
    let mut file = open_private(&path)?;
    if pairs.is_empty() {
        writeln!(
            file,
            "# Development secrets made by `connectauth dev`. Never use them in production."
        )?;
    }
    for key in missing {
        let fresh = secret::generate().context("the operating system's random source failed")?;
        let value = if auth_server::config::KEYRING_VARIABLES.contains(&key) {
            format!("dev1:{fresh}")
        } else {
            fresh
        };
        writeln!(file, "{key}={value}")?;
        pairs.push((key.to_owned(), value));
    }
    file.sync_all()?;
    Ok(pairs)
}

/// The master key ring `connectauth dev` keeps beside the database at
/// `database_url`, when that is a database `dev` made (`sqlite://<data>/auth.db`
/// next to `<data>/secrets.env`): the keys its tenants' signing keys are
/// sealed with. Only read, never made here.
pub fn keyring_beside(database_url: &str) -> anyhow::Result<Option<String>> {
    let Some(path) = database_url.strip_prefix("sqlite://") else {
        return Ok(None);
    };
    let db = Path::new(path.split('?').next().unwrap_or(path));
    if db.file_name() != Some("auth.db".as_ref()) {
        return Ok(None);
    }
    let file = db.with_file_name(FILE_NAME);
    if !file.exists() {
        return Ok(None);
    }
    let pairs: Vec<(String, String)> = dotenvy::from_path_iter(&file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot parse {}", file.display()))?;
    Ok(pairs
        .into_iter()
        .find(|(k, _)| k == "AUTH_MASTER_KEYS")
        .map(|(_, v)| v))
}

#[cfg(unix)]
fn open_private(path: &Path) -> anyhow::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> anyhow::Result<fs::File> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_made_once_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create(dir.path()).expect("created");
        let second = load_or_create(dir.path()).expect("reused");
        assert_eq!(first, second);
        assert!(first.iter().any(|(k, _)| k == "AUTH_ADMIN_TOKEN"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(FILE_NAME))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_key_ring_of_a_dev_database_is_found_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = |file: &str| format!("sqlite://{}", dir.path().join(file).display());
        assert_eq!(keyring_beside(&url("auth.db")).expect("no file"), None);
        let made = load_or_create(dir.path()).expect("created");
        let ring = made
            .iter()
            .find(|(k, _)| k == "AUTH_MASTER_KEYS")
            .map(|(_, v)| v.clone());
        assert!(ring.is_some());
        assert_eq!(keyring_beside(&url("auth.db")).expect("read"), ring);
        assert_eq!(
            keyring_beside(&format!("{}?mode=rwc", url("auth.db"))).expect("read"),
            ring
        );
        for other in [url("billing.db"), "postgres://db/auth".to_owned()] {
            assert_eq!(keyring_beside(&other).expect("not dev's"), None, "{other}");
        }
    }

    #[test]
    fn a_missing_secret_is_added_without_touching_the_others() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(FILE_NAME), "OTHER=kept\n").expect("write");
        let pairs = load_or_create(dir.path()).expect("completed");
        assert!(pairs.contains(&("OTHER".to_owned(), "kept".to_owned())));
        assert!(pairs.iter().any(|(k, _)| k == "AUTH_ADMIN_TOKEN"));
    }
}
