//! How a refusal from the auth server's use cases reaches the operator.
use std::error::Error;

use anyhow::anyhow;

/// `e` with its causes; a database that is not migrated says so and names
/// the command that fixes it.
pub(crate) fn refused<E>(e: E) -> anyhow::Error
where
    E: Error + Send + Sync + 'static,
{
    if not_migrated(&e) {
        anyhow!("{e}: the database is not migrated (run `connectauth migrate`)")
    } else {
        anyhow::Error::new(e)
    }
}

/// [`refused`] for the `service` database (`billing`), named in the
/// message.
pub(crate) fn refused_in<E>(service: &str, e: E) -> anyhow::Error
where
    E: Error + Send + Sync + 'static,
{
    if not_migrated(&e) {
        anyhow!("{e}: the {service} database is not migrated (run `connectauth migrate`)")
    } else {
        anyhow::Error::new(e).context(format!("{service} database"))
    }
}

/// Whether the database's own error (the last cause) names a missing table.
fn not_migrated(e: &(dyn Error + 'static)) -> bool {
    let Some(mut cause) = e.source() else {
        return false;
    };
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    text.contains("no such table") || text.contains("does not exist")
}
