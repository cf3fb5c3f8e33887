-- The sentinel's `failure_surge` detector (docs/sentinel.md) compares a
-- tenant's login failure ratio in the window with its own last 7 days.
-- Counting those days in `audit_events` would read every login of a week
-- at each evaluation; instead the sentinel adds the logins it reads to one
-- row per tenant and hour, so a baseline is at most 168 rows, and deletes
-- the rows older than 8 days itself.
CREATE TABLE sentinel_login_hours (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The hour's start, Unix seconds (a multiple of 3600).
    hour        BIGINT NOT NULL,
    -- Login attempts (success or failure, lockouts included) and failures.
    attempts    BIGINT NOT NULL,
    failures    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, hour)
);
CREATE INDEX sentinel_login_hours_hour ON sentinel_login_hours (hour);
