-- Tenants: one row per customer of ConnectAuth.
-- Ids are UUIDs as text and instants are unix seconds: services read both
-- engines through sqlx's Any driver, which knows only integers, text and bytes.
CREATE TABLE tenants (
    id           TEXT PRIMARY KEY CHECK (length(id) = 36),
    slug         TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$'),
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    settings     TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    disabled_at  BIGINT
);
