-- SQLite twin of the postgres migration (see there): PKCE required, 1 by
-- default and for existing clients.
ALTER TABLE clients
    ADD COLUMN require_pkce INTEGER NOT NULL DEFAULT 1 CHECK (require_pkce IN (0, 1));
