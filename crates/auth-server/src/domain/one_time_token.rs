//! Single-use links mailed to a user: what each is for, and why one does
//! not work.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    Unlock,
    /// A login's second step for an account under attack: only its code
    /// is mailed (`identity::step_up`).
    StepUp,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::Unlock => "unlock",
            Purpose::StepUp => "step_up",
        }
    }
}

/// Why a link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("this link is not valid")]
    Unknown,
    #[error("this link has expired")]
    Expired,
    #[error("this link was already used")]
    Used,
}
