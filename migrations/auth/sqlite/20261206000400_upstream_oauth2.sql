-- Plain OAuth 2.0 upstream providers (kind 'oauth2': GitHub, Facebook, or
-- any provider with an authorization, a token and a userinfo endpoint and
-- no ID token), and presets remembered. Every column is nullable so that
-- the OpenID Connect rows already stored stay as they are.
--   preset: 'google', 'microsoft', 'github', 'facebook' or NULL (generic).
--   token_auth: 'client_secret_basic' or 'client_secret_post'; NULL is
--     basic for 'oidc' (what it always was) and post for 'oauth2'.
--   For 'oauth2' rows the issuer is '' (there is none); the endpoints and
--   the userinfo field mapping (NULL field: its default) say the rest.
--   trust_email: 1 when the tenant vouches for the provider's emails.
ALTER TABLE upstream_providers ADD COLUMN preset TEXT;
ALTER TABLE upstream_providers ADD COLUMN token_auth TEXT;
ALTER TABLE upstream_providers ADD COLUMN authorization_url TEXT;
ALTER TABLE upstream_providers ADD COLUMN token_url TEXT;
ALTER TABLE upstream_providers ADD COLUMN userinfo_url TEXT;
ALTER TABLE upstream_providers ADD COLUMN subject_field TEXT;
ALTER TABLE upstream_providers ADD COLUMN email_field TEXT;
ALTER TABLE upstream_providers ADD COLUMN email_verified_field TEXT;
ALTER TABLE upstream_providers ADD COLUMN name_field TEXT;
ALTER TABLE upstream_providers ADD COLUMN trust_email INTEGER;
