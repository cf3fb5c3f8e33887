-- Each tenant's cache version: every change to what the OIDC endpoints cache
-- per instance (the tenant row, its clients, its signing keys, its revoked
-- access tokens) bumps it in the same transaction and notifies
-- `connectauth_tenant_changed`. Instances drop a tenant's cached entries when
-- they see a new version (within 1 s) or the notification.
CREATE TABLE tenant_versions (
    tenant_id TEXT PRIMARY KEY,
    version   BIGINT NOT NULL
);

CREATE FUNCTION bump_tenant_version() RETURNS trigger AS $$
DECLARE
    tenant TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        tenant := to_jsonb(OLD) ->> TG_ARGV[0];
    ELSE
        tenant := to_jsonb(NEW) ->> TG_ARGV[0];
    END IF;
    INSERT INTO tenant_versions (tenant_id, version) VALUES (tenant, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET version = tenant_versions.version + 1;
    PERFORM pg_notify('connectauth_tenant_changed', tenant);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- Access tokens without a grant row (client_credentials) that were revoked
-- before they expire; rows past `expires_at` are purged.
CREATE TABLE revoked_access_tokens (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    jti        TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, jti)
);
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);

-- When the client's secret was last replaced: client_credentials tokens
-- issued before it are refused at introspection.
ALTER TABLE clients ADD COLUMN secret_rotated_at BIGINT;

CREATE TRIGGER tenants_version AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('id');
CREATE TRIGGER clients_version AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('tenant_id');
CREATE TRIGGER signing_keys_version AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('tenant_id');
CREATE TRIGGER revoked_access_tokens_version AFTER INSERT OR UPDATE OR DELETE ON revoked_access_tokens
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('tenant_id');
