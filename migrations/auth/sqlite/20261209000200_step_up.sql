-- Accounts the sentinel saw attacked (brute force, spraying, stuffing):
-- until `expires_at`, a password login of the user needs a second step,
-- their TOTP or a code mailed to them. `incident` is the sentinel's.
CREATE TABLE step_up_marks (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    incident   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX step_up_marks_expiry ON step_up_marks (expires_at);

-- The step-up code is a one-time token of its own purpose (never mailed as
-- a link: only its six-digit code is). SQLite cannot change a CHECK in
-- place: the table is copied into one that admits `step_up`.
CREATE TABLE one_time_tokens_new (
    token_hash      TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    purpose         TEXT NOT NULL
        CHECK (purpose IN ('verify_email', 'reset_password', 'unlock', 'step_up')),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    code_hash       TEXT,
    code_expires_at BIGINT,
    code_attempts   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO one_time_tokens_new (token_hash, tenant_id, user_id, purpose, created_at,
    expires_at, used_at, code_hash, code_expires_at, code_attempts)
SELECT token_hash, tenant_id, user_id, purpose, created_at, expires_at, used_at,
    code_hash, code_expires_at, code_attempts FROM one_time_tokens;
DROP TABLE one_time_tokens;
ALTER TABLE one_time_tokens_new RENAME TO one_time_tokens;
CREATE INDEX one_time_tokens_expiry ON one_time_tokens (expires_at);
