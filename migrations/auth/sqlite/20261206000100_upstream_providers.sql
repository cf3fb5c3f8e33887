-- Upstream identity providers of a tenant (generic OpenID Connect, or a
-- preset of one): its users may sign in through them. The client secret is
-- sealed with the master key, as signing keys are.
CREATE TABLE upstream_providers (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants (id),
    -- In URLs and on buttons' ids: /t/{tenant}/upstream/{slug}.
    slug                 TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    -- 'oidc'
    kind                 TEXT NOT NULL,
    issuer               TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    -- Space-separated, always with openid.
    scopes               TEXT NOT NULL,
    enabled              INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (tenant_id, slug)
);

-- A user's accounts at upstream providers: a user is found by (provider,
-- subject), never by email alone.
CREATE TABLE upstream_identities (
    provider_id    TEXT NOT NULL REFERENCES upstream_providers (id) ON DELETE CASCADE,
    subject        TEXT NOT NULL,
    tenant_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    -- The email the provider gave at the last sign-in (shown to the user).
    email          TEXT,
    created_at     INTEGER NOT NULL,
    last_login_at  INTEGER,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX upstream_identities_user ON upstream_identities (tenant_id, user_id);
