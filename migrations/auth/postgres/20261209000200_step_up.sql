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
-- a link: only its six-digit code is).
ALTER TABLE one_time_tokens DROP CONSTRAINT IF EXISTS one_time_tokens_purpose_check;
ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'unlock', 'step_up'));
