-- Advisor grants take effect only once the advisor accepts them, and a client's context no
-- longer selects the advisor's users row (it held the password hash): the other party's email
-- comes from a function that returns just that.
ALTER TABLE auth.advisor_clients ADD COLUMN accepted_at timestamptz;
UPDATE auth.advisor_clients SET accepted_at = granted_at;  -- grants made before stay in force

-- Only acceptance (auth.accept_advisor_grant, as the owner) sets accepted_at; the service role
-- may leave it as it is or clear it (a changed access level needs a new acceptance).
CREATE FUNCTION auth.advisor_clients_guard_acceptance() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        IF current_user <> 'nexanest_owner' AND NEW.accepted_at IS NOT NULL
           AND (TG_OP = 'INSERT' OR NEW.accepted_at IS DISTINCT FROM OLD.accepted_at) THEN
            RAISE EXCEPTION 'only the advisor accepts a grant' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER advisor_clients_guard_acceptance BEFORE INSERT OR UPDATE ON auth.advisor_clients
    FOR EACH ROW EXECUTE FUNCTION auth.advisor_clients_guard_acceptance();

-- The acting advisor accepts the pending grant of one client; false when there is none.
CREATE FUNCTION auth.accept_advisor_grant(p_client uuid) RETURNS boolean
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        WITH accepted AS (
            UPDATE auth.advisor_clients SET accepted_at = now(), updated_at = now()
            WHERE advisor_id = app.current_user_id() AND client_id = p_client AND accepted_at IS NULL
            RETURNING 1)
        SELECT count(*) = 1 FROM accepted
    $$;
CREATE POLICY advisor_clients_owner_accept ON auth.advisor_clients FOR ALL TO nexanest_owner
    USING (true) WITH CHECK (true);

-- Nobody's context selects another party's users row through a grant any more (the row holds
-- the password hash; auth.grant_counterpart_emails gives the addresses a grant list shows);
-- advisors read their clients' profiles only once they accepted.
DROP POLICY users_select ON auth.users;
CREATE POLICY users_select ON auth.users FOR SELECT TO nexanest_auth
    USING (id = (SELECT app.current_user_id()) OR (SELECT app.is_admin()) OR (SELECT app.is_system()));
CREATE OR REPLACE FUNCTION app.related_user_ids() RETURNS uuid[]
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT coalesce(array_agg(ac.client_id), '{}')
        FROM auth.advisor_clients ac
        WHERE ac.advisor_id = app.current_user_id() AND ac.accepted_at IS NOT NULL
    $$;

CREATE FUNCTION auth.grant_counterpart_emails()
    RETURNS TABLE (advisor_id uuid, client_id uuid, email text, access text, granted_at timestamptz,
                   accepted_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT ac.advisor_id, ac.client_id, u.email, ac.access, ac.granted_at, ac.accepted_at
        FROM auth.advisor_clients ac
        JOIN auth.users u ON u.id = CASE WHEN ac.client_id = app.current_user_id() THEN ac.advisor_id
                                         ELSE ac.client_id END
        WHERE ac.advisor_id = app.current_user_id() OR ac.client_id = app.current_user_id()
        ORDER BY ac.granted_at, ac.advisor_id, ac.client_id
    $$;
REVOKE ALL ON FUNCTION auth.accept_advisor_grant(uuid), auth.grant_counterpart_emails(),
    auth.advisor_clients_guard_acceptance() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.accept_advisor_grant(uuid), auth.grant_counterpart_emails() TO nexanest_auth;
