-- SQLite twin of the postgres migration (see there): the per-client refresh
-- token reuse interval, 0 to 60 seconds, 0 by default and for existing clients.
ALTER TABLE clients
    ADD COLUMN refresh_reuse_interval_secs INTEGER NOT NULL DEFAULT 0
        CHECK (refresh_reuse_interval_secs BETWEEN 0 AND 60);
