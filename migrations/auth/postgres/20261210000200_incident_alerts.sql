-- Incidents someone opens by hand (a client secret or a signing key marked
-- compromised, through the API, the console or the CLI) wait here for the
-- sentinel to mail the tenant's owners, so that a command-line process,
-- which sends no mail itself, gets its alert sent by the running server.
-- `alert_due`: since when the alert waits (NULL: none waits); `alert`:
-- what the mail says (JSON: what was compromised, the reason, by whom),
-- never a secret.
ALTER TABLE sentinel_incidents ADD COLUMN alert_due BIGINT;
ALTER TABLE sentinel_incidents ADD COLUMN alert TEXT;
CREATE INDEX sentinel_incidents_alert_due ON sentinel_incidents (alert_due)
    WHERE alert_due IS NOT NULL;
