-- The daily security report mailed to a tenant's owners: one row per tenant
-- and UTC day (`YYYY-MM-DD`) once its mail was taken on. The row is written
-- before the mail is queued, so an instance that restarts mid-run, or a
-- second one, never mails a day twice.
CREATE TABLE security_report_mails (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    sent_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
);
