-- The auth database: accounts, profiles, sessions (refresh tokens), API keys, login attempts,
-- single-use email tokens, advisor grants, the outbox and the job lease table.
-- Runs as nexanest_owner, which therefore owns every object; the service role nexanest_auth
-- gets only the DML it needs and is subject to row-level security (docs/schema.md).

-- Request context, set per transaction by the service with set_config(..., true):
--   app.user_id  the acting user (uuid), app.role  USER|ADVISOR|ADMIN|SUPERUSER|SYSTEM.
CREATE SCHEMA app;

CREATE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app.current_app_role() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.role', true), '') $$;

-- ADMIN and SUPERUSER read every account; SYSTEM is the scheduler's and the CLI's context.
CREATE FUNCTION app.is_admin() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(app.current_app_role() IN ('ADMIN', 'SUPERUSER'), false) $$;

CREATE FUNCTION app.is_system() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(app.current_app_role() = 'SYSTEM', false) $$;

REVOKE ALL ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_admin(), app.is_system() FROM PUBLIC;
GRANT USAGE ON SCHEMA app TO nexanest_auth;
GRANT EXECUTE ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_admin(), app.is_system() TO nexanest_auth;

CREATE SCHEMA auth;
GRANT USAGE ON SCHEMA auth TO nexanest_auth;

CREATE TABLE auth.users (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email                text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND position('@' IN email) > 1),
    password_hash        text NOT NULL,
    role                 text NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADVISOR', 'ADMIN', 'SUPERUSER')),
    is_active            boolean NOT NULL DEFAULT true,
    email_verified_at    timestamptz,
    failed_login_count   integer NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    last_failed_login_at timestamptz,
    lockout_count        integer NOT NULL DEFAULT 0 CHECK (lockout_count >= 0),
    locked_until         timestamptz,
    last_login_at        timestamptz,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX idx_users_email ON auth.users (lower(email));
CREATE INDEX idx_users_role ON auth.users (role) WHERE role <> 'USER';
CREATE INDEX idx_users_created_at ON auth.users (created_at, id);

CREATE TABLE auth.user_profiles (
    user_id        uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
    first_name     text CHECK (length(first_name) <= 100),
    last_name      text CHECK (length(last_name) <= 100),
    display_name   text CHECK (length(display_name) <= 100),
    timezone       text NOT NULL DEFAULT 'UTC' CHECK (length(timezone) <= 64),
    locale         text NOT NULL DEFAULT 'en' CHECK (length(locale) <= 35),
    base_currency  char(3) NOT NULL DEFAULT 'USD' CHECK (base_currency ~ '^[A-Z]{3}$'),
    preferences    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(preferences) = 'object'),
    -- libsodium secretbox (nonce || ciphertext) under the key named by enc_key_id
    phone_enc         bytea,
    date_of_birth_enc bytea,
    tax_id_enc        bytea,
    address_enc       bytea,
    enc_key_id        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (enc_key_id IS NOT NULL OR (phone_enc IS NULL AND date_of_birth_enc IS NULL
                                      AND tax_id_enc IS NULL AND address_enc IS NULL))
);

-- One row per issued refresh token; a login starts a family, every rotation adds a child.
-- Presenting a token that already has replaced_by set is reuse: the whole family is revoked.
CREATE TABLE auth.refresh_tokens (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    token_hash     bytea NOT NULL,
    family_id      uuid NOT NULL,
    parent_id      uuid REFERENCES auth.refresh_tokens (id) ON DELETE SET NULL,
    replaced_by    uuid REFERENCES auth.refresh_tokens (id) ON DELETE SET NULL,
    issued_at      timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    last_used_at   timestamptz,
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('LOGOUT', 'LOGOUT_ALL', 'ROTATED_REUSE', 'PASSWORD_CHANGED',
                                                  'PASSWORD_RESET', 'ADMIN', 'DEACTIVATED', 'SESSION_DELETED')),
    user_agent     text CHECK (length(user_agent) <= 512),
    ip             inet,
    CHECK (expires_at > issued_at)
);
CREATE UNIQUE INDEX idx_refresh_tokens_token_hash ON auth.refresh_tokens (token_hash);
CREATE INDEX idx_refresh_tokens_user_id ON auth.refresh_tokens (user_id, issued_at DESC);
CREATE INDEX idx_refresh_tokens_family_id ON auth.refresh_tokens (family_id);
CREATE INDEX idx_refresh_tokens_expires_at ON auth.refresh_tokens (expires_at);
CREATE INDEX idx_refresh_tokens_parent_id ON auth.refresh_tokens (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX idx_refresh_tokens_replaced_by ON auth.refresh_tokens (replaced_by) WHERE replaced_by IS NOT NULL;

-- The secret is "<prefix>.<random>"; prefix is shown to the user and looked up, the hash checked.
CREATE TABLE auth.api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       text NOT NULL CHECK (length(prefix) BETWEEN 4 AND 32),
    key_hash     bytea NOT NULL,
    scopes       text[] NOT NULL DEFAULT '{}' CHECK (array_position(scopes, NULL) IS NULL),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    last_used_ip inet
);
CREATE UNIQUE INDEX idx_api_keys_prefix ON auth.api_keys (prefix);
CREATE INDEX idx_api_keys_user_id ON auth.api_keys (user_id, created_at DESC);

