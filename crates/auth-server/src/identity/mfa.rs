//! TOTP second factor (RFC 6238): enrolment with a QR code, confirmation
//! with a code and the current password, ten single-use recovery codes, and
//! the login challenge. Every code is accepted once.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use super::sessions::ActiveSession;
use super::{Identity, IdentityError, Requester};
use crate::domain::audit::AuditKind;
use crate::domain::tenant::Tenant;
use crate::domain::user::User;
use crate::i18n::Locale;

pub const RECOVERY_CODES: usize = 10;
/// How long a seed shown at enrolment may be confirmed.
pub const ENROLMENT_TTL_SECS: i64 = 600;
const STEP_SECS: u64 = 30;

/// What the enrolment page shows. No `Debug`: it is the seed.
pub struct Enrolment {
    pub manual_key: String,
    pub otpauth_url: String,
    /// `data:image/svg+xml;base64,…`
    pub qr_data_uri: String,
}

fn owner(user: &User) -> String {
    totp_owner(&user.tenant_id.to_string(), &user.id.to_string())
}

/// What a user's sealed TOTP seed is bound to.
pub(crate) fn totp_owner(tenant: &str, user: &str) -> String {
    format!("totp:{tenant}:{user}")
}

fn totp(seed: Vec<u8>, tenant: &Tenant, user: &User) -> Result<TOTP, IdentityError> {
    // `:` separates issuer and account in otpauth URLs.
    let issuer = tenant.display_name.as_ref().replace(':', " ");
    let account = user.email.address().replace(':', " ");
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        seed,
        Some(issuer),
        account,
    )
    .map_err(|e| IdentityError::Internal(format!("totp: {e}")))
}

/// The time step whose code matches `code` (now, or one step either side).
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    [now.saturating_sub(STEP_SECS), now, now + STEP_SECS]
        .into_iter()
        .find(|t| bool::from(totp.generate(*t).as_bytes().ct_eq(code.as_bytes())))
        .and_then(|t| i64::try_from(t / STEP_SECS).ok())
}

