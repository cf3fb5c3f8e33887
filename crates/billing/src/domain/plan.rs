//! The plan catalogue, as data. Prices are in cents; `mau_limit` is `None`
//! for Enterprise, whose limit is agreed per contract.
use serde::Serialize;
use utoipa::ToSchema;

/// A plan of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlanId {
    Free,
    Starter,
    Pro,
    Enterprise,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown plan (free, starter, pro or enterprise)")]
pub struct UnknownPlan;

impl PlanId {
    pub const ALL: [PlanId; 4] = [Self::Free, Self::Starter, Self::Pro, Self::Enterprise];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Starter => "starter",
            Self::Pro => "pro",
            Self::Enterprise => "enterprise",
        }
    }

    pub fn parse(text: &str) -> Result<Self, UnknownPlan> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == text.trim().to_ascii_lowercase())
            .ok_or(UnknownPlan)
    }

    pub fn plan(self) -> &'static Plan {
        CATALOGUE
            .iter()
            .find(|p| p.id == self)
            .unwrap_or(&CATALOGUE[0])
    }
}

impl std::fmt::Display for PlanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plan of the catalogue.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct Plan {
    pub id: PlanId,
    #[schema(example = "Pro")]
    pub name: &'static str,
    /// Monthly price in the smallest unit of `currency`; `None` (`null`): on quote.
    pub price_cents: Option<u32>,
    /// ISO 4217 code, lowercase.
    #[schema(example = "eur")]
    pub currency: &'static str,
    /// Monthly active users included; `None` (`null`): set per contract.
    pub mau_limit: Option<u64>,
    /// Feature names, e.g. `hosted_login`, `oidc`, `mfa_totp`, `custom_branding`.
    pub features: &'static [&'static str],
    /// Whether a tenant can buy it through Stripe Checkout.
    pub self_serve: bool,
    /// Stripe product id and price lookup key of a self-serve paid plan.
    pub stripe_product: Option<&'static str>,
    /// The lookup key of the plan's Stripe price.
    pub stripe_lookup_key: Option<&'static str>,
}

/// Every feature, in the order plans gain them: each plan has the first
/// few, so a larger plan has all of a smaller one's.
const FEATURES: &[&str] = &[
    "hosted_login",
    "oidc",
    "mfa_totp",
    "custom_branding",
    "security_monitor",
    "audit_export",
    "sla",
];

/// The first `count` of [`FEATURES`].
const fn first_features(count: usize) -> &'static [&'static str] {
    FEATURES.split_at(count).0
}

/// Ordered from smallest to largest.
pub static CATALOGUE: [Plan; 4] = [
    Plan {
        id: PlanId::Free,
        name: "Free",
        price_cents: Some(0),
        currency: "eur",
        mau_limit: Some(1_000),
        features: first_features(3),
        self_serve: false,
        stripe_product: None,
        stripe_lookup_key: None,
    },
    Plan {
        id: PlanId::Starter,
        name: "Starter",
        price_cents: Some(900),
        currency: "eur",
        mau_limit: Some(5_000),
        features: first_features(4),
        self_serve: true,
        stripe_product: Some("connectauth_starter"),
        stripe_lookup_key: Some("connectauth_starter_monthly_eur"),
    },
    Plan {
        id: PlanId::Pro,
        name: "Pro",
        price_cents: Some(2_900),
        currency: "eur",
        mau_limit: Some(20_000),
        features: first_features(6),
        self_serve: true,
        stripe_product: Some("connectauth_pro"),
        stripe_lookup_key: Some("connectauth_pro_monthly_eur"),
    },
    Plan {
        id: PlanId::Enterprise,
        name: "Enterprise",
        price_cents: None,
        currency: "eur",
        mau_limit: None,
        features: first_features(7),
        self_serve: false,
        stripe_product: None,
        stripe_lookup_key: None,
    },
];

/// The smallest self-serve plan whose limit covers `mau` (Enterprise when
/// none does).
pub fn plan_that_fits(mau: u64) -> PlanId {
    CATALOGUE
        .iter()
        .filter(|p| p.id == PlanId::Free || p.self_serve)
        .find(|p| p.mau_limit.is_some_and(|limit| mau <= limit))
        .map_or(PlanId::Enterprise, |p| p.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_matches_the_published_plans() {
        let free = PlanId::Free.plan();
        assert_eq!((free.price_cents, free.mau_limit), (Some(0), Some(1_000)));
        let starter = PlanId::Starter.plan();
        assert_eq!(
            (starter.price_cents, starter.mau_limit),
            (Some(900), Some(5_000))
        );
        let pro = PlanId::Pro.plan();
        assert_eq!(
            (pro.price_cents, pro.mau_limit),
            (Some(2_900), Some(20_000))
        );
        let enterprise = PlanId::Enterprise.plan();
        assert_eq!((enterprise.price_cents, enterprise.mau_limit), (None, None));
        assert!(CATALOGUE.iter().all(|p| p.currency == "eur"));
    }

    #[test]
    fn each_plan_has_the_features_of_the_smaller_ones() {
        assert_eq!(
            PlanId::Free.plan().features,
            ["hosted_login", "oidc", "mfa_totp"]
        );
        assert_eq!(
            PlanId::Pro.plan().features,
            [
                "hosted_login",
                "oidc",
                "mfa_totp",
                "custom_branding",
                "security_monitor",
                "audit_export"
            ]
        );
        for pair in CATALOGUE.windows(2) {
            assert!(pair[0].features.len() < pair[1].features.len());
            assert!(pair[1].features.starts_with(pair[0].features));
        }
        assert!(PlanId::Enterprise.plan().features.contains(&"sla"));
    }

    #[test]
    fn ids_round_trip_and_unknown_is_refused() {
        for id in PlanId::ALL {
            assert_eq!(PlanId::parse(id.as_str()), Ok(id));
            assert_eq!(id.plan().id, id);
        }
        assert_eq!(PlanId::parse(" PRO "), Ok(PlanId::Pro));
        for bad in ["", "gold", "pro ultra", "free\0"] {
            assert_eq!(PlanId::parse(bad), Err(UnknownPlan));
        }
    }

    #[test]
    fn suggestion_is_the_smallest_plan_that_fits() {
        assert_eq!(plan_that_fits(0), PlanId::Free);
        assert_eq!(plan_that_fits(1_000), PlanId::Free);
        assert_eq!(plan_that_fits(1_001), PlanId::Starter);
        assert_eq!(plan_that_fits(5_001), PlanId::Pro);
        assert_eq!(plan_that_fits(20_000), PlanId::Pro);
        assert_eq!(plan_that_fits(20_001), PlanId::Enterprise);
    }
}
