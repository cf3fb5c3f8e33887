-- The resources (RFC 8707 resource indicators) a client may ask tokens for,
-- as a JSON array of strings, besides the tenant's default audience which
-- every client may name. Existing clients get none: a `resource` they send
-- that is not the default audience is now `invalid_target`.
ALTER TABLE clients ADD COLUMN allowed_resources TEXT NOT NULL DEFAULT '[]';
