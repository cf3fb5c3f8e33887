//! The tenant-owner dashboard's rules, between its pages and the stores:
//! who owns which tenant (`owners`, managed by operators, or the person who
//! created it), a platform user creating their own tenant and its first app
//! (`onboarding`), and what an owner sees of and does with their tenant's
//! billing (`owner_billing`). Owners are users of the reserved `platform`
//! tenant, logged in through its hosted pages.
pub mod onboarding;
pub mod owner_billing;
pub mod owners;