-- Every login attempt; user_id is NULL when the email matched no account.
CREATE TABLE auth.login_attempts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        uuid REFERENCES auth.users (id) ON DELETE SET NULL,
    email          text NOT NULL CHECK (length(email) <= 320),
    ip             inet,
    user_agent     text CHECK (length(user_agent) <= 512),
    success        boolean NOT NULL,
    failure_reason text CHECK (failure_reason IN ('BAD_CREDENTIALS', 'LOCKED', 'INACTIVE', 'UNVERIFIED',
                                                  'RATE_LIMITED', 'INVALID_INPUT')),
    attempted_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (success = (failure_reason IS NULL))
);
CREATE INDEX idx_login_attempts_user_id ON auth.login_attempts (user_id, attempted_at DESC);
CREATE INDEX idx_login_attempts_ip ON auth.login_attempts (ip, attempted_at DESC);
CREATE INDEX idx_login_attempts_email ON auth.login_attempts (lower(email), attempted_at DESC);
CREATE INDEX idx_login_attempts_attempted_at ON auth.login_attempts (attempted_at);

CREATE TABLE auth.email_verification_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL,
    email      text NOT NULL CHECK (length(email) <= 320),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX idx_email_verification_tokens_token_hash ON auth.email_verification_tokens (token_hash);
CREATE INDEX idx_email_verification_tokens_user_id ON auth.email_verification_tokens (user_id);
CREATE INDEX idx_email_verification_tokens_expires_at ON auth.email_verification_tokens (expires_at);

CREATE TABLE auth.password_reset_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL,
    requested_ip inet,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX idx_password_reset_tokens_token_hash ON auth.password_reset_tokens (token_hash);
CREATE INDEX idx_password_reset_tokens_user_id ON auth.password_reset_tokens (user_id);
CREATE INDEX idx_password_reset_tokens_expires_at ON auth.password_reset_tokens (expires_at);

-- A client grants an advisor READ or MANAGE access to all of the client's data; deleting the row
-- revokes it. The portfolio, analytics and timescale databases learn the grants per transaction
-- from the service (app.read_client_ids / app.manage_client_ids, docs/schema.md).
CREATE TABLE auth.advisor_clients (
    advisor_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    client_id  uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    access     text NOT NULL CHECK (access IN ('READ', 'MANAGE')),
    granted_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (advisor_id, client_id),
    CHECK (advisor_id <> client_id)
);
CREATE INDEX idx_advisor_clients_client_id ON auth.advisor_clients (client_id);

-- Events written in the same transaction as the change they describe; a relay drains them into
-- events.system_events / Redis Streams (at least once, consumers dedupe by (source, id)).
CREATE TABLE auth.outbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id       uuid,
    user_id        uuid,
    aggregate_type text NOT NULL CHECK (length(aggregate_type) <= 64),
    aggregate_id   text NOT NULL CHECK (length(aggregate_id) <= 128),
    event_type     text NOT NULL CHECK (length(event_type) <= 64),
    payload        jsonb NOT NULL DEFAULT '{}',
    request_id     text CHECK (length(request_id) <= 128),
    ip             inet,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX idx_auth_outbox_unpublished ON auth.outbox (id) WHERE published_at IS NULL;
CREATE INDEX idx_auth_outbox_published_at ON auth.outbox (published_at) WHERE published_at IS NOT NULL;

