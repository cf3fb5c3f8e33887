-- A provider may keep the tokens it gave at each sign-in (off by default),
-- for the tenant's backend to call the provider's API on the user's behalf
-- (read through the management API, scope manage:upstream-tokens). They are
-- sealed with the master key, bound to the provider account.
ALTER TABLE upstream_providers ADD COLUMN keep_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE upstream_identities ADD COLUMN tokens_sealed TEXT;
ALTER TABLE upstream_identities ADD COLUMN tokens_at BIGINT;
