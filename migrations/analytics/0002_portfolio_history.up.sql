-- The daily history rebuilt from transactions and daily closes (docs/analytics.md §10, §14),
-- stored so the performance endpoint reads it instead of recomputing it from every close.
-- portfolio_history_builds records what one build covered and the fingerprint of the
-- transactions it was built from: rows are used only while the fingerprint still matches.
CREATE TABLE analytics.portfolio_history_builds (
    portfolio_id uuid PRIMARY KEY,
    user_id      uuid NOT NULL,
    currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    first_day    date NOT NULL,
    last_day     date NOT NULL,
    fingerprint  text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    gaps         jsonb NOT NULL DEFAULT '[]',
    built_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (last_day >= first_day)
);

-- One row per calendar day; money in the portfolio currency (numeric(28, 10)). The row of
-- first_day - 1 holds the opening value (flows 0) of a build starting after inception.
CREATE TABLE analytics.portfolio_history (
    portfolio_id uuid NOT NULL REFERENCES analytics.portfolio_history_builds (portfolio_id) ON DELETE CASCADE,
    user_id      uuid NOT NULL,
    day          date NOT NULL,
    value        numeric(28, 10) NOT NULL CHECK (value >= 0),
    inflow       numeric(28, 10) NOT NULL DEFAULT 0 CHECK (inflow >= 0),
    outflow      numeric(28, 10) NOT NULL DEFAULT 0 CHECK (outflow >= 0),
    income       numeric(28, 10) NOT NULL DEFAULT 0,
    fx_effect    numeric(28, 10) NOT NULL DEFAULT 0,
    PRIMARY KEY (portfolio_id, day)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON analytics.portfolio_history_builds, analytics.portfolio_history
    TO nexanest_analytics;

-- The reports' rules: read by the owner, granted advisors and admins; written by the owner,
-- MANAGE advisors and SYSTEM (jobs).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['portfolio_history_builds', 'portfolio_history'] LOOP
        EXECUTE format('ALTER TABLE analytics.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE analytics.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON analytics.%I FOR SELECT TO nexanest_analytics USING ('
                       'user_id = (SELECT app.current_user_id()) '
                       'OR user_id = ANY ((SELECT app.read_client_ids())::uuid[]) '
                       'OR (SELECT app.can_read_all()))', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON analytics.%I FOR ALL TO nexanest_analytics USING ('
                       'user_id = (SELECT app.current_user_id()) '
                       'OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[]) '
                       'OR (SELECT app.is_system())) WITH CHECK ('
                       'user_id = (SELECT app.current_user_id()) '
                       'OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[]) '
                       'OR (SELECT app.is_system()))', t || '_write', t);
    END LOOP;
END $$;
