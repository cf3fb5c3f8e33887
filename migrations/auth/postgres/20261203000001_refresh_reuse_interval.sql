-- How long after a refresh token is spent the same client may present it again
-- and get the pair that first use produced (a lost response, two refreshes
-- racing), instead of the whole family being revoked: 0 to 60 seconds, 0 by
-- default (any replay revokes the family, RFC 9700 §4.14.2). Existing clients
-- get 0 too. A spent token's own window is fixed when it is spent
-- (`refresh_tokens.retry_until`), so a later change does not reopen it.
ALTER TABLE clients
    ADD COLUMN refresh_reuse_interval_secs BIGINT NOT NULL DEFAULT 0
        CHECK (refresh_reuse_interval_secs BETWEEN 0 AND 60);
