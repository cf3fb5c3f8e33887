-- A count of the writes to an upstream provider's settings: an update reads
-- it with the row and writes only while it is unchanged (then adds one), so
-- two updates at once never write one another's older copy back.
ALTER TABLE upstream_providers ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
