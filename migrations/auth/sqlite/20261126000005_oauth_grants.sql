-- SQLite twin of the postgres migration. What the authorization server remembers between requests: authorization
-- codes (single use, 60 s), refresh tokens (rotated; a family shares one
-- grant id and is revoked together) and the scopes each user consented to
-- per client. Secrets are stored only as SHA-256 digests.
CREATE TABLE authorization_codes (
    code_hash       TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    client_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id),
    grant_id        TEXT NOT NULL,
    session_handle  TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT,
    resource        TEXT,
    auth_time       INTEGER NOT NULL,
    amr             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
);

-- A grant: what one authorization (or client_credentials request) produced.
-- Revoking it makes its refresh tokens fail and its access tokens inactive at
-- introspection and userinfo.
CREATE TABLE oauth_grants (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    client_id       TEXT NOT NULL,
    user_id         TEXT,
    session_handle  TEXT,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    revoked_reason  TEXT
);
CREATE INDEX oauth_grants_user ON oauth_grants (tenant_id, user_id);
CREATE INDEX oauth_grants_session ON oauth_grants (tenant_id, session_handle);

CREATE TABLE refresh_tokens (
    token_hash      TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    grant_id        TEXT NOT NULL REFERENCES oauth_grants (id),
    client_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    scope           TEXT NOT NULL,
    resource        TEXT,
    auth_time       INTEGER NOT NULL,
    amr             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    family_expires_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    used_at         INTEGER,
    -- The response that replaced this token, sealed, kept for the retry grace window.
    retry_response  TEXT,
    retry_until     INTEGER
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);

CREATE TABLE consents (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    client_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id)
);
