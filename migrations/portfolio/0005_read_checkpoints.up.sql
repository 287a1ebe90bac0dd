-- Reads at scale (docs/analytics.md §17, issue 16).
--   ledger_versions   a counter every change of a portfolio's transactions increments (the
--                     incremental ledger does it in the writing transaction): what a stored
--                     daily history was built from, without reading every transaction.
--   read_checkpoints  what performance and statements need from every transaction dated on or
--                     before `day` (analytics/read_checkpoint.hpp, JSON), so that a period opens
--                     from the nearest one before it. A change dated on or before `day` deletes
--                     it in the writing transaction; readers store them (only when the version
--                     they read from is still the current one, under the portfolio's row lock).
CREATE TABLE portfolio.ledger_versions (
    portfolio_id uuid PRIMARY KEY,
    user_id      uuid NOT NULL,
    version      bigint NOT NULL CHECK (version > 0),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);

CREATE TABLE portfolio.read_checkpoints (
    portfolio_id uuid NOT NULL,
    user_id      uuid NOT NULL,
    day          date NOT NULL,
    state        text NOT NULL,
    PRIMARY KEY (portfolio_id, day),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);

GRANT SELECT, INSERT, UPDATE, DELETE ON portfolio.ledger_versions, portfolio.read_checkpoints
    TO nexanest_portfolio;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ledger_versions', 'read_checkpoints']
    LOOP
        EXECUTE format('ALTER TABLE portfolio.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE portfolio.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON portfolio.%I FOR SELECT TO nexanest_portfolio
            USING (user_id = (SELECT app.current_user_id())
                   OR user_id = ANY ((SELECT app.read_client_ids())::uuid[])
                   OR (SELECT app.can_read_all()))$p$, t || '_read', t);
        EXECUTE format($p$CREATE POLICY %I ON portfolio.%I FOR ALL TO nexanest_portfolio
            USING (user_id = (SELECT app.current_user_id())
                   OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[])
                   OR (SELECT app.is_system()))
            WITH CHECK (user_id = (SELECT app.current_user_id())
                   OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[])
                   OR (SELECT app.is_system()))$p$, t || '_write', t);
    END LOOP;
END
$$;
