//! The tenant-owner dashboard's rules, between its pages and the stores:
//! who is in which tenant's team with which role (`owners`, managed by
//! operators, by owners, or the person who created the tenant), invitations
//! to a team (`invites`), a platform user creating their own tenant and its
//! first app (`onboarding`), and what an owner sees of and does with their
//! tenant's billing (`owner_billing`). Members are users of the reserved
//! `platform` tenant, logged in through its hosted pages.
pub mod invites;
pub mod onboarding;
pub mod owner_billing;
pub mod owners;
