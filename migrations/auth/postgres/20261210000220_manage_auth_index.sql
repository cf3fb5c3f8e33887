-- The management API's refused bearer tokens (`manage_auth` events, at most
-- one an address a minute but when an attack is under way), read by address
-- and time by the sentinel's `manage_probe` detector.
CREATE INDEX IF NOT EXISTS audit_events_manage_auth ON audit_events (ip, created_at)
    WHERE kind = 'manage_auth';
