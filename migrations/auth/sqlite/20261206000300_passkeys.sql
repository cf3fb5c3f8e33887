-- Passkeys (WebAuthn credentials) of a tenant's users. The relying party is
-- the auth server's host, shared by every tenant: a credential is found by
-- (tenant, credential id) and must belong to the user its handle names.
CREATE TABLE passkeys (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    user_id         TEXT NOT NULL,
    -- base64url of the authenticator's credential id.
    credential_id   TEXT NOT NULL,
    name            TEXT NOT NULL,
    -- webauthn-rs's Passkey as JSON: public key, algorithm, signature
    -- counter, backup flags. Public data: nothing here signs anything.
    credential      TEXT NOT NULL,
    sign_count      INTEGER NOT NULL,
    backup_eligible INTEGER NOT NULL,
    backup_state    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    UNIQUE (tenant_id, credential_id)
);
CREATE INDEX passkeys_user ON passkeys (tenant_id, user_id);

-- A started registration or sign-in: its challenge and what webauthn-rs
-- needs to finish it. Taken (deleted) by the answer, so each challenge is
-- answered at most once; expired ones are swept when new ones start.
CREATE TABLE passkey_ceremonies (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    -- The signed-in user, for a registration.
    user_id     TEXT,
    -- 'register' or 'sign_in'
    purpose     TEXT NOT NULL,
    state       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);
