-- Billing's own data, keyed by the auth server's tenant id (a UUID as text).
-- Instants are unix seconds; money is in the currency's smallest unit.

-- One row per tenant that billing has heard of: who is told about quotas, and
-- the Stripe customer (created once per tenant).
CREATE TABLE accounts (
    tenant_id          TEXT PRIMARY KEY CHECK (length(tenant_id) = 36),
    owner_email        TEXT CHECK (length(owner_email) <= 254),
    stripe_customer_id TEXT UNIQUE,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- The one subscription state of a tenant. No row: Free. `source` says who set
-- it: stripe (webhooks) or manual (an operator, `connectauth billing set-plan`).
CREATE TABLE subscriptions (
    tenant_id              TEXT PRIMARY KEY CHECK (length(tenant_id) = 36),
    plan                   TEXT NOT NULL CHECK (plan IN ('free', 'starter', 'pro', 'enterprise')),
    status                 TEXT NOT NULL,
    source                 TEXT NOT NULL CHECK (source IN ('stripe', 'manual')),
    mau_limit              BIGINT,
    stripe_subscription_id TEXT UNIQUE,
    stripe_price_id        TEXT,
    current_period_end     BIGINT,
    cancel_at_period_end   BIGINT NOT NULL DEFAULT 0,
    grace_until            BIGINT,
    -- When the grace period ran out and the owner was told of the fall to Free.
    downgraded_at          BIGINT,
    -- Stripe's `created` of the newest event applied, for the audit trail.
    stripe_synced_at       BIGINT,
    updated_at             BIGINT NOT NULL
);

-- Monthly active users: one row per distinct user of a tenant in a UTC month.
-- Reporting the same user again is a no-op, so retries never double-count.
CREATE TABLE monthly_active_users (
    tenant_id     TEXT NOT NULL,
    month         TEXT NOT NULL CHECK (length(month) = 7),
    user_id       TEXT NOT NULL CHECK (length(user_id) <= 64),
    first_seen_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, month, user_id)
);

-- Quota emails already sent: at most one per tenant, month and threshold.
CREATE TABLE quota_notices (
    tenant_id TEXT NOT NULL,
    month     TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    sent_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, month, threshold)
);

-- Every Stripe event id seen, so each is applied once. `processed_at` is set
-- in the same transaction as the change it caused.
CREATE TABLE stripe_events (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    created      BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT
);

-- Invoices as Stripe last described them, listed per tenant.
CREATE TABLE invoices (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL,
    subscription_id    TEXT,
    number             TEXT,
    status             TEXT NOT NULL,
    amount_due         BIGINT NOT NULL,
    amount_paid        BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    hosted_invoice_url TEXT,
    created            BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX invoices_tenant_created ON invoices (tenant_id, created);
