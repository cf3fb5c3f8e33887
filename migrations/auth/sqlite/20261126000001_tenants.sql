-- Tenants: one row per customer of ConnectAuth (see the postgres twin for why
-- ids are text and instants unix seconds).
CREATE TABLE tenants (
    id           TEXT PRIMARY KEY CHECK (length(id) = 36),
    slug         TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 3 AND 40 AND slug NOT GLOB '*[^a-z0-9-]*'),
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    settings     TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    disabled_at  INTEGER
);
