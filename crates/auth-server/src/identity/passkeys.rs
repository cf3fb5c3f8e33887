//! Passkeys (WebAuthn, with webauthn-rs): a signed-in user registers them,
//! anyone signs in with one (discoverable credentials: no email typed, no
//! password), and their owner lists, renames and deletes them.
//!
//! The relying party is the auth server's host, shared by every tenant; the
//! user handle is the user's id. A credential is looked up by (tenant,
//! credential id) and must belong to the user its handle names, so a
//! passkey of one tenant never opens a session in another.
//!
//! Each ceremony's challenge and state are kept in the database between its
//! two halves and taken (deleted) by the answer: a challenge is answered at
//! most once, within [`CEREMONY_SECS`]. webauthn-rs checks the origin, the
//! relying-party id hash, user verification (required), the signature, and
//! the signature counter: a counter that did not grow is refused as a
//! cloned authenticator (`CredentialPossibleCompromise`), recorded as such.
use std::sync::Arc;

use url::Url;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Credential, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Webauthn, WebauthnBuilder, WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::login::LoggedIn;
use super::{Identity, IdentityError, Requester};
use crate::domain::audit::AuditKind;
use crate::domain::passkey::{self, CeremonyPurpose, PasskeyName, CEREMONY_SECS, MAX_PER_USER};
use crate::domain::tenant::Tenant;
use crate::domain::user::{User, UserId};
use crate::domain::ways_in::{KeptWay, WayIn};
use crate::store::passkeys::{NewCeremony, NewPasskey, PasskeyRecord, PasskeyUse};
use crate::store::StoreError;

/// The server's WebAuthn relying party, when its public URL allows one:
/// browsers accept a domain name as the relying-party id, never an IP
/// address, and only over https (or on `localhost`).
pub fn relying_party(public_url: &Url) -> Option<Arc<Webauthn>> {
    let host = public_url.domain()?;
    let secure =
        public_url.scheme() == "https" || host == "localhost" || host.ends_with(".localhost");
    if !secure {
        return None;
    }
    WebauthnBuilder::new(host, public_url)
        .ok()?
        .rp_name("ConnectAuth")
        .build()
        .ok()
        .map(Arc::new)
}

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("passkeys need the server to be reached by a domain name over https")]
    Unavailable,
    #[error("the passkey request is unknown, used or expired: start again")]
    NoCeremony,
    #[error("the passkey answer is malformed")]
    Malformed,
    #[error("the passkey was not accepted")]
    Rejected,
    /// The authenticator's counter did not grow: it may have been cloned.
    #[error("the passkey was refused: its authenticator may have been copied")]
    PossibleClone,
    #[error("this passkey is already registered")]
    AlreadyRegistered,
    #[error("at most {MAX_PER_USER} passkeys per account")]
    TooMany,
    #[error(transparent)]
    Name(#[from] passkey::PasskeyNameError),
    #[error("no such passkey")]
    NotFound,
    #[error("the passkey is the last way to sign in to the account")]
    LastWayIn,
    /// Removing the password needs a passkey to sign in with instead.
    #[error("add a passkey before removing the password")]
    NoPasskey,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<KeptWay> for PasskeyError {
    fn from(kept: KeptWay) -> Self {
        match kept {
            KeptWay::NotThere => PasskeyError::NotFound,
            KeptWay::Last => PasskeyError::LastWayIn,
            KeptWay::NoPasskey => PasskeyError::NoPasskey,
        }
    }
}

impl From<StoreError> for PasskeyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::PasskeyNotFound => PasskeyError::NotFound,
            StoreError::PasskeyTaken => PasskeyError::AlreadyRegistered,
            other => PasskeyError::Identity(other.into()),
        }
    }
}

/// A started ceremony: its id (sent back with the answer) and the options
/// for `navigator.credentials.create()` or `.get()`.
#[derive(Debug, serde::Serialize)]
pub struct Started<T> {
    pub ceremony: String,
    pub options: T,
}

/// A passkey as its owner sees it.
#[derive(Debug, Clone)]
pub struct PasskeyView {
    pub id: String,
    pub name: String,
    /// Synced passkey (may be on several devices) or device-bound.
    pub synced: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// What signing in with it proves (`passkey::amr`).
    pub amr: &'static str,
}

