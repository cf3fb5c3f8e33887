-- A tenant's team: each member (a user of the `platform` tenant, in
-- tenant_owners) has a role. `owner`: everything, billing and the team
-- included; `admin`: everything but billing and the team; `viewer`: reads
-- only. Members added before roles existed were owners, and stay so.
ALTER TABLE tenant_owners ADD COLUMN role TEXT NOT NULL DEFAULT 'owner'
    CHECK (role IN ('owner', 'admin', 'viewer'));

-- Invitations by email: a single-use link (only its SHA-256 is kept) that
-- the platform user with that verified address accepts.
CREATE TABLE team_invites (
    token_hash       TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    -- The platform user who invited.
    invited_by       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    accepted_at      INTEGER
);
CREATE INDEX team_invites_tenant ON team_invites (tenant_id, email_normalized);
