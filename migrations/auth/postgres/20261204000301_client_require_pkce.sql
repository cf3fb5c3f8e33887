-- Whether the client's authorization requests need PKCE (ASVS 10.4.6): 1 by
-- default and for existing clients, confidential ones included. An operator
-- may set 0 for a confidential legacy client that cannot send PKCE (weaker:
-- a stolen code is then protected by the client secret alone); public
-- clients always need PKCE whatever this says.
ALTER TABLE clients
    ADD COLUMN require_pkce BIGINT NOT NULL DEFAULT 1 CHECK (require_pkce IN (0, 1));
