-- Tenant owners: users of the reserved `platform` tenant who may use the
-- dashboard of a tenant (its billing). Operators add and remove them through
-- the management API; the dashboard checks the row on every request, so a
-- removed owner loses access at once.
CREATE TABLE tenant_owners (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    -- A user of the platform tenant (the management API checks that).
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
-- The dashboard lists the tenants of one owner.
CREATE INDEX tenant_owners_user ON tenant_owners (user_id);
