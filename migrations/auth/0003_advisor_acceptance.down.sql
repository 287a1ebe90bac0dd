-- Undoes 0003_advisor_acceptance.up.sql (pending grants become effective again).
DROP FUNCTION auth.grant_counterpart_emails();
DROP POLICY users_select ON auth.users;
CREATE POLICY users_select ON auth.users FOR SELECT TO nexanest_auth
    USING (id = (SELECT app.current_user_id()) OR (SELECT app.is_admin()) OR (SELECT app.is_system())
           OR id = ANY ((SELECT app.related_user_ids())::uuid[]));
CREATE OR REPLACE FUNCTION app.related_user_ids() RETURNS uuid[]
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT coalesce(array_agg(CASE WHEN ac.advisor_id = app.current_user_id() THEN ac.client_id
                                       ELSE ac.advisor_id END), '{}')
        FROM auth.advisor_clients ac
        WHERE ac.advisor_id = app.current_user_id() OR ac.client_id = app.current_user_id()
    $$;
DROP POLICY advisor_clients_owner_accept ON auth.advisor_clients;
DROP FUNCTION auth.accept_advisor_grant(uuid);
DROP TRIGGER advisor_clients_guard_acceptance ON auth.advisor_clients;
DROP FUNCTION auth.advisor_clients_guard_acceptance();
ALTER TABLE auth.advisor_clients DROP COLUMN accepted_at;
