-- Each tenant's cache version: every change to what the OIDC endpoints cache
-- per instance (the tenant row, its clients, its signing keys, its revoked
-- access tokens) bumps it in the same transaction. Instances drop a tenant's
-- cached entries when they see a new version (checked at most once per
-- second per tenant).
CREATE TABLE tenant_versions (
    tenant_id TEXT PRIMARY KEY,
    version   INTEGER NOT NULL
);

-- Access tokens without a grant row (client_credentials) that were revoked
-- before they expire; rows past `expires_at` are purged.
CREATE TABLE revoked_access_tokens (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    jti        TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, jti)
);
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);

-- When the client's secret was last replaced: client_credentials tokens
-- issued before it are refused at introspection.
ALTER TABLE clients ADD COLUMN secret_rotated_at INTEGER;

CREATE TRIGGER tenants_version_insert AFTER INSERT ON tenants
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (NEW.id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.id;
END;

CREATE TRIGGER tenants_version_update AFTER UPDATE ON tenants
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (NEW.id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.id;
END;

CREATE TRIGGER tenants_version_delete AFTER DELETE ON tenants
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (OLD.id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.id;
END;

CREATE TRIGGER clients_version_insert AFTER INSERT ON clients
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (NEW.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER clients_version_update AFTER UPDATE ON clients
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (NEW.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER clients_version_delete AFTER DELETE ON clients
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (OLD.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.tenant_id;
END;

CREATE TRIGGER signing_keys_version_insert AFTER INSERT ON signing_keys
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (NEW.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER signing_keys_version_update AFTER UPDATE ON signing_keys
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (NEW.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER signing_keys_version_delete AFTER DELETE ON signing_keys
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (OLD.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.tenant_id;
END;

CREATE TRIGGER revoked_access_tokens_version_insert AFTER INSERT ON revoked_access_tokens
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (NEW.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER revoked_access_tokens_version_update AFTER UPDATE ON revoked_access_tokens
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (NEW.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER revoked_access_tokens_version_delete AFTER DELETE ON revoked_access_tokens
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, version) VALUES (OLD.tenant_id, 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.tenant_id;
END;
