-- What a client may do beyond its grants, a JSON array of names; the only
-- one is `introspect:any` (introspect every token of the tenant, not only its
-- own and those meant for it). None by default and for existing clients.
ALTER TABLE clients ADD COLUMN privileges TEXT NOT NULL DEFAULT '[]';
