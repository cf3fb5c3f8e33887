//! The ways an account signs in (its password, its passkeys, its linked
//! provider accounts) and when one of them may be removed: never the last,
//! and the password only for an account that has a passkey.

/// One way in, to be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WayIn<'a> {
    Password,
    /// A passkey, by its credential id.
    Passkey(&'a str),
    /// A linked provider account, by the provider's id.
    Upstream(&'a str),
}

/// What an account has, counted where the removal is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaysIn {
    pub password: bool,
    pub passkeys: i64,
    pub upstream: i64,
}

/// Why a way in stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptWay {
    /// The account has no such password, passkey or link.
    NotThere,
    /// It is the account's last way in.
    Last,
    /// The password goes only for an account that has a passkey ("forgot
    /// password" sets one again).
    NoPasskey,
}

impl WaysIn {
    /// Whether `way` may go, given that it is there (the caller checked
    /// that `way` names one of the account's own).
    pub fn may_remove(&self, way: WayIn<'_>) -> Result<(), KeptWay> {
        let total = i64::from(self.password) + self.passkeys + self.upstream;
        match way {
            WayIn::Password if !self.password => Err(KeptWay::NotThere),
            WayIn::Password if self.passkeys == 0 => Err(KeptWay::NoPasskey),
            WayIn::Passkey(_) if self.passkeys == 0 => Err(KeptWay::NotThere),
            WayIn::Upstream(_) if self.upstream == 0 => Err(KeptWay::NotThere),
            _ if total <= 1 => Err(KeptWay::Last),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ways(password: bool, passkeys: i64, upstream: i64) -> WaysIn {
        WaysIn {
            password,
            passkeys,
            upstream,
        }
    }

    #[test]
    fn the_last_way_in_stays() {
        let key = WayIn::Passkey("k");
        let link = WayIn::Upstream("p");
        assert_eq!(ways(false, 1, 0).may_remove(key), Err(KeptWay::Last));
        assert_eq!(ways(false, 0, 1).may_remove(link), Err(KeptWay::Last));
        assert_eq!(ways(true, 1, 0).may_remove(key), Ok(()));
        assert_eq!(ways(false, 2, 0).may_remove(key), Ok(()));
        assert_eq!(ways(false, 1, 1).may_remove(key), Ok(()));
        assert_eq!(ways(false, 1, 1).may_remove(link), Ok(()));
        assert_eq!(ways(true, 0, 1).may_remove(link), Ok(()));
    }

    #[test]
    fn the_password_goes_only_with_a_passkey_left() {
        assert_eq!(
            ways(true, 0, 1).may_remove(WayIn::Password),
            Err(KeptWay::NoPasskey),
            "a provider account alone is not enough"
        );
        assert_eq!(ways(true, 1, 0).may_remove(WayIn::Password), Ok(()));
        assert_eq!(
            ways(false, 1, 0).may_remove(WayIn::Password),
            Err(KeptWay::NotThere)
        );
    }

    #[test]
    fn a_way_the_account_lacks_is_not_there() {
        assert_eq!(
            ways(true, 0, 0).may_remove(WayIn::Passkey("k")),
            Err(KeptWay::NotThere)
        );
        assert_eq!(
            ways(true, 0, 0).may_remove(WayIn::Upstream("p")),
            Err(KeptWay::NotThere)
        );
    }
}
