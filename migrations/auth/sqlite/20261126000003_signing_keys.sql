-- Per-tenant signing keys and the rotation lease (see the postgres twin for
-- the key life and why private keys are sealed with an owner string).
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    alg            TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
    state          TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired', 'revoked')),
    private_sealed TEXT NOT NULL,
    public_jwk     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    activated_at   INTEGER,
    retired_at     INTEGER,
    remove_after   INTEGER,
    revoked_at     INTEGER,
    CHECK (state NOT IN ('active', 'retired') OR activated_at IS NOT NULL),
    CHECK (state <> 'retired' OR (retired_at IS NOT NULL AND remove_after IS NOT NULL)),
    CHECK (state <> 'revoked' OR revoked_at IS NOT NULL)
);
-- At most one active and one next key per tenant and algorithm, whatever
-- several instances do at the same moment: the loser of a race gets a unique
-- violation instead of a second signing key.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (tenant_id, alg) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (tenant_id, alg) WHERE state = 'next';
CREATE INDEX signing_keys_tenant ON signing_keys (tenant_id, state);
CREATE INDEX signing_keys_active_since ON signing_keys (activated_at) WHERE state = 'active';
CREATE INDEX signing_keys_remove_after ON signing_keys (remove_after) WHERE state = 'retired';

-- A lease held by the one instance that runs scheduled rotation; it expires
-- on its own, so a crashed holder blocks nobody for longer than the lease.
CREATE TABLE key_rotation_lock (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    lease_until INTEGER NOT NULL
);