-- Scheduler leases (one instance runs each job): UPSERT ... WHERE expires_at < now() OR owner = me.
CREATE TABLE public.job_leases (
    job_name   text PRIMARY KEY CHECK (length(job_name) <= 128),
    owner      text NOT NULL CHECK (length(owner) <= 256),
    expires_at timestamptz NOT NULL
);

-- Advisors see the accounts of their clients (and clients their advisors) through this helper;
-- it runs as the caller, so advisor_clients' own policy limits it to the caller's grants.
CREATE FUNCTION app.related_user_ids() RETURNS uuid[]
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT coalesce(array_agg(CASE WHEN ac.advisor_id = app.current_user_id() THEN ac.client_id
                                       ELSE ac.advisor_id END), '{}')
        FROM auth.advisor_clients ac
        WHERE ac.advisor_id = app.current_user_id() OR ac.client_id = app.current_user_id()
    $$;
REVOKE ALL ON FUNCTION app.related_user_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.related_user_ids() TO nexanest_auth;

-- The role stored for the acting user (a policy on users cannot read users itself without
-- recursing, so this reads it with the owner's rights).
CREATE FUNCTION auth.stored_role_of_current_user() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT u.role FROM auth.users u WHERE u.id = app.current_user_id() $$;

-- Privileges: DML only, no TRUNCATE/REFERENCES/TRIGGER, nothing to PUBLIC.
GRANT SELECT, INSERT, UPDATE, DELETE ON auth.users, auth.user_profiles, auth.refresh_tokens, auth.api_keys,
    auth.email_verification_tokens, auth.password_reset_tokens, auth.advisor_clients TO nexanest_auth;
GRANT SELECT, INSERT, DELETE ON auth.login_attempts TO nexanest_auth;
GRANT SELECT, INSERT, UPDATE, DELETE ON auth.outbox TO nexanest_auth;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.job_leases TO nexanest_auth;

-- Row-level security. Every policy names the service role and reads the context through a
-- scalar sub-select, so the setting is read once per statement (an InitPlan), not per row.
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_select ON auth.users FOR SELECT TO nexanest_auth
    USING (id = (SELECT app.current_user_id()) OR (SELECT app.is_admin()) OR (SELECT app.is_system())
           OR id = ANY ((SELECT app.related_user_ids())::uuid[]));
-- Registration: the service picks the new id, sets app.user_id to it and inserts a USER;
-- only SYSTEM (the operator CLI) creates other roles directly.
CREATE POLICY users_insert ON auth.users FOR INSERT TO nexanest_auth
    WITH CHECK ((id = (SELECT app.current_user_id()) AND role = 'USER') OR (SELECT app.is_system()));
-- A user may change their own row but not their role; an ADMIN may change anyone's row but only
-- a SUPERUSER may leave a row with role ADMIN or SUPERUSER.
CREATE POLICY users_update_self ON auth.users FOR UPDATE TO nexanest_auth
    USING (id = (SELECT app.current_user_id()))
    WITH CHECK (id = (SELECT app.current_user_id()) AND role = (SELECT auth.stored_role_of_current_user()));
CREATE POLICY users_update_admin ON auth.users FOR UPDATE TO nexanest_auth
    USING ((SELECT app.current_app_role()) = 'SUPERUSER' OR (SELECT app.is_system())
           OR ((SELECT app.is_admin()) AND role IN ('USER', 'ADVISOR')))
    WITH CHECK ((SELECT app.current_app_role()) = 'SUPERUSER' OR (SELECT app.is_system())
                OR ((SELECT app.is_admin()) AND role IN ('USER', 'ADVISOR')));
CREATE POLICY users_delete ON auth.users FOR DELETE TO nexanest_auth
    USING ((SELECT app.current_app_role()) = 'SUPERUSER' OR (SELECT app.is_system()));

ALTER TABLE auth.user_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.user_profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY user_profiles_select ON auth.user_profiles FOR SELECT TO nexanest_auth
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_admin()) OR (SELECT app.is_system())
           OR user_id = ANY ((SELECT app.related_user_ids())::uuid[]));
CREATE POLICY user_profiles_write ON auth.user_profiles FOR ALL TO nexanest_auth
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()));

-- Sessions, keys and tokens: the owner manages them; admins can list and revoke; SYSTEM cleans up.
ALTER TABLE auth.refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY refresh_tokens_own ON auth.refresh_tokens FOR ALL TO nexanest_auth
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()));
CREATE POLICY refresh_tokens_admin_select ON auth.refresh_tokens FOR SELECT TO nexanest_auth
    USING ((SELECT app.is_admin()));
