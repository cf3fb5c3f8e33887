-- Each tenant's cache versions, one per domain of what the OIDC endpoints
-- cache per instance: `catalog` (the tenant row, its clients, its signing
-- keys, its revoked access tokens), `grants` (grant revocations), `users`
-- (the user columns userinfo shows, and disabling). Every change bumps its
-- domain's row in the same transaction and notifies
-- `connectauth_tenant_changed` with `<domain>:<tenant id>`. Instances drop the
-- entries of that tenant and domain when they see a new version (within 1 s)
-- or the notification.
CREATE TABLE tenant_versions (
    tenant_id TEXT NOT NULL,
    domain    TEXT NOT NULL CHECK (domain IN ('catalog', 'grants', 'users')),
    version   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, domain)
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
    INSERT INTO tenant_versions (tenant_id, domain, version) VALUES (tenant, TG_ARGV[1], 1)
    ON CONFLICT (tenant_id, domain) DO UPDATE SET version = tenant_versions.version + 1;
    PERFORM pg_notify('connectauth_tenant_changed', TG_ARGV[1] || ':' || tenant);
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
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('id', 'catalog');
CREATE TRIGGER clients_version AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('tenant_id', 'catalog');
CREATE TRIGGER signing_keys_version AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('tenant_id', 'catalog');
CREATE TRIGGER revoked_access_tokens_version AFTER INSERT OR UPDATE OR DELETE ON revoked_access_tokens
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('tenant_id', 'catalog');
CREATE TRIGGER oauth_grants_version AFTER UPDATE OF revoked_at ON oauth_grants
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('tenant_id', 'grants');
CREATE TRIGGER users_version
    AFTER UPDATE OF email, username, display_name, email_verified_at, updated_at, disabled_at OR DELETE
    ON users FOR EACH ROW EXECUTE FUNCTION bump_tenant_version('tenant_id', 'users');
