//! PostgreSQL through its own tools: `pg_dump --format=custom`, and
//! `pg_restore` with `psql` to put a dump back, of a major version no older
//! than the server's (an older `pg_dump` refuses a newer server; an older
//! `pg_restore` cannot read a newer dump). The password goes to the tools in `PGPASSWORD`, never on
//! their command line, where other local users could read it.
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use sqlx::{Connection, PgConnection};

use super::error::BackupError;
use super::header::Header;
use super::stream;
use crate::db::redact_url;
use crate::secret::Secret;

/// Where the tools connect: the URL without its password, and the password.
pub(super) struct Conn {
    url: String,
    password: Option<String>,
}

impl Conn {
    pub fn parse(url: &str) -> Result<Self, BackupError> {
        let mut parsed = url::Url::parse(url).map_err(|_| BackupError::Url(redact_url(url)))?;
        let password = parsed.password().map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        });
        parsed
            .set_password(None)
            .map_err(|_| BackupError::Url(redact_url(url)))?;
        Ok(Self {
            url: parsed.to_string(),
            password,
        })
    }

    fn command(&self, tool: &'static str) -> Command {
        let mut cmd = Command::new(tool);
        cmd.arg(format!("--dbname={}", self.url));
        if let Some(password) = &self.password {
            cmd.env("PGPASSWORD", password);
        }
        cmd
    }
}

/// Refuses early when `tool` is missing or older than the server.
pub(super) async fn check_tool(tool: &'static str, url: &str) -> Result<(), BackupError> {
    let client = client_major(tool)?;
    let server = server_major(url).await?;
    if client < server {
        return Err(BackupError::ToolTooOld {
            tool,
            client,
            server,
        });
    }
    Ok(())
}

fn client_major(tool: &'static str) -> Result<u32, BackupError> {
    let out = Command::new(tool)
        .arg("--version")
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BackupError::ToolMissing(tool),
            _ => BackupError::io(format!("running {tool}"))(e),
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    major_version(&text).ok_or_else(|| BackupError::ToolFailed {
        tool,
        status: out.status,
        stderr: format!("unexpected --version output `{}`", text.trim()),
    })
}

/// The major version in a tool's `--version` line, e.g. 15 in
/// `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`.
fn major_version(text: &str) -> Option<u32> {
    let rest = text.split(')').nth(1)?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

async fn server_major(url: &str) -> Result<u32, BackupError> {
    let context = || format!("the PostgreSQL database at {}", redact_url(url));
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(BackupError::sql(context()))?;
    let num: String = sqlx::query_scalar("SHOW server_version_num")
        .fetch_one(&mut conn)
        .await
        .map_err(BackupError::sql(context()))?;
    let _ = conn.close().await;
    num.trim()
        .parse::<u32>()
        .map(|n| n / 10_000)
        .map_err(|_| BackupError::Url(context()))
}

/// Runs `pg_dump` and seals its output into `dst` as it comes.
pub(super) fn dump(
    conn: &Conn,
    header: Header,
    ring: &[(String, Secret)],
    dst: &mut impl Write,
) -> Result<u64, BackupError> {
    let mut child = conn
        .command("pg_dump")
        .args(["--format=custom", "--no-password"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error("pg_dump"))?;
    let errors = drain_stderr(&mut child);
    let sealed = match child.stdout.as_mut() {
        Some(out) => stream::seal(header, ring, out, dst).map_err(BackupError::from),
        None => Err(BackupError::io("pg_dump's output")(std::io::Error::other(
            "not piped",
        ))),
    };
    if sealed.is_err() {
        let _ = child.kill();
    }
    finish("pg_dump", child, errors)?;
    sealed
}

/// Empties schema `public` (tables with their indexes, constraints and
/// triggers, views, sequences, then functions), sparing what extensions
/// own: the database is the service's alone, so all of it is the service's. A release's later migrations may have added tables
/// an older dump does not know: `pg_restore --clean` would leave them, and
/// their foreign keys would stop it dropping the dump's own tables.
const CLEAR: &str = r"
DO $clear$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.relname, c.relkind FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
        WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      r.relname);
  END LOOP;
  FOR r IN
    SELECT p.oid::regprocedure::text AS routine FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.routine);
  END LOOP;
END
$clear$;
";

/// Restores a decrypted dump in one transaction, so a failure leaves the
/// database as it was: `pg_restore --clean --if-exists --no-owner` turns
/// the dump into SQL (in `scratch`, private), and `psql` runs [`CLEAR`] and
/// that SQL between one BEGIN and COMMIT, stopping at the first error.
pub(super) fn restore(conn: &Conn, dump: &Path, scratch: &Path) -> Result<(), BackupError> {
    let script = scratch.join("restore.sql");
    let child = Command::new("pg_restore")
        .args(["--clean", "--if-exists", "--no-owner", "--file"])
        .arg(&script)
        .arg(dump)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error("pg_restore"))?;
    run_to_end("pg_restore", child)?;
    let child = conn
        .command("psql")
        .args([
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            "--command",
            CLEAR,
            "--file",
        ])
        .arg(&script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error("psql"))?;
    run_to_end("psql", child)
}

fn run_to_end(tool: &'static str, mut child: Child) -> Result<(), BackupError> {
    let errors = drain_stderr(&mut child);
    finish(tool, child, errors)
}

fn spawn_error(tool: &'static str) -> impl FnOnce(std::io::Error) -> BackupError {
    move |e| match e.kind() {
        std::io::ErrorKind::NotFound => BackupError::ToolMissing(tool),
        _ => BackupError::io(format!("starting {tool}"))(e),
    }
}

/// Reads the tool's standard error on a thread of its own, so a chatty
/// tool never blocks on a full pipe while its output is being read.
fn drain_stderr(child: &mut Child) -> std::thread::JoinHandle<String> {
    let stderr = child.stderr.take();
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    })
}

fn finish(
    tool: &'static str,
    mut child: Child,
    errors: std::thread::JoinHandle<String>,
) -> Result<(), BackupError> {
    let status = child
        .wait()
        .map_err(BackupError::io(format!("waiting for {tool}")))?;
    let stderr = errors.join().unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        Err(BackupError::ToolFailed {
            tool,
            status,
            stderr: stderr.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_major_version_is_read_from_the_tools_version_line() {
        for (line, major) in [
            (
                "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n",
                Some(15),
            ),
            ("pg_restore (PostgreSQL) 16.4\n", Some(16)),
            ("psql (PostgreSQL) 17beta1\n", Some(17)),
            ("pg_dump (PostgreSQL) 9.6.24\n", Some(9)),
            ("something else", None),
        ] {
            assert_eq!(major_version(line), major, "{line}");
        }
    }

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let conn =
            Conn::parse("postgres://app:s%40cret@db:5432/auth?sslmode=require").expect("a URL");
        assert_eq!(conn.url, "postgres://app@db:5432/auth?sslmode=require");
        assert_eq!(conn.password.as_deref(), Some("s@cret"));
        let cmd = conn.command("pg_dump");
        let args: Vec<_> = cmd.get_args().collect();
        assert!(!format!("{args:?}").contains("cret"));
        assert!(Conn::parse("postgres://db/auth")
            .expect("a URL")
            .password
            .is_none());
    }
}
