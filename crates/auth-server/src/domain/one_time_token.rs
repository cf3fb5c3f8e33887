//! Single-use links mailed to a user: what each is for, and why one does
//! not work.
use crate::domain::user::UserId;

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

/// A link as stored: whose it is, until when it works, whether it was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredLink {
    pub user: UserId,
    pub expires_at: i64,
    pub used: bool,
}

impl StoredLink {
    /// The user of the link `found`, when it works at `now`: not used and
    /// not yet expired (it expires at `expires_at` itself).
    pub fn user_at(found: Option<Self>, now: i64) -> Result<UserId, LinkProblem> {
        match found {
            None => Err(LinkProblem::Unknown),
            Some(link) if link.used => Err(LinkProblem::Used),
            Some(link) if now >= link.expires_at => Err(LinkProblem::Expired),
            Some(link) => Ok(link.user),
        }
    }

    /// Why the link `found` could not be used at `now`: what
    /// [`Self::user_at`] says, or `Used` when it would still work (another
    /// request used it first).
    pub fn refusal_at(found: Option<Self>, now: i64) -> LinkProblem {
        Self::user_at(found, now).err().unwrap_or(LinkProblem::Used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(expires_at: i64, used: bool) -> Option<StoredLink> {
        Some(StoredLink {
            user: UserId::new(),
            expires_at,
            used,
        })
    }

    #[test]
    fn a_link_works_once_until_it_expires() {
        let live = link(100, false);
        assert_eq!(StoredLink::user_at(live, 99), Ok(live.expect("link").user));
        assert_eq!(StoredLink::user_at(live, 100), Err(LinkProblem::Expired));
        assert_eq!(
            StoredLink::user_at(link(100, true), 50),
            Err(LinkProblem::Used)
        );
        assert_eq!(StoredLink::user_at(None, 50), Err(LinkProblem::Unknown));
    }

    #[test]
    fn a_link_that_still_works_but_could_not_be_used_was_used_by_another() {
        assert_eq!(
            StoredLink::refusal_at(link(100, false), 50),
            LinkProblem::Used
        );
        assert_eq!(
            StoredLink::refusal_at(link(100, false), 100),
            LinkProblem::Expired
        );
        assert_eq!(StoredLink::refusal_at(None, 50), LinkProblem::Unknown);
    }
}