/// Recovery codes are 120 random bits, base32 in groups of four.
fn new_recovery_code() -> Result<String, IdentityError> {
    let bytes = service_kit::secret::random_bytes(15)
        .map_err(|e| IdentityError::Internal(e.to_string()))?;
    let text = Secret::Raw(bytes).to_encoded().to_string();
    let chars: Vec<char> = text.chars().collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Case, spaces and dashes do not matter when a code is typed back.
fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

impl Identity {
    /// Now, in the unsigned seconds TOTP steps are counted in.
    fn totp_time(&self) -> u64 {
        u64::try_from(self.now()).unwrap_or(0)
    }

    /// Starts an enrolment attempt: after the current password, a new seed
    /// good for [`ENROLMENT_TTL_SECS`]. Each attempt gets its own seed, so
    /// a seed once shown is worthless after its ten minutes; and a stolen
    /// session alone never reveals one.
    pub async fn begin_enrolment(
        &self,
        tenant: &Tenant,
        session: &ActiveSession,
        password: &str,
        requester: &Requester,
        locale: Locale,
    ) -> Result<Enrolment, IdentityError> {
        let user = &session.user;
        if user.mfa_enabled() {
            return Err(IdentityError::Field("err_mfa_already_on"));
        }
        self.recheck_password(
            tenant,
            user,
            AuditKind::MfaEnrolled,
            password,
            requester,
            locale,
        )
        .await?;
        let seed = service_kit::secret::random_bytes(20)
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let sealed = self.services.keys.seal(&seed, &owner(user))?;
        let now = self.now();
        self.users
            .set_pending_totp(tenant.id, user.id, &sealed, now + ENROLMENT_TTL_SECS, now)
            .await?;
        let totp = totp(seed, tenant, user)?;
        let url = totp.get_url();
        let svg = qrcode::QrCode::new(url.as_bytes())
            .map_err(|e| IdentityError::Internal(format!("qr: {e}")))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build();
        Ok(Enrolment {
            manual_key: totp.get_secret_base32(),
            otpauth_url: url,
            qr_data_uri: format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)),
        })
    }

    /// Turns MFA on once the user proves a code of the seed shown by
    /// [`Self::begin_enrolment`] before it expired; returns the recovery
    /// codes, shown once. Wrong codes count like wrong codes at login.
    pub async fn confirm_enrolment(
        &self,
        tenant: &Tenant,
        session: &ActiveSession,
        code: &str,
        requester: &Requester,
    ) -> Result<Vec<String>, IdentityError> {
        // Re-read: the pending seed was written after the session was loaded.
        let user = self.users.get(tenant.id, session.user.id).await?;
        if user.mfa_enabled() {
            return Err(IdentityError::Field("err_mfa_already_on"));
        }
        let sealed = user
            .pending_totp(self.now())
            .ok_or(IdentityError::Field("err_enrolment_expired"))?;
        let key = format!("mfa:{}", user.id);
        self.reserve(tenant.id, &key, &self.account_lockout_for(tenant))
            .await?;
        let seed = self.services.keys.open(sealed, &owner(&user))?;
        let accepted = match matching_step(&totp(seed, tenant, &user)?, code, self.totp_time()) {
            Some(step) => self.users.use_totp_step(tenant.id, user.id, step).await?,
            None => false,
        };
        if !accepted {
            self.record(
                tenant,
                Some(user.id),
                AuditKind::MfaEnrolled,
                "failure",
                requester,
                "wrong code",
            )
            .await?;
            return Err(IdentityError::InvalidCode);
        }
        self.failures.clear(tenant.id, &key).await?;
        // The seed checked, not whatever is pending by now: a second
        // enrolment or a reset in between leaves MFA off.
        if !self
            .users
            .enable_mfa(tenant.id, user.id, sealed, self.now())
            .await?
        {
            return Err(IdentityError::Field("err_enrolment_expired"));
        }
        let codes = self.regenerate_recovery_codes(tenant, &user).await?;
        self.record(
            tenant,
            Some(user.id),
            AuditKind::MfaEnrolled,
            "success",
            requester,
            "totp",
        )
        .await?;
        Ok(codes)
    }

    async fn regenerate_recovery_codes(
        &self,
        tenant: &Tenant,
        user: &User,
    ) -> Result<Vec<String>, IdentityError> {
        let codes = (0..RECOVERY_CODES)
            .map(|_| new_recovery_code())
            .collect::<Result<Vec<_>, _>>()?;
        let digests: Vec<String> = codes
            .iter()
            .map(|c| crate::opaque_secret::digest(&normalize_recovery_code(c)))
            .collect();
        self.recovery
            .replace_all(tenant.id, user.id, &digests, self.now())
            .await?;
        Ok(codes)
    }

    /// The login's second step: a TOTP code or a recovery code. Failures
    /// count against the account like wrong passwords do.
    pub async fn challenge(
        &self,
        tenant: &Tenant,
        session: &ActiveSession,
        code: &str,
        requester: &Requester,
    ) -> Result<String, IdentityError> {
        let user = &session.user;
        let key = format!("mfa:{}", user.id);
        self.reserve(tenant.id, &key, &self.account_lockout_for(tenant))
            .await?;
        let method = self.check_second_factor(tenant, user, code).await?;
        let Some(method) = method else {
            self.record(
                tenant,
                Some(user.id),
                AuditKind::MfaChallenge,
                "failure",
                requester,
                "",
            )
            .await?;
            return Err(IdentityError::InvalidCode);
        };
        let secret = self
            .finish_second_step(tenant, session, &key, method, requester)
            .await?;
        if method == "rec" {
            self.record(
                tenant,
                Some(user.id),
                AuditKind::RecoveryCodeUsed,
                "success",
                requester,
                "",
            )
            .await?;
        }
        Ok(secret)
    }

    async fn check_second_factor(
        &self,
        tenant: &Tenant,
        user: &User,
        code: &str,
    ) -> Result<Option<&'static str>, IdentityError> {
        let (Some(sealed), true) = (user.totp_secret.as_deref(), user.mfa_enabled()) else {
            return Ok(None);
        };
        let seed = self.services.keys.open(sealed, &owner(user))?;
        if let Some(step) = matching_step(&totp(seed, tenant, user)?, code, self.totp_time()) {
            return Ok(self
                .users
                .use_totp_step(tenant.id, user.id, step)
                .await?
                .then_some("otp"));
        }
        let normalized = normalize_recovery_code(code);
        if normalized.len() == 24 {
            let used = self
                .recovery
                .consume(
                    tenant.id,
                    user.id,
                    &crate::opaque_secret::digest(&normalized),
                    self.now(),
                )
                .await?;
            return Ok(used.then_some("rec"));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_120_bits_in_groups() {
        let code = new_recovery_code().expect("code");
        assert_eq!(code.len(), 24 + 5);
        assert_eq!(code.split('-').count(), 6);
        assert_eq!(
            normalize_recovery_code(&code.to_lowercase().replace('-', " ")),
            code.replace('-', "")
        );
        assert_ne!(code, new_recovery_code().expect("code"));
    }

    #[test]
    fn only_six_digit_codes_of_nearby_steps_match() {
        let totp =
            TOTP::new(Algorithm::SHA1, 6, 1, 30, vec![7u8; 20], None, "a".into()).expect("totp");
        let now = 1_800_000_000u64;
        let code = totp.generate(now);
        assert_eq!(matching_step(&totp, &code, now), Some((now / 30) as i64));
        assert_eq!(
            matching_step(&totp, &totp.generate(now - 30), now),
            Some((now / 30 - 1) as i64)
        );
        assert_eq!(matching_step(&totp, &totp.generate(now - 90), now), None);
        assert_eq!(matching_step(&totp, "12345", now), None);
        assert_eq!(matching_step(&totp, "abcdef", now), None);
    }
}
