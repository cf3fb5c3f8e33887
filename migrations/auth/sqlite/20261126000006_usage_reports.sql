-- SQLite twin of the postgres migration. Monthly active users are reported to billing from data that already
-- exists (successful logins in audit_events, issued refresh tokens), so the
-- login path gains no write. A cursor remembers up to where usage was
-- acknowledged by billing; instances move it with a compare-and-set.
CREATE TABLE usage_report_cursor (
    name            TEXT PRIMARY KEY,
    -- Unix seconds: events before this instant have been reported.
    reported_until  INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- The reporter reads time windows across all tenants. The literals match
-- the reporter's query, so the partial index applies.
CREATE INDEX audit_events_logins ON audit_events (created_at)
    WHERE kind = 'login' AND outcome = 'success';
CREATE INDEX refresh_tokens_created ON refresh_tokens (created_at);
