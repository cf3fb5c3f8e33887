//! [`LazyVerifier`]: a [`Verifier`] built on first use, for an API that must
//! start while its issuer is not up yet.

use tokio::sync::OnceCell;

use super::error::{RemoteError, SetupError, VerifyError};
use super::verifier::{Verifier, VerifierConfig};
use crate::claims::Claims;
use crate::error::ConfigError;
use crate::validator::Validator;

/// A [`Verifier`] whose discovery waits for the first token.
///
/// The validation settings are checked at once; the issuer's metadata is
/// fetched when a token first needs checking, and fetched again on each
/// token until it has been had once. Until then tokens are refused as
/// [`VerifyError::KeysUnavailable`] (503), so the API can start, and answer,
/// before its issuer does. In actix-web, register it like a `Verifier`
/// (`web::Data::new(lazy)`): the extractor looks for either.
pub struct LazyVerifier {
    config: VerifierConfig,
    realm: String,
    verifier: OnceCell<Verifier>,
}

impl LazyVerifier {
    /// Checks the validation settings of `config`; makes no request.
    ///
    /// # Errors
    ///
    /// The [`ConfigError`] [`Validator::new`] would give.
    pub fn new(config: VerifierConfig) -> Result<LazyVerifier, ConfigError> {
        Validator::new(config.validation())?;
        let realm = config.realm();
        Ok(LazyVerifier {
            config,
            realm,
            verifier: OnceCell::new(),
        })
    }

    /// The verifier, built now if it was not yet.
    ///
    /// # Errors
    ///
    /// [`VerifyError::KeysUnavailable`] when discovery fails or a remote
    /// setting is refused.
    pub async fn verifier(&self) -> Result<&Verifier, VerifyError> {
        self.verifier
            .get_or_try_init(|| Verifier::new(self.config.clone()))
            .await
            .map_err(|e| match e {
                SetupError::Remote(e) => VerifyError::KeysUnavailable(e),
                // Checked by `new`: kept apart only for the type's sake.
                SetupError::Config(_) => VerifyError::KeysUnavailable(RemoteError::InvalidConfig(
                    "validation settings refused",
                )),
            })
    }

    /// [`Verifier::verify`], once the verifier is built.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`], and [`verifier`](Self::verifier)'s.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        self.verifier().await?.verify(token).await
    }

    /// The `realm` for `WWW-Authenticate` challenges, known before discovery.
    pub fn realm(&self) -> &str {
        &self.realm
    }
}

impl std::fmt::Debug for LazyVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyVerifier")
            .field("issuer", &self.config.issuer)
            .field("audience", &self.config.audience)
            .field("verifier", &self.verifier.get())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn config(issuer: &str) -> VerifierConfig {
        VerifierConfig {
            issuer: issuer.into(),
            audience: "api".into(),
            ..VerifierConfig::default()
        }
    }

    #[test]
    fn validation_settings_are_checked_at_once() {
        let mut bad = config("https://as.invalid/t/x");
        bad.audience = String::new();
        assert!(matches!(
            LazyVerifier::new(bad),
            Err(ConfigError::EmptyAudience)
        ));
    }

    #[tokio::test]
    async fn an_unreachable_issuer_is_a_503_until_it_answers() {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        let lazy = LazyVerifier::new(config("http://127.0.0.1:9/t/x")).unwrap();
        assert_eq!(lazy.realm(), "api");
        let err = lazy.verify("a.b.c").await.unwrap_err();
        assert!(matches!(err, VerifyError::KeysUnavailable(_)), "{err:?}");
        assert_eq!(err.status_code(), 503);
        assert!(
            lazy.verifier.get().is_none(),
            "a failed discovery is retried"
        );
    }
}
