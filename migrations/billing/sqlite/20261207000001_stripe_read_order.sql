-- Reads of a tenant's subscription from Stripe are numbered in the order they
-- begin: `accounts.stripe_reads` is the last number drawn (drawn before the
-- request), and `subscriptions.stripe_read` the number of the read the stored
-- state came from. A read that began before the stored one is not saved, so
-- two events for one tenant processed at once cannot leave the older state
-- last. A clock reading would not do: both reads often begin in one second.
ALTER TABLE accounts ADD COLUMN stripe_reads BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN stripe_read BIGINT;
