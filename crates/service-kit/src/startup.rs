//! Why a service did not start: what every service shares (its database,
//! its listener), and what it sets up of its own, named.
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("{what}: {source}")]
    Setup {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StartupError {
    /// `what` the service could not set up, e.g. `"mail"`.
    pub fn setup<E: std::error::Error + Send + Sync + 'static>(
        what: &'static str,
    ) -> impl FnOnce(E) -> Self {
        move |source| Self::Setup {
            what,
            source: Box::new(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_failure_names_what_failed() {
        let e = StartupError::setup("mail")(std::io::Error::other("no SMTP host"));
        assert_eq!(e.to_string(), "mail: no SMTP host");
        let source = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("no SMTP host"));
    }
}
