//! A confidential client's secret: shown in clear once, kept as a digest,
//! rotated with an optional overlap, and checked in constant time.
use std::fmt;

use subtle::{Choice, ConstantTimeEq};

use super::{Client, ClientRuleError, SECRET_OVERLAP_MAX_SECS};

/// A client secret in clear: shown once at creation or rotation, never kept.
pub struct PlainSecret(String);

impl PlainSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainSecret([REDACTED])")
    }
}

/// How long a rotated-out secret keeps working (0 to 7 days; 0 by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecretOverlap(i64);

impl SecretOverlap {
    /// The previous secret stops working at once.
    pub const NONE: SecretOverlap = SecretOverlap(0);

    pub fn parse(secs: i64) -> Result<Self, ClientRuleError> {
        if (0..=SECRET_OVERLAP_MAX_SECS).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(ClientRuleError::Overlap)
        }
    }

    pub fn secs(self) -> i64 {
        self.0
    }
}

/// SHA-256 digests of a confidential client's secrets: the current one and,
/// after a rotation with overlap, the previous one until it expires. A fast
/// hash is right: the secrets carry 256 random bits (`crate::opaque_secret`).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecrets {
    current: String,
    previous: Option<(String, i64)>,
    /// When the current secret replaced another (unix seconds); `None` for
    /// the client's first secret.
    rotated_at: Option<i64>,
}

impl fmt::Debug for ClientSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecrets")
            .field("current", &"[REDACTED]")
            .field("previous_expires_at", &self.previous_expires_at())
            .field("rotated_at", &self.rotated_at)
            .finish()
    }
}

impl ClientSecrets {
    /// A fresh secret: 32 bytes from the OS CSPRNG, base64url.
    pub fn generate() -> Result<(Self, PlainSecret), getrandom::Error> {
        let (plain, digest) = crate::opaque_secret::new_secret()?;
        let secrets = Self {
            current: digest,
            previous: None,
            rotated_at: None,
        };
        Ok((secrets, PlainSecret(plain)))
    }

    /// A new current secret. The one it replaces keeps working until
    /// `now + overlap` (not at all with a zero overlap); any older one stops.
    pub fn rotated(
        &self,
        overlap: SecretOverlap,
        now: i64,
    ) -> Result<(Self, PlainSecret), getrandom::Error> {
        let (mut next, plain) = Self::generate()?;
        next.rotated_at = Some(now);
        if overlap.0 > 0 {
            next.previous = Some((self.current.clone(), now + overlap.0));
        }
        Ok((next, plain))
    }

    pub(crate) fn from_stored(
        current: String,
        previous: Option<(String, i64)>,
        rotated_at: Option<i64>,
    ) -> Self {
        Self {
            current,
            previous,
            rotated_at,
        }
    }

    /// When the current secret replaced another, if it did.
    pub fn rotated_at(&self) -> Option<i64> {
        self.rotated_at
    }

    pub fn current_digest(&self) -> &str {
        &self.current
    }

    pub fn previous_digest(&self) -> Option<&str> {
        self.previous.as_ref().map(|(d, _)| d.as_str())
    }

    /// Unix seconds after which the previous secret fails.
    pub fn previous_expires_at(&self) -> Option<i64> {
        self.previous.as_ref().map(|(_, at)| *at)
    }

    /// Constant time: both digests are always compared.
    fn matches(&self, presented: &str, now: i64) -> bool {
        let digest = crate::opaque_secret::digest(presented);
        let current = digest.as_bytes().ct_eq(self.current.as_bytes());
        let previous = match &self.previous {
            Some((old, expires_at)) => {
                digest.as_bytes().ct_eq(old.as_bytes()) & Choice::from(u8::from(now < *expires_at))
            }
            None => Choice::from(0),
        };
        bool::from(current | previous)
    }
}

