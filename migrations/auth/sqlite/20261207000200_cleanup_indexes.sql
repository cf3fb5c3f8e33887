-- The scheduled cleanup (docs/operations.md, "Scheduled cleanup") walks each
-- table in the order of the column that says a row is done with, one bounded
-- batch at a time, from where the previous batch stopped: with these indexes
-- a batch reads about the rows it deletes, however long the backlog (a
-- credential-stuffing run leaves millions of `login_failures` rows).
-- IF NOT EXISTS: on a large PostgreSQL database an operator may build them
-- beforehand with CREATE INDEX CONCURRENTLY (docs/operations.md), so that
-- this migration does not hold writes to those tables while it builds them.
CREATE INDEX IF NOT EXISTS authorization_codes_expiry ON authorization_codes (expires_at);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions (last_seen_at);
CREATE INDEX IF NOT EXISTS refresh_tokens_family_expiry ON refresh_tokens (family_expires_at);
CREATE INDEX IF NOT EXISTS one_time_tokens_expiry ON one_time_tokens (expires_at);
CREATE INDEX IF NOT EXISTS login_failures_last ON login_failures (last_failure_at);
CREATE INDEX IF NOT EXISTS audit_events_created ON audit_events (created_at);
