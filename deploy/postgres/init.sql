-- Runs once, when the PostgreSQL container initialises its data directory.
-- The image creates connectauth_auth (POSTGRES_DB); each service owns its own database.
CREATE DATABASE connectauth_billing OWNER connectauth;
CREATE DATABASE connectauth_people OWNER connectauth;