CREATE POLICY refresh_tokens_admin_update ON auth.refresh_tokens FOR UPDATE TO nexanest_auth
    USING ((SELECT app.is_admin())) WITH CHECK ((SELECT app.is_admin()));

ALTER TABLE auth.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_own ON auth.api_keys FOR ALL TO nexanest_auth
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()));
CREATE POLICY api_keys_admin_select ON auth.api_keys FOR SELECT TO nexanest_auth
    USING ((SELECT app.is_admin()));
CREATE POLICY api_keys_admin_update ON auth.api_keys FOR UPDATE TO nexanest_auth
    USING ((SELECT app.is_admin())) WITH CHECK ((SELECT app.is_admin()));

ALTER TABLE auth.email_verification_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.email_verification_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY email_verification_tokens_own ON auth.email_verification_tokens FOR ALL TO nexanest_auth
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()));

ALTER TABLE auth.password_reset_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.password_reset_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY password_reset_tokens_own ON auth.password_reset_tokens FOR ALL TO nexanest_auth
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()));

-- Attempts for an unknown email carry user_id NULL and can be written by any context; reading
-- them across users (rate limits) goes through auth.recent_login_failures().
ALTER TABLE auth.login_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.login_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY login_attempts_insert ON auth.login_attempts FOR INSERT TO nexanest_auth
    WITH CHECK (user_id IS NULL OR user_id = (SELECT app.current_user_id()) OR (SELECT app.is_system()));
CREATE POLICY login_attempts_select ON auth.login_attempts FOR SELECT TO nexanest_auth
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.is_admin()) OR (SELECT app.is_system()));
CREATE POLICY login_attempts_delete ON auth.login_attempts FOR DELETE TO nexanest_auth
    USING ((SELECT app.is_system()));

-- The client grants and revokes; the advisor sees their grants; admins see all.
ALTER TABLE auth.advisor_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.advisor_clients FORCE ROW LEVEL SECURITY;
CREATE POLICY advisor_clients_select ON auth.advisor_clients FOR SELECT TO nexanest_auth
    USING (advisor_id = (SELECT app.current_user_id()) OR client_id = (SELECT app.current_user_id())
           OR (SELECT app.is_admin()) OR (SELECT app.is_system()));
CREATE POLICY advisor_clients_write ON auth.advisor_clients FOR ALL TO nexanest_auth
    USING (client_id = (SELECT app.current_user_id()) OR (SELECT app.is_admin()) OR (SELECT app.is_system()))
    WITH CHECK (client_id = (SELECT app.current_user_id()) OR (SELECT app.is_admin()) OR (SELECT app.is_system()));

-- Any transaction may enqueue an event it is the actor of; only the relay (SYSTEM) reads them.
ALTER TABLE auth.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_insert ON auth.outbox FOR INSERT TO nexanest_auth
    WITH CHECK (actor_id IS NOT DISTINCT FROM (SELECT app.current_user_id()) OR (SELECT app.is_system()));
CREATE POLICY outbox_relay ON auth.outbox FOR ALL TO nexanest_auth
    USING ((SELECT app.is_system())) WITH CHECK ((SELECT app.is_system()));

-- Lookups before the user is known. SECURITY DEFINER (owner) with a pinned search_path; each
-- returns at most the row matching an exact secret or address, so the pre-login path cannot list
-- accounts. The owner reaches the rows only through the owner_lookup policies below, which exist
-- for these functions (the owner is NOLOGIN).
CREATE POLICY users_owner_lookup ON auth.users FOR SELECT TO nexanest_owner USING (true);
CREATE POLICY refresh_tokens_owner_lookup ON auth.refresh_tokens FOR SELECT TO nexanest_owner USING (true);
CREATE POLICY api_keys_owner_lookup ON auth.api_keys FOR SELECT TO nexanest_owner USING (true);
CREATE POLICY email_verification_tokens_owner_lookup ON auth.email_verification_tokens FOR SELECT TO nexanest_owner USING (true);
CREATE POLICY password_reset_tokens_owner_lookup ON auth.password_reset_tokens FOR SELECT TO nexanest_owner USING (true);
CREATE POLICY login_attempts_owner_lookup ON auth.login_attempts FOR SELECT TO nexanest_owner USING (true);

