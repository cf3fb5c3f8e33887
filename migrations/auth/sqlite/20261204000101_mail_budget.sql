-- SQLite twin of the postgres migration. Mails a stranger can make us send to
-- an account's address (password reset, "you already have an account"): the
-- times of the last three, so that at most three leave per address in any
-- hour, on every instance. One row per address that got such a mail.
CREATE TABLE mail_budget (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    address   TEXT NOT NULL,
    sent_1    INTEGER,
    sent_2    INTEGER,
    sent_3    INTEGER,
    PRIMARY KEY (tenant_id, address)
);
