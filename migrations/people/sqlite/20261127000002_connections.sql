-- Connections between two people of one tenant: `requester` asked,
-- `addressee` accepts (status becomes 'accepted', responded_at set) or
-- declines (the row is deleted). Ids are UUID v7 text, so `ORDER BY id` is
-- creation order and the id is the page cursor.
CREATE TABLE connections (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    requester_id TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted')),
    created_at   BIGINT NOT NULL,
    responded_at BIGINT,
    CHECK (requester_id <> addressee_id),
    CHECK ((status = 'pending') = (responded_at IS NULL)),
    FOREIGN KEY (tenant_id, requester_id) REFERENCES people (tenant_id, id),
    FOREIGN KEY (tenant_id, addressee_id) REFERENCES people (tenant_id, id)
);
-- One connection per unordered pair: A→B and B→A are the same pair
-- (SQLite's two-argument min/max play PostgreSQL's LEAST/GREATEST).
CREATE UNIQUE INDEX connections_pair
    ON connections (tenant_id, min(requester_id, addressee_id), max(requester_id, addressee_id));
-- A person's connections, by either side, in page order.
CREATE INDEX connections_requester ON connections (tenant_id, requester_id, id);
CREATE INDEX connections_addressee ON connections (tenant_id, addressee_id, id);
