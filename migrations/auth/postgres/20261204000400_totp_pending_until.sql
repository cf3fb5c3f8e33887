-- A TOTP seed shown at enrolment is good for one attempt of ten minutes:
-- until it is confirmed, `totp_secret` holds it and this column says when it
-- stops being accepted. NULL once MFA is on (or for rows from before).
ALTER TABLE users ADD COLUMN totp_pending_until BIGINT;
