-- SQLite twin of the postgres migration (see there for the columns): OAuth
-- clients of a tenant, lists as JSON text, secrets as SHA-256 digests only.
CREATE TABLE clients (
    id                          TEXT PRIMARY KEY CHECK (length(id) = 26 AND substr(id, 1, 4) = 'cli_'),
    tenant_id                   TEXT NOT NULL REFERENCES tenants (id),
    kind                        TEXT NOT NULL CHECK (kind IN ('confidential', 'public')),
    name                        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    redirect_uris               TEXT NOT NULL DEFAULT '[]',
    post_logout_redirect_uris   TEXT NOT NULL DEFAULT '[]',
    grant_types                 TEXT NOT NULL,
    scopes                      TEXT NOT NULL DEFAULT '',
    cors_origins                TEXT NOT NULL DEFAULT '[]',
    access_token_secs           INTEGER NOT NULL CHECK (access_token_secs BETWEEN 60 AND 86400),
    refresh_token_secs          INTEGER NOT NULL CHECK (refresh_token_secs BETWEEN 300 AND 31536000),
    refresh_idle_secs           INTEGER NOT NULL CHECK (refresh_idle_secs BETWEEN 300 AND refresh_token_secs),
    id_token_alg                TEXT NOT NULL CHECK (id_token_alg IN ('RS256', 'ES256', 'EdDSA')),
    first_party                 INTEGER NOT NULL DEFAULT 0 CHECK (first_party IN (0, 1)),
    secret_digest               TEXT,
    previous_secret_digest      TEXT,
    previous_secret_expires_at  INTEGER,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL,
    disabled_at                 INTEGER,
    -- Confidential clients, and only they, have a secret.
    CHECK ((kind = 'confidential') = (secret_digest IS NOT NULL)),
    CHECK ((previous_secret_digest IS NULL) = (previous_secret_expires_at IS NULL))
);
CREATE INDEX clients_tenant ON clients (tenant_id, id);
