-- Event webhooks (docs/webhooks.md): a tenant's HTTPS endpoints, the events
-- each wants, and a durable outbox of deliveries with their attempts.

-- An endpoint. `secret_sealed`: the signing secret sealed with the master
-- key (it must be read back to sign); `previous_secret_sealed` signs too
-- until `previous_until` after a rotation. `events`: the event types it
-- wants, comma-separated. `failing_since`: the first failed attempt since
-- the last success (NULL: answering); past the retry period it is disabled.
CREATE TABLE webhook_endpoints (
    id                     TEXT PRIMARY KEY,
    tenant_id              TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL,
    events                 TEXT NOT NULL,
    secret_sealed          TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_until         INTEGER,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    disabled_at            INTEGER,
    disabled_reason        TEXT,
    failing_since          INTEGER
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at);

-- The outbox: one row per (endpoint, event), written before the event is
-- counted as read, sent until answered 2xx or `retry_until` passes.
-- `state`: `pending`, `delivered` or `failed` (given up).
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    retry_until      INTEGER NOT NULL,
    last_status      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
-- The cleanup walks them by age (`store/expired_rows.rs`).
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- Each attempt of a delivery: the delivery log.
CREATE TABLE webhook_attempts (
    id           TEXT PRIMARY KEY,
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    -- 1 for the first attempt of the delivery, then 2, 3…
    n            INTEGER NOT NULL,
    attempted_at INTEGER NOT NULL,
    -- The HTTP status answered; NULL when there was no answer.
    status       INTEGER,
    -- Why it failed without an answer (refused address, timeout…).
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, n);

-- How far the fan-out has read the audit trail (`audit_events.seq`), and
-- the lease of the one instance that fans out and delivers.
CREATE TABLE webhook_state (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    read_up_to  INTEGER NOT NULL
);
