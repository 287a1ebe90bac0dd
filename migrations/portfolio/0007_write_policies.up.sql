-- Write policies checked per row instead of per statement (issue 16; docs/schema.md
-- "Row-level security model").
--
-- Each table's `<t>_write` policy was FOR ALL with three scalar sub-selects in USING and three in
-- WITH CHECK. Every scalar sub-select is an InitPlan: a plan node PostgreSQL sets up again at every
-- execution, with an ACL check per function it calls. An upsert carried twelve of them (its SELECT
-- policy, and USING and WITH CHECK of both policies, since FOR ALL applies to SELECT too), and
-- setting them up was a fifth of the database's CPU per recorded transaction (`perf` of the
-- backends under nn_bench_portfolio's POST). Writes touch a few rows, so the write rules are now
-- one inlined function evaluated per row, `app.may_write(user_id)`: the same three alternatives,
-- read from the same settings, with no plan node. SELECT keeps its one policy with sub-selects
-- (read once per statement, which matters for scans of many rows): it no longer also gets the
-- write policy's three, which could only repeat what it allows already (MANAGE clients are among
-- the read clients, SYSTEM among those who read everything).
--
-- The rules do not change: who may insert, update and delete which rows is exactly as before.

-- Inlined by the planner (SQL, STABLE, one expression, not STRICT): no function call at run time.
CREATE FUNCTION app.may_write(owner uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT owner = app.current_user_id() OR owner = ANY (app.manage_client_ids()) OR app.is_system() $$;
REVOKE ALL ON FUNCTION app.may_write(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.may_write(uuid) TO nexanest_portfolio;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['portfolios', 'holdings', 'transactions', 'cash_balances', 'portfolio_snapshots',
                             'watchlists', 'watchlist_items', 'allocation_rules', 'portfolio_benchmarks', 'goals',
                             'goal_portfolios', 'idempotency_keys', 'ledger_positions', 'ledger_checkpoints',
                             'ledger_versions', 'read_checkpoints']
    LOOP
        EXECUTE format('DROP POLICY %I ON portfolio.%I', t || '_write', t);
        EXECUTE format($p$CREATE POLICY %I ON portfolio.%I FOR INSERT TO nexanest_portfolio
            WITH CHECK (app.may_write(user_id))$p$, t || '_insert', t);
        EXECUTE format($p$CREATE POLICY %I ON portfolio.%I FOR UPDATE TO nexanest_portfolio
            USING (app.may_write(user_id)) WITH CHECK (app.may_write(user_id))$p$, t || '_update', t);
        EXECUTE format($p$CREATE POLICY %I ON portfolio.%I FOR DELETE TO nexanest_portfolio
            USING (app.may_write(user_id))$p$, t || '_delete', t);
    END LOOP;
END
$$;

-- The outbox: every recorded change inserts a row (per row now); the relay reads many (its
-- SELECT keeps the sub-select) and marks or deletes them.
DROP POLICY outbox_insert ON portfolio.outbox;
DROP POLICY outbox_relay ON portfolio.outbox;
CREATE POLICY outbox_insert ON portfolio.outbox FOR INSERT TO nexanest_portfolio
    WITH CHECK (actor_id IS NOT DISTINCT FROM app.current_user_id() OR app.is_system());
CREATE POLICY outbox_relay ON portfolio.outbox FOR SELECT TO nexanest_portfolio
    USING ((SELECT app.is_system()));
CREATE POLICY outbox_relay_update ON portfolio.outbox FOR UPDATE TO nexanest_portfolio
    USING (app.is_system()) WITH CHECK (app.is_system());
CREATE POLICY outbox_relay_delete ON portfolio.outbox FOR DELETE TO nexanest_portfolio
    USING (app.is_system());