-- Login: the account for an email (case-insensitive), with what the login decision needs.
CREATE FUNCTION auth.user_for_login(p_email text)
    RETURNS TABLE (id uuid, password_hash text, role text, is_active boolean, email_verified_at timestamptz,
                   failed_login_count integer, lockout_count integer, locked_until timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT u.id, u.password_hash, u.role, u.is_active, u.email_verified_at,
               u.failed_login_count, u.lockout_count, u.locked_until
        FROM auth.users u WHERE lower(u.email) = lower(p_email)
    $$;

-- Refresh: the token row for a presented token's hash (revoked or replaced ones too, so the
-- service can detect reuse and revoke the family).
CREATE FUNCTION auth.refresh_token_by_hash(p_token_hash bytea)
    RETURNS TABLE (id uuid, user_id uuid, family_id uuid, replaced_by uuid, expires_at timestamptz,
                   revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT t.id, t.user_id, t.family_id, t.replaced_by, t.expires_at, t.revoked_at
        FROM auth.refresh_tokens t WHERE t.token_hash = p_token_hash
    $$;

-- API key authentication: the key for a visible prefix; the caller compares key_hash in
-- constant time and then acts as user_id with exactly `scopes`.
CREATE FUNCTION auth.api_key_by_prefix(p_prefix text)
    RETURNS TABLE (id uuid, user_id uuid, key_hash bytea, scopes text[], expires_at timestamptz,
                   revoked_at timestamptz, user_role text, user_is_active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT k.id, k.user_id, k.key_hash, k.scopes, k.expires_at, k.revoked_at, u.role, u.is_active
        FROM auth.api_keys k JOIN auth.users u ON u.id = k.user_id
        WHERE k.prefix = p_prefix
    $$;

-- Email verification and password reset: the token row for a hash (used or expired ones too).
CREATE FUNCTION auth.email_verification_by_hash(p_token_hash bytea)
    RETURNS TABLE (id uuid, user_id uuid, email text, expires_at timestamptz, used_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT t.id, t.user_id, t.email, t.expires_at, t.used_at
        FROM auth.email_verification_tokens t WHERE t.token_hash = p_token_hash
    $$;

CREATE FUNCTION auth.password_reset_by_hash(p_token_hash bytea)
    RETURNS TABLE (id uuid, user_id uuid, expires_at timestamptz, used_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT t.id, t.user_id, t.expires_at, t.used_at
        FROM auth.password_reset_tokens t WHERE t.token_hash = p_token_hash
    $$;

-- Granting an advisor: the id of an active ADVISOR account with this email, NULL otherwise
-- (never says whether a non-advisor account exists).
CREATE FUNCTION auth.advisor_id_by_email(p_email text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT u.id FROM auth.users u
        WHERE lower(u.email) = lower(p_email) AND u.role = 'ADVISOR' AND u.is_active
    $$;

-- Rate-limit fallback when Redis is down: failed attempts since p_since for an IP and for an
-- email (either may be NULL), across all accounts.
CREATE FUNCTION auth.recent_login_failures(p_ip inet, p_email text, p_since timestamptz,
                                           OUT by_ip bigint, OUT by_email bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT (SELECT count(*) FROM auth.login_attempts a
                WHERE p_ip IS NOT NULL AND a.ip = p_ip AND a.attempted_at >= p_since AND NOT a.success),
               (SELECT count(*) FROM auth.login_attempts a
                WHERE p_email IS NOT NULL AND lower(a.email) = lower(p_email)
                  AND a.attempted_at >= p_since AND NOT a.success)
    $$;

REVOKE ALL ON FUNCTION auth.stored_role_of_current_user(), auth.user_for_login(text), auth.refresh_token_by_hash(bytea), auth.api_key_by_prefix(text),
    auth.email_verification_by_hash(bytea), auth.password_reset_by_hash(bytea), auth.advisor_id_by_email(text),
    auth.recent_login_failures(inet, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.stored_role_of_current_user(), auth.user_for_login(text), auth.refresh_token_by_hash(bytea), auth.api_key_by_prefix(text),
    auth.email_verification_by_hash(bytea), auth.password_reset_by_hash(bytea), auth.advisor_id_by_email(text),
    auth.recent_login_failures(inet, text, timestamptz) TO nexanest_auth;
