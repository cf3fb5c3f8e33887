-- End users of a tenant, their sessions, one-time links, MFA recovery codes,
-- brute-force counters and the audit trail. Every row carries its tenant.
CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id),
    email             TEXT NOT NULL,
    email_normalized  TEXT NOT NULL,
    username          TEXT,
    display_name      TEXT NOT NULL,
    password_hash     TEXT,
    email_verified_at BIGINT,
    metadata          TEXT NOT NULL DEFAULT '{}',
    totp_secret       TEXT,
    totp_last_step    BIGINT,
    mfa_enabled_at    BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    last_login_at     BIGINT,
    disabled_at       BIGINT,
    UNIQUE (tenant_id, email_normalized)
);
CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, username) WHERE username IS NOT NULL;

-- The cookie holds a random secret; only its SHA-256 is stored. `handle` is a
-- separate public id so a user can list and end sessions without seeing secrets.
CREATE TABLE sessions (
    secret_hash   TEXT PRIMARY KEY,
    handle        TEXT NOT NULL UNIQUE,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    stage         TEXT NOT NULL CHECK (stage IN ('mfa_pending', 'authenticated')),
    amr           TEXT NOT NULL,
    auth_time     BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);

CREATE TABLE one_time_tokens (
    token_hash  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'unlock')),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE TABLE recovery_codes (
    code_hash  TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (tenant_id, user_id);

-- Failure counters per account (`acct:<email>`) and per IP (`ip:<addr>`),
-- shared by every instance; updated with one atomic upsert per attempt.
CREATE TABLE login_failures (
    tenant_id       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);

CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    user_id     TEXT,
    kind        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    ip          TEXT NOT NULL,
    user_agent  TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, created_at);
