-- Leases of scheduled jobs (key rotation, the cleanup of expired rows): one
-- row per job. The instance whose lease has not run out runs the job; a
-- holder that dies stops renewing, and another takes over once
-- `lease_until` has passed. `last_done_at` (0: never) is when a run last
-- finished, so a job due every N minutes runs once per N minutes across
-- instances, not once per instance.
CREATE TABLE scheduled_jobs (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    lease_until  INTEGER NOT NULL,
    last_done_at INTEGER NOT NULL
);

-- Scheduled rotation's lease moves here, a lease held right now with it.
-- `key_rotation_lock` stays for the previous release's replicas until the
-- rollout ends (a later release drops it); meanwhile an old and a new
-- replica may both rotate, which the conditional updates of
-- `signing_keys` already make harmless.
INSERT INTO scheduled_jobs (name, holder, lease_until, last_done_at)
SELECT name, holder, lease_until, 0 FROM key_rotation_lock;
