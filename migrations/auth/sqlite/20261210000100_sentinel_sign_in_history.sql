-- The sentinel's `unfamiliar_login` detector (docs/sentinel.md) reads, for
-- each new successful password login of an account without a second
-- factor, that account's successful logins of the last 90 days: an index
-- holding only those rows, by account and time, keeps it one index range
-- per login, however long the trail.
CREATE INDEX audit_events_user_sign_ins ON audit_events (tenant_id, user_id, created_at)
    WHERE kind = 'login' AND outcome = 'success';