impl From<&PasskeyRecord> for PasskeyView {
    fn from(r: &PasskeyRecord) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            amr: passkey::amr(r.backup_eligible),
            synced: r.backup_eligible,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value)
        .map_err(|e| PasskeyError::Identity(IdentityError::Internal(e.to_string())))
}

fn from_state<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(text).map_err(|e| {
        PasskeyError::Identity(IdentityError::Internal(format!(
            "stored passkey data unreadable: {e}"
        )))
    })
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Identity {
    fn relying_party(&self) -> Result<&Webauthn, PasskeyError> {
        self.webauthn.as_deref().ok_or(PasskeyError::Unavailable)
    }

    /// Whether this server can offer passkeys at all (see [`relying_party`]).
    pub fn passkeys_available(&self) -> bool {
        self.webauthn.is_some()
    }

    pub async fn passkeys_of(
        &self,
        tenant: &Tenant,
        user: UserId,
    ) -> Result<Vec<PasskeyView>, PasskeyError> {
        let list = self.passkeys.list(tenant.id, user).await?;
        Ok(list.iter().map(PasskeyView::from).collect())
    }

    /// Starts registering a passkey for the signed-in `user`. The
    /// authenticator is asked for a discoverable credential with user
    /// verification, and not to make a second one where the user already
    /// has one.
    pub async fn passkey_registration_start(
        &self,
        tenant: &Tenant,
        user: &User,
    ) -> Result<Started<CreationChallengeResponse>, PasskeyError> {
        let rp = self.relying_party()?;
        let existing = self.passkeys.list(tenant.id, user.id).await?;
        if existing.len() >= MAX_PER_USER {
            return Err(PasskeyError::TooMany);
        }
        let mut exclude = Vec::with_capacity(existing.len());
        for record in &existing {
            let key: Passkey = from_state(&record.credential)?;
            exclude.push(key.cred_id().clone());
        }
        // The name shows in the browser's passkey picker, which lists the
        // passkeys of every tenant on this server: say which tenant.
        let label = format!(
            "{} ({})",
            user.email.address(),
            tenant.display_name.as_ref()
        );
        let (mut options, state) = rp
            .start_passkey_registration(
                user.id.as_uuid(),
                &label,
                user.display_name.as_ref(),
                Some(exclude),
            )
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        // Sign-in names no user first (no email typed): the credential
        // must be discoverable. webauthn-rs asks for none by default.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let ceremony = self
            .start_ceremony(tenant, Some(user.id), CeremonyPurpose::Register, &state)
            .await?;
        Ok(Started { ceremony, options })
    }

    /// Finishes a registration started by [`Self::passkey_registration_start`]
    /// for the same user, and stores the passkey.
    pub async fn passkey_registration_finish(
        &self,
        tenant: &Tenant,
        user: UserId,
        ceremony: &str,
        answer: &str,
        name: &str,
        requester: &Requester,
    ) -> Result<PasskeyView, PasskeyError> {
        let rp = self.relying_party()?;
        let name = name.trim();
        let existing = self.passkeys.list(tenant.id, user).await?;
        let name = if name.is_empty() {
            PasskeyName::default_for(existing.len())
        } else {
            PasskeyName::parse(name)?
        };
        let taken = self
            .passkeys
            .take_ceremony(ceremony, tenant.id, CeremonyPurpose::Register, self.now())
            .await?
            .filter(|c| c.user_id == Some(user))
            .ok_or(PasskeyError::NoCeremony)?;
        if existing.len() >= MAX_PER_USER {
            return Err(PasskeyError::TooMany);
        }
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| PasskeyError::Malformed)?;
        let state: PasskeyRegistration = from_state(&taken.state)?;
        let key = match rp.finish_passkey_registration(&answer, &state) {
            Ok(key) => key,
            Err(e) => {
                tracing::info!(error = %e, "passkey registration refused");
                self.record(
                    tenant,
                    Some(user),
                    AuditKind::PasskeyAdded,
                    "failure",
                    requester,
                    "rejected",
                )
                .await?;
                return Err(PasskeyError::Rejected);
            }
        };
        let credential = Credential::from(key.clone());
        let id = new_id();
        let now = self.now();
        self.passkeys
            .create(NewPasskey {
                id: &id,
                tenant: tenant.id,
                user,
                credential_id: &base64urlsafe(key.cred_id().as_ref()),
                name: &name,
                credential: &to_json(&key)?,
                sign_count: i64::from(credential.counter),
                backup_eligible: credential.backup_eligible,
                backup_state: credential.backup_state,
                now,
            })
            .await?;
        self.record(
            tenant,
            Some(user),
            AuditKind::PasskeyAdded,
            "success",
            requester,
            name.as_ref(),
        )
        .await?;
        Ok(PasskeyView {
            id,
            name: name.to_string(),
            synced: credential.backup_eligible,
            created_at: now,
            last_used_at: None,
            amr: passkey::amr(credential.backup_eligible),
        })
    }

    /// Starts a sign-in with a discoverable passkey: the browser offers the
    /// passkeys it has for this server, in the email field (conditional
    /// mediation) or in a dialog.
    pub async fn passkey_sign_in_start(
        &self,
        tenant: &Tenant,
    ) -> Result<Started<RequestChallengeResponse>, PasskeyError> {
        let rp = self.relying_party()?;
        let (options, state) = rp
            .start_discoverable_authentication()
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let ceremony = self
            .start_ceremony(tenant, None, CeremonyPurpose::SignIn, &state)
            .await?;
        Ok(Started { ceremony, options })
    }

    /// Finishes a passkey sign-in and opens a session: a user-verified
    /// passkey is two factors, so no second step follows, whatever the
    /// tenant requires.
    pub async fn passkey_sign_in_finish(
        &self,
        tenant: &Tenant,
        ceremony: &str,
        answer: &str,
        requester: &Requester,
        previous_session: Option<&str>,
    ) -> Result<LoggedIn, PasskeyError> {
        let rp = self.relying_party()?;
        let taken = self
            .passkeys
            .take_ceremony(ceremony, tenant.id, CeremonyPurpose::SignIn, self.now())
            .await?
            .ok_or(PasskeyError::NoCeremony)?;
        let answer: PublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| PasskeyError::Malformed)?;
        let (handle, credential_id) = rp
            .identify_discoverable_authentication(&answer)
            .map_err(|_| PasskeyError::Malformed)?;
        let credential_id = base64urlsafe(credential_id);
        let refuse = |detail: &'static str, user: Option<UserId>| async move {
            self.record(tenant, user, AuditKind::Login, "failure", requester, detail)
                .await?;
            Ok::<_, PasskeyError>(PasskeyError::Rejected)
        };
        // Unknown here, or registered to another user than the handle says.
        let Some(record) = self
            .passkeys
            .by_credential(tenant.id, &credential_id)
            .await?
            .filter(|r| r.user_id.as_uuid() == handle)
        else {
            return Err(refuse("passkey_unknown", None).await?);
        };
        let user = self.users.get(tenant.id, record.user_id).await?;
        if user.is_disabled() {
            return Err(refuse("disabled", Some(user.id)).await?);
        }
        let mut key: Passkey = from_state(&record.credential)?;
        let state: DiscoverableAuthentication = from_state(&taken.state)?;
        let result = match rp.finish_discoverable_authentication(
            &answer,
            state,
            &[DiscoverableKey::from(&key)],
        ) {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                return Err(self.possible_clone(tenant, user.id, requester).await?);
            }
            Err(e) => {
                tracing::info!(error = %e, "passkey sign-in refused");
                return Err(refuse("passkey_rejected", Some(user.id)).await?);
            }
        };
        key.update_credential(&result);
        let recorded = self
            .passkeys
            .record_use(
                tenant.id,
                &record.id,
                PasskeyUse {
                    credential: &to_json(&key)?,
                    sign_count: i64::from(result.counter()),
                    backup_state: result.backup_state(),
                    now: self.now(),
                },
            )
            .await?;
        if !recorded {
            // Another sign-in with this passkey reached the counter first.
            return Err(self.possible_clone(tenant, user.id, requester).await?);
        }
        let amr = passkey::amr(result.backup_eligible());
        Ok(self
            .sign_in(tenant, &user, amr, "passkey", requester, previous_session)
            .await?)
    }

    /// A passkey sign-in whose counter did not move forward: two
    /// authenticators may hold the key. Logged and audited; the refusal.
    async fn possible_clone(
        &self,
        tenant: &Tenant,
        user: UserId,
        requester: &Requester,
    ) -> Result<PasskeyError, IdentityError> {
        tracing::warn!(tenant = %tenant.slug, "passkey counter went back: possible clone");
        self.record_login_refused(tenant, user, requester, "passkey_counter_regression")
            .await?;
        Ok(PasskeyError::PossibleClone)
    }

    pub async fn passkey_rename(
        &self,
        tenant: &Tenant,
        user: UserId,
        id: &str,
        name: &str,
        requester: &Requester,
    ) -> Result<(), PasskeyError> {
        let name = PasskeyName::parse(name)?;
        self.passkeys.rename(tenant.id, user, id, &name).await?;
        self.record(
            tenant,
            Some(user),
            AuditKind::PasskeyRenamed,
            "success",
            requester,
            name.as_ref(),
        )
        .await?;
        Ok(())
    }

    /// Deletes one of the user's passkeys, unless it is their last way in
    /// (no password, no other passkey, no linked upstream account): decided
    /// where it is done (`store::ways_in`), so a password removed at the
    /// same moment cannot leave the account with neither.
    pub async fn passkey_delete(
        &self,
        tenant: &Tenant,
        user: &User,
        id: &str,
        requester: &Requester,
    ) -> Result<(), PasskeyError> {
        let keys = self.passkeys.list(tenant.id, user.id).await?;
        let Some(doomed) = keys.iter().find(|k| k.id == id) else {
            return Err(PasskeyError::NotFound);
        };
        self.ways_in
            .remove(tenant.id, user.id, WayIn::Passkey(id), self.now())
            .await??;
        self.record(
            tenant,
            Some(user.id),
            AuditKind::PasskeyRemoved,
            "success",
            requester,
            &doomed.name,
        )
        .await?;
        Ok(())
    }

    /// Removes the account's password, once the current one is proved
    /// (counted on the account lockout like a login), when the account has
    /// a passkey to sign in with: passkeys only from then on ("forgot
    /// password" sets one again).
    pub async fn remove_password(
        &self,
        tenant: &Tenant,
        user: &User,
        password: &str,
        requester: &Requester,
        locale: crate::i18n::Locale,
    ) -> Result<(), PasskeyError> {
        if self.passkeys.list(tenant.id, user.id).await?.is_empty() {
            return Err(PasskeyError::NoPasskey);
        }
        self.recheck_password(
            tenant,
            user,
            AuditKind::PasswordRemoved,
            password,
            requester,
            locale,
        )
        .await?;
        self.ways_in
            .remove(tenant.id, user.id, WayIn::Password, self.now())
            .await??;
        self.record(
            tenant,
            Some(user.id),
            AuditKind::PasswordRemoved,
            "success",
            requester,
            "",
        )
        .await?;
        Ok(())
    }

    async fn start_ceremony<S: serde::Serialize>(
        &self,
        tenant: &Tenant,
        user: Option<UserId>,
        purpose: CeremonyPurpose,
        state: &S,
    ) -> Result<String, PasskeyError> {
        let id = new_id();
        let now = self.now();
        self.passkeys
            .start_ceremony(NewCeremony {
                id: &id,
                tenant: tenant.id,
                user,
                purpose,
                state: &to_json(state)?,
                expires_at: now + CEREMONY_SECS,
                now,
            })
            .await?;
        Ok(id)
    }
}

/// A credential id as stored: base64url without padding, as WebAuthn and
/// webauthn-rs write it.
fn base64urlsafe(bytes: &[u8]) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkeys_need_a_domain_over_https_or_localhost() {
        let rp = |u: &str| relying_party(&Url::parse(u).unwrap()).is_some();
        assert!(rp("https://auth.example.com"));
        assert!(rp("http://localhost:8080"));
        assert!(rp("http://auth.localhost:8080"));
        assert!(!rp("http://127.0.0.1:8080"));
        assert!(!rp("https://127.0.0.1"));
        assert!(!rp("http://auth.example.com"));
    }
}
