-- What a block refuses: `tenant`, the tenant's pages and OAuth endpoints
-- (every tenant's when `tenant_id` is NULL), or `manage`, the management
-- API (`/manage/v1`), for an address that probed it with bad tokens.
ALTER TABLE blocked_addresses ADD COLUMN applies_to TEXT NOT NULL DEFAULT 'tenant';
