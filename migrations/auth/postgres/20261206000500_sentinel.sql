-- The sentinel (docs/sentinel.md) reads the audit trail in insertion order:
-- `seq` numbers the rows as they are written. It only tells the sentinel
-- which tenants had new events; the rules then read the tenant's recent
-- window by time, so a row committed after a higher number was read is
-- still counted by the next evaluation of its tenant.
ALTER TABLE audit_events ADD COLUMN seq BIGSERIAL;
CREATE INDEX audit_events_seq ON audit_events (seq);
-- Which account a login attempt was for, as a digest of the tenant and the
-- normalized email typed (never the email itself: attackers type anything,
-- passwords included, into that field). NULL for events about no account.
ALTER TABLE audit_events ADD COLUMN account TEXT;

-- One row: the lease of the instance that runs the sentinel, and how far
-- it has read the audit trail.
CREATE TABLE sentinel_state (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    read_up_to  BIGINT NOT NULL
);

-- Addresses refused at the HTTP edge of the tenants' pages and endpoints
-- until `expires_at`. `tenant_id` NULL: every tenant.
CREATE TABLE blocked_addresses (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    -- An address or CIDR range (`203.0.113.7/32`, `2001:db8:1:2::/64`).
    network     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    -- `sentinel` or `operator`.
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX blocked_addresses_expiry ON blocked_addresses (expires_at);
CREATE INDEX blocked_addresses_tenant ON blocked_addresses (tenant_id, expires_at);

-- What the sentinel detected: one row per (tenant, detector, subject) and
-- window, so one attack raises one incident and at most one mail.
CREATE TABLE sentinel_incidents (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    detector    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    opened_at   BIGINT NOT NULL,
    -- When the tenant's owners were mailed about it; NULL: not mailed
    -- (another incident of the tenant had just been).
    mailed_at   BIGINT
);
CREATE INDEX sentinel_incidents_subject ON sentinel_incidents (tenant_id, detector, subject, opened_at);
CREATE INDEX sentinel_incidents_mailed ON sentinel_incidents (tenant_id, mailed_at);
