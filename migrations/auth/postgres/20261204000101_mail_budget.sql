-- Mails a stranger can make us send to an account's address (password reset,
-- "you already have an account"): the times of the last three, so that at
-- most three leave per address in any hour, on every instance. One row per
-- address that got such a mail, hence per existing account at most.
CREATE TABLE mail_budget (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    address   TEXT NOT NULL,
    sent_1    BIGINT,
    sent_2    BIGINT,
    sent_3    BIGINT,
    PRIMARY KEY (tenant_id, address)
);
