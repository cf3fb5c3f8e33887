-- API credentials: clients of the `platform` tenant (client_credentials,
-- scopes `manage:read`, `manage:write`, `manage:users`) that a tenant's
-- owners create for their own automation. Each is bound to one tenant: its
-- tokens reach that tenant's management API and no other.
CREATE TABLE api_credentials (
    client_id   TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    -- The platform user who created it.
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX api_credentials_tenant ON api_credentials (tenant_id);
