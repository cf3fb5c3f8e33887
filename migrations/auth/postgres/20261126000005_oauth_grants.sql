-- What the authorization server remembers between requests: authorization
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
    auth_time       BIGINT NOT NULL,
    amr             TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
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
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
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
    auth_time       BIGINT NOT NULL,
    amr             TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    family_expires_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    used_at         BIGINT,
    -- The response that replaced this token, sealed, kept for the retry grace window.
    retry_response  TEXT,
    retry_until     BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);

CREATE TABLE consents (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    client_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id)
);
