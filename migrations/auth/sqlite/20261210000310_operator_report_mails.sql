-- The platform operators' daily report across tenants, mailed to
-- AUTH_OPERATOR_EMAILS: one row per UTC day (`YYYY-MM-DD`) once its mail
-- was taken on, written before the mail is queued so a second instance or a
-- restart never mails a day twice; with the AI analyst's summary when it
-- wrote one.
CREATE TABLE operator_report_mails (
    day     TEXT PRIMARY KEY,
    sent_at INTEGER NOT NULL,
    summary TEXT
);
