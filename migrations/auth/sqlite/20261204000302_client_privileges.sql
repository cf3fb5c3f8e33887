-- SQLite twin of the postgres migration (see there): the client's
-- privileges, a JSON array, none by default and for existing clients.
ALTER TABLE clients ADD COLUMN privileges TEXT NOT NULL DEFAULT '[]';
