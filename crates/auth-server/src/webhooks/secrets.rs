//! Endpoints' signing secrets: made at random, shown once, sealed at rest
//! with the master key (they must be read back to sign), bound to their
//! endpoint so a sealed secret copied to another row does not open.
use std::sync::Arc;

use service_kit::secret::Secret;

use crate::domain::webhook::endpoint::SECRET_PREFIX;
use crate::keys::sealed::{MasterKeys, SealError};

#[derive(Clone)]
pub struct WebhookSecrets {
    master: Arc<MasterKeys>,
}

impl WebhookSecrets {
    pub fn new(master: Arc<MasterKeys>) -> Self {
        Self { master }
    }

    /// A new secret for `endpoint`: the secret and its sealed form.
    pub fn generate(&self, endpoint: &str) -> Result<(Secret, String), SealError> {
        let raw = service_kit::secret::generate().map_err(|_| SealError::Random)?;
        let secret = Secret::new(format!("{SECRET_PREFIX}{raw}"));
        let sealed = self
            .master
            .seal(secret.expose().as_bytes(), &owner(endpoint))?;
        Ok((secret, sealed))
    }

    pub fn open(&self, endpoint: &str, sealed: &str) -> Result<Secret, SealError> {
        let bytes = self.master.open(sealed, &owner(endpoint))?;
        String::from_utf8(bytes)
            .map(Secret::new)
            .map_err(|_| SealError::Malformed)
    }
}

/// What an endpoint's sealed secrets are bound to.
pub(crate) fn owner(endpoint: &str) -> String {
    format!("webhook:{endpoint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> WebhookSecrets {
        let ring = [(
            "k1".to_owned(),
            Secret::new(service_kit::secret::generate().expect("csprng")),
        )];
        WebhookSecrets::new(Arc::new(MasterKeys::new(&ring).expect("ring")))
    }

    #[test]
    fn a_secret_opens_for_its_endpoint_only() {
        let s = secrets();
        let (secret, sealed) = s.generate("whk_a").expect("generate");
        assert!(secret.expose().starts_with(SECRET_PREFIX));
        assert!(!sealed.contains(secret.expose()));
        assert_eq!(
            s.open("whk_a", &sealed).expect("open").expose(),
            secret.expose()
        );
        assert!(s.open("whk_b", &sealed).is_err());
        let (other, _) = s.generate("whk_a").expect("generate");
        assert_ne!(other.expose(), secret.expose());
    }
}
