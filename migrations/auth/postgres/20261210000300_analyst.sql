-- The optional AI analyst (docs/sentinel.md, "AI analyst").
--
-- The plain-language summary it wrote for a tenant's daily security report,
-- kept with the record of that mail so the console page shows the same
-- text. NULL: no summary (the analyst is off, failed or over its budget).
ALTER TABLE security_report_mails ADD COLUMN summary TEXT;

-- Tokens the analyst spent per calendar month (UTC, `YYYY-MM`), from each
-- answer's `usage.total_tokens`: in the database, so the monthly budget
-- holds across restarts and instances. `capped_at`: when the budget was
-- first found spent that month (logged once).
CREATE TABLE analyst_usage (
    month     TEXT PRIMARY KEY,
    tokens    BIGINT NOT NULL,
    calls     BIGINT NOT NULL,
    capped_at BIGINT
);

-- The analyst's triage note of an incident (the `incident` id in the
-- incident's `sentinel` audit event). The row is claimed before the call,
-- so one instance writes each note; `note` stays NULL when the call failed
-- or the budget was spent (the incident is complete without it).
CREATE TABLE incident_notes (
    incident_id TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    claimed_at  BIGINT NOT NULL,
    note        TEXT,
    written_at  BIGINT
);
CREATE INDEX incident_notes_claimed ON incident_notes (claimed_at);

-- The analyst's triage round reads the last hour's `sentinel` events every
-- 2 s on each instance: an index of those alone keeps it from walking every
-- login of the hour.
CREATE INDEX audit_events_sentinel ON audit_events (created_at) WHERE kind = 'sentinel';
