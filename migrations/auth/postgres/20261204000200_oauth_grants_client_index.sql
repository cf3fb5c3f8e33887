-- Disabling a client revokes every grant it holds: find them by client.
CREATE INDEX oauth_grants_client ON oauth_grants (tenant_id, client_id);
