-- The store tells "email already registered" from "username taken" by the
-- name of the rule a signup broke, never by the database's message text:
-- give the email rule a name of our own (the username index already has one).
ALTER TABLE users RENAME CONSTRAINT users_tenant_id_email_normalized_key TO users_tenant_email;
