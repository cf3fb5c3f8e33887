-- People of Connect People: the end users of the trusted tenant, keyed by the
-- issuer's `sub` within their tenant (the token's `tid`). A row is made on a
-- person's first authenticated call; the profile is empty until they set it.
-- The length limits repeat the application's, in characters.
CREATE TABLE people (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    display_name TEXT CHECK (char_length(display_name) BETWEEN 1 AND 100),
    bio          TEXT CHECK (char_length(bio) <= 500),
    location     TEXT CHECK (char_length(location) <= 100),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
