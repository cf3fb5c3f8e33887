-- A verification mail carries a six-digit code beside its link, typed on the
-- signup page: a digest of it, its own short lifetime and a try counter.
ALTER TABLE one_time_tokens ADD COLUMN code_hash TEXT;
ALTER TABLE one_time_tokens ADD COLUMN code_expires_at BIGINT;
ALTER TABLE one_time_tokens ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 0;
