-- A count of the writes to a client's settings and to a tenant's name and
-- settings. An update reads it with the row and writes only while it is
-- unchanged (then adds one), so two updates at once never write one
-- another's older copy back: the second is applied again on the first's
-- result.
ALTER TABLE clients ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
