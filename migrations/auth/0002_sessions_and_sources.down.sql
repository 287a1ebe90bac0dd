-- Drops what 0002_sessions_and_sources.up.sql added.
DROP FUNCTION auth.recent_login_failures_from(inet, text, timestamptz);
ALTER TABLE auth.refresh_tokens DROP COLUMN family_started_at;
