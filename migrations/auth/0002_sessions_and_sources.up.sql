-- Sessions: a session (refresh family) has an absolute lifetime: every token of a family carries the time
-- its sign-in happened, copied from parent to child on rotation, so the cleanup job deleting old
-- tokens of a family cannot make the session younger.
ALTER TABLE auth.refresh_tokens ADD COLUMN family_started_at timestamptz NOT NULL DEFAULT now();
UPDATE auth.refresh_tokens t SET family_started_at = f.started
    FROM (SELECT family_id, min(issued_at) AS started FROM auth.refresh_tokens GROUP BY family_id) f
    WHERE f.family_id = t.family_id;

-- Rate-limit fallback when Redis is down, per account and source: failed attempts since
-- p_since for one email from one address (one attacker's address cannot block the account
-- for everyone; the per-account count stays, with a far higher limit).
CREATE FUNCTION auth.recent_login_failures_from(p_ip inet, p_email text, p_since timestamptz)
    RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT count(*) FROM auth.login_attempts a
        WHERE p_ip IS NOT NULL AND a.ip = p_ip AND lower(a.email) = lower(p_email)
          AND a.attempted_at >= p_since AND NOT a.success
    $$;
REVOKE ALL ON FUNCTION auth.recent_login_failures_from(inet, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.recent_login_failures_from(inet, text, timestamptz) TO nexanest_auth;
