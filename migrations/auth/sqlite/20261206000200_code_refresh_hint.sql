-- Whether the code's exchange will give a refresh token (decided at the
-- authorization from the client and the scope): the exchange then stores the
-- first refresh token in the statement that redeems the code. The exchange
-- checks the rule again; a stale hint costs one more statement, never a
-- token the client may not have.
ALTER TABLE authorization_codes ADD COLUMN issue_refresh INTEGER NOT NULL DEFAULT 0;
