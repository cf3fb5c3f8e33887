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
    fn a_missing_secret_is_added_without_touching_the_others() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(FILE_NAME), "OTHER=kept\n").expect("write");
        let pairs = load_or_create(dir.path()).expect("completed");
        assert!(pairs.contains(&("OTHER".to_owned(), "kept".to_owned())));
        assert!(pairs.iter().any(|(k, _)| k == "AUTH_ADMIN_TOKEN"));
    }
}
