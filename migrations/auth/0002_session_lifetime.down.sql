-- Drops what 0002_session_lifetime.up.sql added.
ALTER TABLE auth.refresh_tokens DROP COLUMN family_started_at;