/// Whether `presented` is the secret of `client` at `now`: its current secret,
/// or its previous one before that expires. False for public and disabled
/// clients. Constant time in the secret.
pub fn verify_secret(client: &Client, presented: &str, now: i64) -> bool {
    match &client.secrets {
        Some(secrets) if !client.is_disabled() => secrets.matches(presented, now),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::fixtures::{confidential, settings};
    use crate::domain::client::{ClientKind, GrantType};
    use crate::domain::tenant::TenantId;

    #[test]
    fn secrets_are_shown_once_and_only_their_digest_kept() {
        let (client, plain) = {
            let s = settings(
                ClientKind::Confidential,
                &[GrantType::ClientCredentials],
                &[],
            )
            .expect("valid");
            Client::create(TenantId::new(), ClientKind::Confidential, s, 0).expect("csprng")
        };
        let plain = plain.expect("confidential clients get a secret");
        assert_eq!(plain.expose().len(), 43, "32 bytes of base64url");
        let secrets = client.secrets.as_ref().expect("digest kept");
        assert_eq!(
            secrets.current_digest(),
            crate::opaque_secret::digest(plain.expose())
        );
        assert!(!format!("{plain:?}{client:?}").contains(plain.expose()));
        assert!(!format!("{client:?}").contains(secrets.current_digest()));
        assert!(verify_secret(&client, plain.expose(), 0));
        assert!(!verify_secret(&client, "wrong", 0));
        assert!(!verify_secret(&client, "", 0));
        assert!(
            !verify_secret(&client, secrets.current_digest(), 0),
            "the digest is not the secret"
        );
    }

    #[test]
    fn public_and_disabled_clients_never_verify() {
        let s = settings(
            ClientKind::Public,
            &[GrantType::AuthorizationCode],
            &["http://127.0.0.1:8080/cb"],
        )
        .expect("valid");
        let (public, plain) =
            Client::create(TenantId::new(), ClientKind::Public, s, 0).expect("csprng");
        assert!(plain.is_none() && public.secrets.is_none());
        assert!(!verify_secret(&public, "", 0));
        let mut client = confidential();
        let (secrets, plain) = ClientSecrets::generate().expect("csprng");
        client.secrets = Some(secrets);
        assert!(verify_secret(&client, plain.expose(), 0));
        client.disabled_at = Some(0);
        assert!(!verify_secret(&client, plain.expose(), 0));
    }

    #[test]
    fn rotation_keeps_the_previous_secret_only_for_the_overlap() {
        let mut client = confidential();
        let (secrets, old) = ClientSecrets::generate().expect("csprng");
        let (rotated, new) = secrets
            .rotated(SecretOverlap::parse(3600).expect("in range"), 1_000)
            .expect("csprng");
        client.secrets = Some(rotated.clone());
        assert_eq!(rotated.previous_expires_at(), Some(4_600));
        assert!(verify_secret(&client, new.expose(), 1_000));
        assert!(verify_secret(&client, old.expose(), 4_599));
        assert!(!verify_secret(&client, old.expose(), 4_600));
        assert!(verify_secret(&client, new.expose(), 4_600));

        let (again, newest) = rotated
            .rotated(SecretOverlap::default(), 2_000)
            .expect("csprng");
        client.secrets = Some(again);
        assert!(verify_secret(&client, newest.expose(), 2_000));
        assert!(
            !verify_secret(&client, new.expose(), 2_000),
            "zero overlap: the old secret stops at once"
        );
        assert!(
            !verify_secret(&client, old.expose(), 2_000),
            "only one previous secret is kept"
        );
    }

    #[test]
    fn overlap_is_zero_to_seven_days() {
        assert_eq!(SecretOverlap::default().secs(), 0);
        assert!(SecretOverlap::parse(604_800).is_ok());
        assert_eq!(SecretOverlap::parse(604_801), Err(ClientRuleError::Overlap));
        assert_eq!(SecretOverlap::parse(-1), Err(ClientRuleError::Overlap));
    }
}
