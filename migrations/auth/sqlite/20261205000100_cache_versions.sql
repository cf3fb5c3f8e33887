-- Each tenant's cache versions, one per domain of what the OIDC endpoints
-- cache per instance: `catalog` (the tenant row, its clients, its signing
-- keys, its revoked access tokens), `grants` (grant revocations), `users`
-- (the user columns userinfo shows, and disabling). Every change bumps its
-- domain's row in the same transaction. Instances drop the entries of that
-- tenant and domain when they see a new version (read at most once per
-- second per tenant).
CREATE TABLE tenant_versions (
    tenant_id TEXT NOT NULL,
    domain    TEXT NOT NULL CHECK (domain IN ('catalog', 'grants', 'users')),
    version   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, domain)
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
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.id AND domain = 'catalog';
END;

CREATE TRIGGER tenants_version_update AFTER UPDATE ON tenants
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.id AND domain = 'catalog';
END;

CREATE TRIGGER tenants_version_delete AFTER DELETE ON tenants
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (OLD.id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.id AND domain = 'catalog';
END;

CREATE TRIGGER clients_version_insert AFTER INSERT ON clients
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER clients_version_update AFTER UPDATE ON clients
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER clients_version_delete AFTER DELETE ON clients
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (OLD.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER signing_keys_version_insert AFTER INSERT ON signing_keys
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER signing_keys_version_update AFTER UPDATE ON signing_keys
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER signing_keys_version_delete AFTER DELETE ON signing_keys
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (OLD.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER revoked_access_tokens_version_insert AFTER INSERT ON revoked_access_tokens
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER revoked_access_tokens_version_update AFTER UPDATE ON revoked_access_tokens
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER revoked_access_tokens_version_delete AFTER DELETE ON revoked_access_tokens
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (OLD.tenant_id, 'catalog', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.tenant_id AND domain = 'catalog';
END;

CREATE TRIGGER oauth_grants_version AFTER UPDATE OF revoked_at ON oauth_grants
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.tenant_id, 'grants', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id AND domain = 'grants';
END;

CREATE TRIGGER users_version_update AFTER UPDATE OF email, username, display_name, email_verified_at, updated_at, disabled_at ON users
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (NEW.tenant_id, 'users', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = NEW.tenant_id AND domain = 'users';
END;

CREATE TRIGGER users_version_delete AFTER DELETE ON users
BEGIN
    INSERT OR IGNORE INTO tenant_versions (tenant_id, domain, version) VALUES (OLD.tenant_id, 'users', 0);
    UPDATE tenant_versions SET version = version + 1 WHERE tenant_id = OLD.tenant_id AND domain = 'users';
END;
