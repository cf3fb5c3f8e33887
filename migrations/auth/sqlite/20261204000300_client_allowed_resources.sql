-- SQLite twin of the postgres migration (see there): the resources a client
-- may ask tokens for, a JSON array, none by default and for existing clients.
ALTER TABLE clients ADD COLUMN allowed_resources TEXT NOT NULL DEFAULT '[]';
